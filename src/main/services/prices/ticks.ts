// Truth ticks (docs/spec.md §2, §7): the last valid trade price per symbol, in micro-USD, kept in the ticks table.
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

/** Sets (upserts) ticks in one transaction. */
export function setTicks(db: Db, rows: readonly TickRow[]): void {
  const up = db.prepare(
    `INSERT INTO ticks (symbol, price_micro, ts, source) VALUES (?, ?, ?, ?)
     ON CONFLICT(symbol) DO UPDATE SET price_micro = excluded.price_micro, ts = excluded.ts, source = excluded.source`,
  );
  db.transaction(() => {
    for (const r of rows) {
      if (!Number.isSafeInteger(r.priceMicro) || r.priceMicro <= 0) {
        throw new RangeError(`tick for ${r.symbol} must be a positive price, got ${r.priceMicro / 1e6}`);
      }
      up.run(r.symbol, r.priceMicro, r.ts, r.source);
    }
  })();
}
