// What every part of the engine works on: one object the Engine facade builds once and passes to the plain
// functions of book-cache, snapshot, lifecycle, approvals, cycle, status, views and timer.
import type { Statement } from 'better-sqlite3';
import type { AppStatus, IntegrityStatus, StreamStatus } from '../../../shared/types';
import type { Broker } from '../execution/broker';
import type { LedgerLink } from '../execution/ledger-link';
import type { PriceSource } from '../prices/source';
import type { Db } from '../store/db';
import type { BookCache } from './book-cache';
import type { ConfigStateLike } from './config';
import type { Emitter } from './emitter';
import type { IntentStore } from './store';

export interface EngineEvents {
  status: AppStatus;
  'intents:new': { ids: string[]; count: number };
  'intents:changed': { ids: string[] };
  fills: { count: number; date: string };
}

/** The prepared statements of the cycle log, the band history and the position look-up. */
interface EngineStatements {
  history: Statement;
  cycle: Statement;
  cycles: Statement;
  lastCycle: Statement;
  position: Statement;
  historySince: Statement;
  /** The stream outbox table exists (the kill switch holds its queued orders). */
  hasOutbox: boolean;
}

export interface EngineContext {
  readonly db: Db;
  readonly store: IntentStore;
  readonly prices: PriceSource;
  readonly broker: Broker;
  readonly ledger: LedgerLink;
  /** The book's account time zone: every trading date here is a date in it. */
  readonly zone: string;
  readonly config: () => ConfigStateLike;
  /** The engine's clock (epoch ms). */
  readonly now: () => number;
  readonly events: Emitter<EngineEvents>;
  readonly st: EngineStatements;
  /** In-memory copies of the book, the ticks and the remembered config. */
  readonly book: BookCache;
  /** What the bridge and the database check last reported; status() shows it. */
  readonly health: { stream: StreamStatus; integrity: IntegrityStatus };
}

export function prepareStatements(db: Db): EngineStatements {
  return {
    history: db.prepare('INSERT INTO band_history (ts, long_pct, short_pct, gross_pct, status, mode) VALUES (?, ?, ?, ?, ?, ?)'),
    cycle: db.prepare('INSERT INTO engine_cycles (at, mode, status, message) VALUES (?, ?, ?, ?)'),
    cycles: db.prepare('SELECT id, at, mode, status, message FROM engine_cycles ORDER BY id DESC LIMIT ?'),
    lastCycle: db.prepare('SELECT at FROM engine_cycles ORDER BY id DESC LIMIT 1').pluck(),
    position: db.prepare('SELECT qty FROM positions WHERE bucket = ? AND symbol = ?').pluck(),
    hasOutbox: !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stream_outbox'").get(),
    historySince: db.prepare('SELECT ts, long_pct, short_pct, gross_pct, status FROM band_history WHERE ts >= ? ORDER BY ts, id'),
  };
}
