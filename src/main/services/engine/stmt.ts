// Prepared statements cached per connection: the engine runs the same few dozen statements every cycle.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db';

const cache = new WeakMap<Db, Map<string, Statement>>();

export function stmt(db: Db, sql: string): Statement {
  let m = cache.get(db);
  if (!m) cache.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}

export function getStateFast(db: Db, key: string): string | undefined {
  return (stmt(db, 'SELECT value FROM app_state WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

export function setStateFast(db: Db, key: string, value: string): void {
  stmt(db, 'INSERT INTO app_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}
