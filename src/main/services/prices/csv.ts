// CSV ticks (docs/spec.md §7): `symbol,price[,ts]`, an optional header line. ts is ISO-8601 with an offset or `Z`, or
// epoch milliseconds; without it the tick takes the time it is applied. Bad rows are errors that name their line;
// nothing of a bad file is applied.
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { SYMBOL_RE } from '../../../shared/domain';
import { toMicro } from '../../../shared/money';
import type { TickRow } from './ticks';

export class TickCsvError extends Error {
  constructor(
    message: string,
    readonly line: number | null,
  ) {
    super(message);
    this.name = 'TickCsvError';
  }
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** An instant: ISO-8601 with an offset or `Z`, or epoch milliseconds. Null if it is neither. */
function parseInstant(s: string): number | null {
  const t = s.trim();
  if (/^\d{1,16}$/.test(t)) {
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : null;
  }
  if (!ISO_WITH_ZONE.test(t)) return null;
  const d = DateTime.fromISO(t, { setZone: true });
  return d.isValid ? d.toMillis() : null;
}

/**
 * The `--as-of` of the CLI: an instant as parseInstant, a local date-time without offset (read in the account
 * time zone), or a bare date (noon of that date in the account time zone).
 */
export function parseAsOf(s: string, timezone: string): number | null {
  const exact = parseInstant(s);
  if (exact !== null) return exact;
  const t = s.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const d = DateTime.fromISO(t, { zone: timezone }).set({ hour: 12 });
    return d.isValid && d.toISODate() === t ? d.toMillis() : null;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/.test(t)) {
    const d = DateTime.fromISO(t, { zone: timezone });
    return d.isValid ? d.toMillis() : null;
  }
  return null;
}

export function parseTicksCsv(text: string, defaultTs: number, source = 'csv'): TickRow[] {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new TickCsvError(`CSV syntax error: ${err.message}`, err.lines ?? null);
  }
  const rows: TickRow[] = [];
  // csv-parse skips empty lines; count physical lines to name them in errors.
  const lines = lineNumbers(text);
  records.forEach((rec, i) => {
    const line = lines[i] ?? i + 1;
    if (i === 0 && rec[0]?.toLowerCase() === 'symbol') {
      const header = rec.map((h) => h.toLowerCase());
      const want = ['symbol', 'price', 'ts'];
      if (header.length < 2 || header.length > 3 || header.some((h, j) => h !== want[j])) {
        throw new TickCsvError(`line ${line}: header must be symbol,price[,ts], got ${rec.join(',')}`, line);
      }
      return;
    }
    if (rec.length < 2 || rec.length > 3) {
      throw new TickCsvError(`line ${line}: expected symbol,price[,ts], got ${rec.length} field(s)`, line);
    }
    const [symbol, priceText, tsText] = rec;
    if (!SYMBOL_RE.test(symbol)) {
      throw new TickCsvError(
        `line ${line}: symbol '${symbol}' must be 1-16 characters of A-Z 0-9 . - / (upper case)`,
        line,
      );
    }
    const price = Number(priceText);
    if (priceText === '' || !Number.isFinite(price) || price <= 0) {
      throw new TickCsvError(`line ${line}: price '${priceText}' of ${symbol} must be a number > 0`, line);
    }
    let priceMicro: number;
    try {
      priceMicro = toMicro(price);
    } catch {
      throw new TickCsvError(`line ${line}: price '${priceText}' of ${symbol} is out of range`, line);
    }
    if (priceMicro <= 0) throw new TickCsvError(`line ${line}: price '${priceText}' of ${symbol} rounds to 0`, line);
    let ts = defaultTs;
    if (tsText !== undefined && tsText !== '') {
      const p = parseInstant(tsText);
      if (p === null) {
        throw new TickCsvError(
          `line ${line}: ts '${tsText}' must be ISO-8601 with an offset or Z, or epoch milliseconds`,
          line,
        );
      }
      ts = p;
    }
    rows.push({ symbol, priceMicro, ts, source });
  });
  return rows;
}

/** 1-based line number of each non-empty line (csv-parse's records, for files without quoted newlines). */
function lineNumbers(text: string): number[] {
  const out: number[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    if (l.trim() !== '') out.push(i + 1);
  });
  return out;
}
