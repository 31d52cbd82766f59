// The replay's working copy (docs/spec.md §16): the live book read through a read-only connection, serialized into
// an in-memory database (migrated like the file would be), then wound back to the open of the first replayed day.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { LedgerConsumer } from '../ledger/consumer';
import { HALT_KEY } from '../engine/snapshot';
import { migrate, openDb, StoreError, type Db } from '../store/db';
import { storedZone } from '../store/book-zone';
import { ReplayError } from './errors';

/**
 * An in-memory copy of the book in `file`; the file is only read. `nativeBinding`: the better-sqlite3 build to load
 * (the Electron app's own, as for every other connection it opens), else the default one.
 */
export function openCopy(file: string, nativeBinding?: string): Db {
  if (!existsSync(file)) throw new ReplayError(`database ${file} does not exist`);
  let src: Db;
  try {
    src = openDb(file, { readonly: true, nativeBinding });
  } catch (e) {
    if (e instanceof StoreError) throw new ReplayError(e.message);
    throw e;
  }
  let image: Buffer;
  try {
    image = src.serialize();
  } finally {
    src.close();
  }
  // A WAL book's header says so (bytes 18-19 = 2); an in-memory database cannot use WAL: mark it rollback-journal.
  if (image.length >= 100) {
    image[18] = 1;
    image[19] = 1;
  }
  const db = copyOf(image, nativeBinding);
  // The copy is migrated like the file would be at its next open (a book from an older app).
  try {
    migrate(db);
  } catch (e) {
    db.close();
    if (e instanceof StoreError) throw new ReplayError(e.message);
    throw e;
  }
  return db;
}

/** An in-memory database from a serialized image (of a rollback-journal book), foreign keys on. */
export function copyOf(image: Buffer, nativeBinding?: string): Db {
  const db = nativeBinding ? new Database(image, { nativeBinding }) : new Database(image);
  db.pragma('foreign_keys = ON');
  return db;
}

interface FillRow {
  bucket: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  qty: number;
  price_micro: number;
  realized_micro: number;
}

/**
 * Winds the copy back to `fromOpen` (00:00 of the first replayed day): the ledger's fills at or after it are undone
 * on the positions, exactly (the inverse of docs/spec.md §8, using each fill's recorded realized PnL), newest first;
 * what the engine and the ledger recorded from then on (intents, orders, episodes, events, aggregates) is dropped,
 * a violation episode open at that instant is open again, and the kill switch is off. A book with no fills that far
 * back is the current book.
 */
export function rewindTo(db: Db, fromOpen: number, fromDate: string, zone: string): void {
  // Everything the log holds is applied first (as the live console would), so the book is the whole ledger.
  new LedgerConsumer(db, { timezone: storedZone(db) ?? zone }).runToEnd();
  db.transaction(() => {
    const fills = db
      .prepare('SELECT bucket, symbol, side, qty, price_micro, realized_micro FROM fills WHERE ts >= ? ORDER BY id DESC')
      .all(fromOpen) as FillRow[];
    const get = db.prepare('SELECT qty, cost_micro, realized_micro FROM positions WHERE bucket = ? AND symbol = ?').safeIntegers();
    const put = db.prepare('UPDATE positions SET qty = ?, cost_micro = ?, realized_micro = ? WHERE bucket = ? AND symbol = ?');
    for (const f of fills) {
      const p = get.get(f.bucket, f.symbol) as { qty: bigint; cost_micro: bigint; realized_micro: bigint } | undefined;
      if (!p) continue;
      const before = unwind(p.qty, p.cost_micro, p.realized_micro, f);
      put.run(before.qty, before.cost, before.realized, f.bucket, f.symbol);
    }
    db.prepare('DELETE FROM fills WHERE ts >= ?').run(fromOpen);
    db.prepare('DELETE FROM order_events WHERE ts >= ?').run(fromOpen);
    db.prepare('DELETE FROM daily_agg WHERE trading_date >= ?').run(fromDate);
    db.exec('DELETE FROM event_log');
    // The engine's record from then on: the replay writes its own.
    db.exec('DROP TRIGGER IF EXISTS intent_audit_no_delete');
    const later = 'SELECT id FROM intents WHERE created_at >= ?';
    db.prepare(`DELETE FROM intent_audit WHERE intent_id IN (${later})`).run(fromOpen);
    db.prepare(`DELETE FROM paper_orders WHERE intent_id IN (${later})`).run(fromOpen);
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stream_outbox'").get()) db.exec('DELETE FROM stream_outbox');
    db.prepare('DELETE FROM intents WHERE created_at >= ?').run(fromOpen);
    db.prepare('DELETE FROM band_episodes WHERE started_at >= ?').run(fromOpen);
    db.prepare('UPDATE band_episodes SET ended_at = NULL, end_date = NULL WHERE ended_at >= ?').run(fromOpen);
    db.prepare('DELETE FROM band_history WHERE ts >= ?').run(fromOpen);
    db.prepare('DELETE FROM engine_cycles WHERE at >= ?').run(fromOpen);
    db.prepare('DELETE FROM app_state WHERE key = ?').run(HALT_KEY);
  })();
}

/** The position before a fill, from the position after it (bigint micro-units; docs/spec.md §8 run backwards). */
function unwind(qty: bigint, cost: bigint, realized: bigint, f: FillRow): { qty: bigint; cost: bigint; realized: bigint } {
  const signed = BigInt(f.side === 'BUY' ? f.qty : -f.qty);
  const q0 = qty - signed;
  const r0 = realized - BigInt(f.realized_micro);
  const notional = BigInt(f.price_micro) * BigInt(f.qty);
  if (q0 === 0n || (q0 > 0n) === (signed > 0n)) return { qty: q0, cost: cost - notional, realized: r0 };
  const abs0 = q0 < 0n ? -q0 : q0;
  const closed = BigInt(f.qty) < abs0 ? BigInt(f.qty) : abs0;
  // realized = price × closed − closed cost (long), closed cost − price × closed (short)
  const closedCost = q0 > 0n ? BigInt(f.price_micro) * closed - BigInt(f.realized_micro) : BigInt(f.realized_micro) + BigInt(f.price_micro) * closed;
  // through zero: the rest opened at the fill price, and the whole old cost was closed
  return { qty: q0, cost: BigInt(f.qty) > abs0 ? closedCost : cost + closedCost, realized: r0 };
}
