// Test fixtures for the engine tests: real SQLite files (in a tests/support temp dir) and opening books.
import { join } from 'node:path';
import { openDb, type Db } from '../../src/main/services/store/db';

export function newDb(dir: string, name = 'db.sqlite'): Db {
  return openDb(join(dir, name));
}

export interface P {
  bucket?: 'LT' | 'MM';
  symbol: string;
  qty: number;
  avg: number;
  tick?: number;
}

/** An opening book written as a fixture (the engine only ever reads positions). */
export function setBook(db: Db, book: readonly P[], ts = 0): void {
  const pos = db.prepare(
    `INSERT INTO positions (bucket, symbol, qty, cost_micro, realized_micro, updated_at) VALUES (?, ?, ?, ?, 0, ?)
     ON CONFLICT(bucket, symbol) DO UPDATE SET qty = excluded.qty, cost_micro = excluded.cost_micro`,
  );
  const tick = db.prepare(
    `INSERT INTO ticks (symbol, price_micro, ts, source) VALUES (?, ?, ?, 'test')
     ON CONFLICT(symbol) DO UPDATE SET price_micro = excluded.price_micro`,
  );
  db.transaction(() => {
    for (const p of book) {
      pos.run(p.bucket ?? 'LT', p.symbol, p.qty, Math.round(p.avg * 1e6) * Math.abs(p.qty), ts);
      tick.run(p.symbol, Math.round((p.tick ?? p.avg) * 1e6), ts);
    }
  })();
}
