// The book as the console shows it, and the opening-book import (docs/spec.md §8, §10).
import { parse } from 'csv-parse/sync';
import { BUCKETS, SYMBOL_RE } from '../../../shared/domain';
import { microToCents, MICRO } from '../../../shared/money';
import type { PositionView, QuarantinedEvent } from '../../../shared/types';
import type { Db } from '../store/db';
import { now as clockNow } from '../clock';

interface PosRow {
  bucket: string;
  symbol: string;
  qty: bigint;
  cost_micro: bigint;
  realized_micro: bigint;
  tick: bigint | null;
}

/** Dollars with up to 6 decimals from micro (for display; exact books stay in micro). */
function microToDollars(m: bigint): number {
  return Number(m) / MICRO;
}

/** Every position row (flat ones too: they carry realized PnL), sorted by bucket then symbol. */
export function listPositions(db: Db): PositionView[] {
  const rows = db
    .prepare(
      `SELECT p.bucket, p.symbol, p.qty, p.cost_micro, p.realized_micro, t.price_micro AS tick
       FROM positions p LEFT JOIN ticks t ON t.symbol = p.symbol ORDER BY p.bucket, p.symbol`,
    )
    .safeIntegers(true)
    .all() as PosRow[];
  return rows.map((r) => {
    const qty = r.qty;
    const absQty = qty < 0n ? -qty : qty;
    // average cost rounded to the micro (display); 0 when flat
    const avgMicro = absQty === 0n ? 0n : (2n * r.cost_micro + absQty) / (2n * absQty);
    // Never priced: valued at its average cost, as the engine values it for the band and the cap (and flagged
    // stale there); no tick means no unrealized PnL to show.
    const mv = r.tick === null ? (qty < 0n ? -r.cost_micro : r.cost_micro) : qty * r.tick;
    const unreal = r.tick === null ? null : qty > 0n ? mv - r.cost_micro : qty < 0n ? mv + r.cost_micro : 0n;
    return {
      bucket: r.bucket as PositionView['bucket'],
      symbol: r.symbol,
      qty: Number(qty),
      avg_cost: microToDollars(avgMicro),
      tick: r.tick === null ? null : microToDollars(r.tick),
      market_value: mv === null ? null : microToCents(mv),
      unrealized_pnl: unreal === null ? null : microToCents(unreal),
      realized_pnl: microToCents(r.realized_micro),
    };
  });
}

/** Latest quarantined events first. */
export function listQuarantine(db: Db, limit = 100): QuarantinedEvent[] {
  return db
    .prepare('SELECT id, source, raw, reason, at FROM ledger_quarantine ORDER BY id DESC LIMIT ?')
    .all(Math.max(0, Math.floor(limit))) as QuarantinedEvent[];
}

const HEADER = ['bucket', 'symbol', 'qty', 'avg_cost'];

/**
 * Opening book import, `bucket,symbol,qty,avg_cost` with a header line. Every bad line is reported with its line
 * number; nothing is applied unless the whole file is valid. Listed (bucket, symbol) positions are set to the given
 * qty at the given average cost (realized PnL so far is kept); positions not listed are left alone.
 */
export function importPositions(db: Db, csvText: string, source: string): { errors: string[]; rows: number } {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(csvText, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    const err = e as Error & { lines?: number };
    return { errors: [`line ${err.lines ?? '?'}: CSV syntax error: ${err.message.split('\n')[0]}`], rows: 0 };
  }
  const errors: string[] = [];
  if (records.length === 0) return { errors: ['line 1: empty file: expected the header bucket,symbol,qty,avg_cost'], rows: 0 };
  const head = records[0].record.map((h) => h.toLowerCase());
  if (head.length !== 4 || head.some((h, i) => h !== HEADER[i])) {
    return {
      errors: [`line ${records[0].info.lines}: header must be bucket,symbol,qty,avg_cost, got ${records[0].record.join(',')}`],
      rows: 0,
    };
  }
  const seen = new Map<string, number>();
  const out: { bucket: string; symbol: string; qty: number; cost: bigint }[] = [];
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    if (record.length !== 4) {
      errors.push(`line ${line}: expected 4 fields (bucket,symbol,qty,avg_cost), got ${record.length}`);
      continue;
    }
    const [bucket, symbol, qtyS, avgS] = record;
    const bad: string[] = [];
    if (!(BUCKETS as readonly string[]).includes(bucket)) bad.push(`bucket must be LT or MM, got '${bucket}'`);
    if (!SYMBOL_RE.test(symbol)) bad.push(`symbol must be 1-16 characters of A-Z 0-9 . - /, got '${symbol}'`);
    const qty = /^[+-]?\d+$/.test(qtyS) ? Number(qtyS) : NaN;
    if (!Number.isSafeInteger(qty) || Math.abs(qty) > 1e12) bad.push(`qty must be a whole number, got '${qtyS}'`);
    let avgMicro: bigint | null = null;
    if (!/^\d+(\.\d+)?$/.test(avgS)) bad.push(`avg_cost must be a number >= 0, got '${avgS}'`);
    else {
      const m = Math.round(Number(avgS) * MICRO);
      if (!Number.isSafeInteger(m)) bad.push(`avg_cost out of range: '${avgS}'`);
      else if (m === 0 && qty !== 0) bad.push(`avg_cost must be > 0 for an open position, got '${avgS}'`);
      else avgMicro = BigInt(m);
    }
    const key = `${bucket}|${symbol}`;
    if (bad.length === 0 && seen.has(key)) bad.push(`${bucket} ${symbol} already given on line ${seen.get(key)}`);
    if (bad.length > 0) {
      errors.push(`line ${line}: ${bad.join('; ')}`);
      continue;
    }
    seen.set(key, line);
    out.push({ bucket, symbol, qty, cost: (avgMicro as bigint) * BigInt(Math.abs(qty)) });
  }
  if (errors.length > 0) return { errors, rows: 0 };
  const now = clockNow();
  const up = db.prepare(
    `INSERT INTO positions (bucket, symbol, qty, cost_micro, realized_micro, updated_at) VALUES (?, ?, ?, ?, 0, ?)
     ON CONFLICT (bucket, symbol) DO UPDATE SET qty = excluded.qty, cost_micro = excluded.cost_micro,
       updated_at = excluded.updated_at`,
  );
  db.transaction(() => {
    for (const p of out) up.run(p.bucket, p.symbol, p.qty, p.cost, now);
    db.prepare('INSERT INTO position_imports (source, rows, at) VALUES (?, ?, ?)').run(source, out.length, now);
  }).immediate();
  return { errors: [], rows: out.length };
}
