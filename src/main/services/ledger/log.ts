// The durable local event log: the embedded stand-in for the ev.orders stream. Producers (bandctl ingest, the paper
// broker, the Redis bridge) append raw JSON lines; LedgerConsumer reads them from its stored position.
import type { Db } from '../store/db';

/** Appends raw event lines in one transaction. Returns the seq range written ({first: 0, last: 0} when empty). */
export function appendEvents(db: Db, raws: string[], source: string): { first: number; last: number } {
  if (raws.length === 0) return { first: 0, last: 0 };
  const ins = db.prepare('INSERT INTO event_log (source, raw, at) VALUES (?, ?, ?)');
  const at = Date.now();
  return db.transaction(() => {
    let first = 0;
    let last = 0;
    for (const raw of raws) {
      last = Number(ins.run(source, raw, at).lastInsertRowid);
      if (first === 0) first = last;
    }
    return { first, last };
  })();
}

/** Highest seq in the log (0 when empty). */
export function logEnd(db: Db): number {
  return (db.prepare('SELECT COALESCE(MAX(seq), 0) FROM event_log').pluck().get() as number) ?? 0;
}
