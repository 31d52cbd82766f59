// Truth ticks (docs/spec.md §2, §7): the last valid trade price per symbol, in micro-USD, kept in the ticks table;
// every tick written is also kept in tick_history with its time (§16), bounded by retention.raw_days.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db';

export interface TickRow {
  symbol: string;
  priceMicro: number;
  ts: number;
  source: string;
}

/** symbol -> price in micro-USD. */
export function readTicks(db: Db): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of db.prepare('SELECT symbol, price_micro FROM ticks').raw().iterate() as Iterable<[string, number]>) {
    m.set(r[0], Number.isInteger(r[1]) ? r[1] : Math.round(r[1])); // a writer that stored a REAL
  }
  return m;
}

/** symbol -> price (micro-USD) and time of its last tick. */
export function readTickInfo(db: Db): Map<string, { price: number; ts: number }> {
  const m = new Map<string, { price: number; ts: number }>();
  for (const r of db.prepare('SELECT symbol, price_micro, ts FROM ticks').raw().iterate() as Iterable<[string, number, number]>) {
    m.set(r[0], { price: Number.isInteger(r[1]) ? r[1] : Math.round(r[1]), ts: r[2] });
  }
  return m;
}

export function readTickRows(db: Db): TickRow[] {
  return (
    db.prepare('SELECT symbol, price_micro, ts, source FROM ticks ORDER BY symbol').all() as {
      symbol: string;
      price_micro: number;
      ts: number;
      source: string;
    }[]
  ).map((r) => ({ symbol: r.symbol, priceMicro: r.price_micro, ts: r.ts, source: r.source }));
}

/** Days of tick history kept when the book has not run on a config yet (retention.raw_days's default). */
const DEFAULT_HISTORY_DAYS = 30;
const DAY_MS = 86_400_000;

interface TickWriter {
  up: Statement;
  /** The same for a JSON array of [symbol, price_micro, ts, source] (big batches: one statement). */
  upMany: Statement;
  /** The same for a JSON object symbol → price_micro, all at one ts from one source (a price source's step). */
  upStep: Statement;
  /** Null on a database without tick_history (the policy lab's working copy drops it: docs/spec.md §16). */
  hist: Statement | null;
  histMany: Statement | null;
  /**
   * Where the tick_gen triggers are gone (the policy lab's working copy drops them for speed), the generation is
   * bumped here by the number of rows written, as the triggers would have: the engine's in-memory ticks stay exact.
   */
  bump: Statement | null;
  prune: Statement | null;
  keepDays: Statement | null;
  /** Epoch ms of the newest tick written since the last prune; pruning runs at most once per hour of tick time. */
  prunedAt: number;
}

/** Batches at least this big are written with one statement over a JSON array. */
const MANY = 256;
const FROM_JSON = "SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3 FROM json_each(?) j WHERE 1";

const writers = new WeakMap<Db, TickWriter>();

function writerOf(db: Db): TickWriter {
  let w = writers.get(db);
  if (w) return w;
  const has = (type: string, name: string) => !!db.prepare('SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?').get(type, name);
  const hasHistory = has('table', 'tick_history');
  const upsert = 'ON CONFLICT(symbol) DO UPDATE SET price_micro = excluded.price_micro, ts = excluded.ts, source = excluded.source';
  w = {
    up: db.prepare(`INSERT INTO ticks (symbol, price_micro, ts, source) VALUES (?, ?, ?, ?) ${upsert}`),
    upMany: db.prepare(`INSERT INTO ticks (symbol, price_micro, ts, source) ${FROM_JSON} ${upsert}`),
    upStep: db.prepare(`INSERT INTO ticks (symbol, price_micro, ts, source) SELECT j.key, j.value, ?, ? FROM json_each(?) j WHERE 1 ${upsert}`),
    hist: hasHistory ? db.prepare('INSERT INTO tick_history (symbol, price_micro, ts, source) VALUES (?, ?, ?, ?)') : null,
    histMany: hasHistory ? db.prepare(`INSERT INTO tick_history (symbol, price_micro, ts, source) ${FROM_JSON}`) : null,
    bump:
      has('table', 'engine_meta') && !has('trigger', 'ticks_gen_upd')
        ? db.prepare('UPDATE engine_meta SET tick_gen = tick_gen + ? WHERE id = 1')
        : null,
    prune: hasHistory ? db.prepare('DELETE FROM tick_history WHERE ts < ?') : null,
    keepDays: hasHistory ? db.prepare("SELECT value FROM app_state WHERE key = 'engine.config'").pluck() : null,
    prunedAt: 0,
  };
  writers.set(db, w);
  return w;
}

/** symbol → price when every row has the first row's ts and source and no symbol repeats; else null. */
function oneStep(rows: readonly TickRow[]): Record<string, number> | null {
  const { ts, source } = rows[0];
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const r of rows) {
    if (r.ts !== ts || r.source !== source || r.symbol in out) return null;
    out[r.symbol] = r.priceMicro;
  }
  return out;
}

/** retention.raw_days of the config this book last ran on (docs/spec.md §3, §16), else 30. */
function historyDays(w: TickWriter): number {
  try {
    const text = w.keepDays?.get() as string | undefined;
    const days = text ? (JSON.parse(text) as { retention?: { raw_days?: unknown } }).retention?.raw_days : undefined;
    return typeof days === 'number' && days >= 1 ? days : DEFAULT_HISTORY_DAYS;
  } catch {
    return DEFAULT_HISTORY_DAYS;
  }
}

/**
 * Sets (upserts) ticks in one transaction, and keeps each in the tick history with its time (docs/spec.md §16):
 * what the policy lab replays. History older than retention.raw_days before the newest tick is pruned as ticks
 * are written (at most once per hour of tick time).
 */
export function setTicks(db: Db, rows: readonly TickRow[]): void {
  const w = writerOf(db);
  db.transaction(() => {
    let newest = 0;
    for (const r of rows) {
      if (!Number.isSafeInteger(r.priceMicro) || r.priceMicro <= 0) {
        throw new RangeError(`tick for ${r.symbol} must be a positive price, got ${r.priceMicro / 1e6}`);
      }
      if (r.ts > newest) newest = r.ts;
    }
    const step = rows.length >= MANY && !w.histMany ? oneStep(rows) : null;
    if (step) {
      w.upStep.run(rows[0].ts, rows[0].source, JSON.stringify(step));
    } else if (rows.length >= MANY) {
      const json = JSON.stringify(rows.map((r) => [r.symbol, r.priceMicro, r.ts, r.source]));
      w.upMany.run(json);
      w.histMany?.run(json);
    } else {
      for (const r of rows) {
        w.up.run(r.symbol, r.priceMicro, r.ts, r.source);
        w.hist?.run(r.symbol, r.priceMicro, r.ts, r.source);
      }
    }
    if (w.bump && rows.length) w.bump.run(rows.length);
    if (w.prune && newest - w.prunedAt >= 3_600_000) {
      w.prune.run(newest - historyDays(w) * DAY_MS);
      w.prunedAt = newest;
    }
  })();
}
