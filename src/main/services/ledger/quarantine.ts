// The ledger's exactly-once and quarantine checks, one copy for every writer of the book: the batch applier
// (apply.ts) and the Redis consumer's redelivery and dead-letter checks (streams/consumer-apply.ts). An event is
// applied when its event_id (exact text) is a row of fills or order_events; a bad input is quarantined once per exact
// text (raw_h is hash53 of it, the text itself is compared). Statements are prepared once per connection.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db';
import { hash53 } from './hash';

interface Statements {
  applied: Statement;
  find: Statement;
  insert: Statement;
}

const prepared = new WeakMap<Db, Statements>();

function statements(db: Db): Statements {
  let st = prepared.get(db);
  if (!st) {
    st = {
      applied: db
        .prepare(
          'SELECT EXISTS (SELECT 1 FROM fills WHERE event_id = ?) OR EXISTS (SELECT 1 FROM order_events WHERE event_id = ?)',
        )
        .pluck(),
      find: db.prepare('SELECT raw FROM ledger_quarantine WHERE raw_h = ?').pluck(),
      insert: db.prepare('INSERT INTO ledger_quarantine (source, raw, reason, at, raw_h) VALUES (?, ?, ?, ?, ?)'),
    };
    prepared.set(db, st);
  }
  return st;
}

/** Whether the event with this id is applied (a fill or a lifecycle event). */
export function isApplied(db: Db, id: string): boolean {
  return Boolean(statements(db).applied.get(id, id));
}

/** Whether this exact text is in the quarantine (`h`: its hash53, if the caller has it). */
export function isQuarantined(db: Db, text: string, h = hash53(text)): boolean {
  return (statements(db).find.all(h) as string[]).includes(text);
}

/** Quarantines `text` (`h`: its hash53, if the caller has it). */
export function quarantine(db: Db, source: string, text: string, reason: string, at: number, h = hash53(text)): void {
  statements(db).insert.run(source, text, reason, at, h);
}
