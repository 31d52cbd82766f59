// The durable local event log: the embedded stand-in for the ev.orders stream. Producers (bandctl ingest, the paper
// broker, the Redis bridge) append raw JSON lines; LedgerConsumer reads them from its stored position.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db';
import { now } from '../clock';

/** Rows per multi-row INSERT (fewer calls into SQLite for bulk appends; 3 × 64 = 192 parameters). */
const ROWS = 64;
const stmts = new WeakMap<Db, { one: Statement; many: Statement }>();

function statements(db: Db): { one: Statement; many: Statement } {
  let s = stmts.get(db);
  if (!s) {
    const sql = 'INSERT INTO event_log (source, raw, at) VALUES ';
    s = {
      one: db.prepare(`${sql}(?, ?, ?)`),
      many: db.prepare(`${sql}${new Array(ROWS).fill('(?, ?, ?)').join(', ')}`),
    };
    stmts.set(db, s);
  }
  return s;
}

/**
 * Appends raw event lines in one transaction, in order. Returns the seq range written ({first: 0, last: 0} when
 * empty); seq is AUTOINCREMENT and the transaction holds the write lock, so the range is contiguous.
 */
export function appendEvents(db: Db, raws: readonly string[], source: string): { first: number; last: number } {
  if (raws.length === 0) return { first: 0, last: 0 };
  const { one, many } = statements(db);
  const at = now();
  return db.transaction(() => {
    let first = 0;
    let last = 0;
    let i = 0;
    if (raws.length >= ROWS) {
      const args = new Array<unknown>(3 * ROWS);
      for (; i + ROWS <= raws.length; i += ROWS) {
        for (let j = 0; j < ROWS; j++) {
          args[3 * j] = source;
          args[3 * j + 1] = raws[i + j];
          args[3 * j + 2] = at;
        }
        last = Number(many.run(args).lastInsertRowid);
        if (first === 0) first = last - ROWS + 1;
      }
    }
    for (; i < raws.length; i++) {
      last = Number(one.run(source, raws[i], at).lastInsertRowid);
      if (first === 0) first = last;
    }
    return { first, last };
  })();
}

/** Highest seq in the log (0 when empty). */
export function logEnd(db: Db): number {
  return (db.prepare('SELECT COALESCE(MAX(seq), 0) FROM event_log').pluck().get() as number) ?? 0;
}

interface CompactResult {
  /** event_log rows whose raw text was removed. */
  removed: number;
  /** Events older than this (epoch ms) and applied by every consumer were eligible. */
  cutoff: number;
}

/**
 * Bounded growth (issue 13): the raw text of events older than `rawDays` that every consumer has applied is dropped
 * from the log. What makes ingest exactly-once stays: each applied event's id is a UNIQUE column of its row in fills
 * or order_events, so a duplicate is still caught; fills, aggregates and the quarantine (raw text of refused events)
 * are kept. The newest applied row stays, so the log's position is never lost.
 */
export function compactLog(db: Db, opts: { rawDays: number; now?: number }): CompactResult {
  const cutoff = (opts.now ?? now()) - opts.rawDays * 86_400_000;
  const applied = db.prepare('SELECT MIN(pos) FROM ledger_consumers').pluck().get() as number | null;
  if (!applied) return { removed: 0, cutoff };
  const r = db.prepare('DELETE FROM event_log WHERE seq < ? AND at < ?').run(applied, cutoff);
  return { removed: r.changes, cutoff };
}
