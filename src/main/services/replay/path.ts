// The prices a replay runs on (docs/spec.md §16): a CSV of historical ticks, else the stored tick history when it
// holds ticks within the period, else the seeded simulator. Each day the copy's truth ticks are set to the latest
// tick of each symbol at the evaluation time; after the approvals, the day's later ticks (until the close) of the
// symbols with working orders go through the engine's applyTicks, so the paper broker fills as it did live.
import { RandomWalkSimulator } from '../prices/simulator';
import { parseTicksCsv, TickCsvError } from '../prices/csv';
import { readTickRows, type TickRow } from '../prices/ticks';
import type { Db } from '../store/db';
import { ReplayError } from './errors';

export interface PricePath {
  /** Where the prices come from: `csv`, `history` or `simulator`. */
  readonly source: 'csv' | 'history' | 'simulator';
  /** The ticks that set the copy's truth ticks as of `t` (an evaluation time): the latest of each symbol since the last call. */
  rowsAt(t: number): TickRow[];
  /** The ticks after `t` and before `close` of these symbols, in time order (not yet applied). */
  intraday(t: number, close: number, symbols: ReadonlySet<string>): TickRow[];
}

interface PathOptions {
  csv: string | null;
  csvName: string;
  seed: number;
  /** 00:00 of the first day, the close of the last (epoch ms). */
  fromOpen: number;
  end: number;
  /** The first evaluation (epoch ms), its date and HH:MM, for error messages. */
  firstAt: number;
  firstDay: string;
  at: string;
  zone: string;
}

/** Half-hourly simulator steps between the evaluation and the close (symbols with working orders only). */
const SIM_STEP_MS = 30 * 60_000;

export function pricePath(db: Db, o: PathOptions): PricePath {
  let path: PricePath;
  if (o.csv !== null) path = csvPath(db, o);
  else {
    const history = historyRows(db, o.fromOpen, o.end);
    path = history ? seriesPath('history', history) : simulatorPath(db, o.seed);
  }
  // The copy keeps no history of its own ticks (services/prices/ticks.ts writes it only where the table exists), and
  // bumps the tick generation once per batch instead of once per row (ticks.ts does it where the triggers are gone).
  db.exec('DROP TABLE IF EXISTS tick_history; DROP TRIGGER IF EXISTS ticks_gen_ins; DROP TRIGGER IF EXISTS ticks_gen_upd');
  return path;
}

/** The stored history: the latest tick of each symbol before the period, then the period's ticks; null if none in it. */
function historyRows(db: Db, fromOpen: number, end: number): TickRow[] | null {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tick_history'").get()) return null;
  type Raw = [string, number, number, string];
  const inPeriod = db
    .prepare('SELECT symbol, price_micro, ts, source FROM tick_history WHERE ts >= ? AND ts < ? ORDER BY ts, id')
    .raw()
    .all(fromOpen, end) as Raw[];
  if (inPeriod.length === 0) return null;
  // SQLite: with MAX(), the bare columns come from the row holding the maximum
  const before = db
    .prepare('SELECT symbol, price_micro, MAX(ts) AS ts, source FROM tick_history WHERE ts < ? GROUP BY symbol')
    .raw()
    .all(fromOpen) as Raw[];
  return [...before, ...inPeriod].map((r) => ({ symbol: r[0], priceMicro: r[1], ts: r[2], source: r[3] }));
}

function csvPath(db: Db, o: PathOptions): PricePath {
  let rows: TickRow[];
  try {
    rows = parseTicksCsv(o.csv as string, -1, 'replay');
  } catch (e) {
    if (e instanceof TickCsvError) throw new ReplayError(`${o.csvName}: ${e.message}`);
    throw e;
  }
  const noTs = rows.findIndex((r) => r.ts === -1);
  if (noTs >= 0) {
    throw new ReplayError(`${o.csvName}: line ${dataLine(o.csv as string, noTs)}: ts is required in a replay price file (symbol,price,ts)`);
  }
  if (rows.length === 0) throw new ReplayError(`${o.csvName}: no ticks`);
  rows = rows.map((r, i) => ({ ...r, i })).sort((a, b) => a.ts - b.ts || a.i - b.i);
  const firstSeen = new Map<string, number>();
  for (const r of rows) if (!firstSeen.has(r.symbol)) firstSeen.set(r.symbol, r.ts);
  const held = db.prepare('SELECT DISTINCT symbol FROM positions WHERE qty != 0 ORDER BY symbol').pluck().all() as string[];
  for (const s of held) {
    const t = firstSeen.get(s);
    if (t === undefined || t > o.firstAt) {
      throw new ReplayError(
        `${o.csvName}: no price for ${s} at or before ${o.firstDay} ${o.at} (${o.zone}), the first evaluation; the book holds ${s}`,
      );
    }
  }
  return seriesPath('csv', rows);
}

/** 1-based line of the n-th data row of a CSV (blank lines and a header skipped). */
function dataLine(text: string, n: number): number {
  const lines: number[] = [];
  text.split(/\r\n|\n|\r/).forEach((l, i) => {
    if (l.trim() !== '') lines.push(i + 1);
  });
  const header = /^\s*symbol\s*,/i.test(text.split(/\r\n|\n|\r/).find((l) => l.trim() !== '') ?? '');
  return lines[n + (header ? 1 : 0)] ?? n + 1;
}

/** A recorded series (CSV or history), in time order. */
function seriesPath(source: 'csv' | 'history', rows: readonly TickRow[]): PricePath {
  let next = 0;
  return {
    source,
    rowsAt(t) {
      const latest = new Map<string, TickRow>();
      while (next < rows.length && rows[next].ts <= t) {
        latest.set(rows[next].symbol, rows[next]);
        next++;
      }
      return [...latest.values()];
    },
    intraday(t, close, symbols) {
      const out: TickRow[] = [];
      for (let i = next; i < rows.length && rows[i].ts < close; i++) {
        if (rows[i].ts > t && symbols.has(rows[i].symbol)) out.push(rows[i]);
      }
      return out;
    },
  };
}

/** The seeded random walk of docs/spec.md §7 from the book's ticks: one step a day at the evaluation time. */
function simulatorPath(db: Db, seed: number): PricePath {
  const sim = new RandomWalkSimulator({ seed });
  const start = new Map<string, number>();
  for (const r of readTickRows(db)) start.set(r.symbol, r.priceMicro);
  const symbols = [...start.keys()].sort();
  // Each symbol's current price at its index in `symbols` (a plain array: this is stepped 10,000 times a day).
  const price = symbols.map((s) => start.get(s) as number);
  const at = new Map<string, number>(symbols.map((s, i) => [s, i]));
  return {
    source: 'simulator',
    rowsAt(t) {
      const rows: TickRow[] = new Array(symbols.length);
      for (let i = 0; i < symbols.length; i++) {
        const p = sim.step(price[i]);
        price[i] = p;
        rows[i] = { symbol: symbols[i], priceMicro: p, ts: t, source: 'simulator' };
      }
      return rows;
    },
    intraday(t, close, working) {
      const out: TickRow[] = [];
      const some = [...working].filter((s) => at.has(s)).sort();
      for (let ts = t + SIM_STEP_MS; ts < close; ts += SIM_STEP_MS) {
        for (const s of some) {
          const i = at.get(s) as number;
          const p = sim.step(price[i]);
          price[i] = p;
          out.push({ symbol: s, priceMicro: p, ts, source: 'simulator' });
        }
      }
      return out;
    },
  };
}
