// This database's identity on the streams: its consumer group (one per database by default, created at first use
// and kept in app_state) and its position in each order stream.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { getState, setState, type Db } from '../store/db';
import { now as clockNow } from '../clock';

const GROUP_KEY = 'streams.group';

/** The database's own consumer group id (`band-<uuid>`), created and stored at first use. */
export function databaseGroup(db: Db): string {
  return db
    .transaction(() => {
      const have = getState(db, GROUP_KEY);
      if (have) return have;
      const g = `band-${randomUUID()}`;
      setState(db, GROUP_KEY, g);
      return g;
    })
    .immediate();
}

/** A consumer name unique to this process: `<host>-<pid>-<random>`. */
export function defaultConsumerName(): string {
  const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40) || 'host';
  return `${host}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/**
 * The key of a stream's position: the server (host:port/db, no credentials) and the stream name. Another server's
 * stream of the same name starts from its beginning (its ids say nothing about ours); use one spelling of the URL
 * for every consumer of a database.
 */
export function positionKey(url: string, stream: string): string {
  let server = url;
  try {
    const u = new URL(url);
    server = `${u.hostname}:${u.port || '6379'}/${u.pathname.replace(/^\//, '') || '0'}`;
  } catch {
    /* validated elsewhere */
  }
  return `${server} ${stream}`;
}

export interface StreamPosition {
  lastId: string | null;
  entries: number;
}

export function readPosition(db: Db, stream: string): StreamPosition {
  const r = db.prepare('SELECT last_id, entries FROM stream_positions WHERE stream = ?').get(stream) as
    | { last_id: string; entries: number }
    | undefined;
  return r ? { lastId: r.last_id, entries: r.entries } : { lastId: null, entries: 0 };
}

/** Forgets a position that is still `lastId` (the stream was recreated); returns whether it did. */
export function resetPosition(db: Db, stream: string, lastId: string): boolean {
  return db.prepare('DELETE FROM stream_positions WHERE stream = ? AND last_id = ?').run(stream, lastId).changes === 1;
}

/** Inside the caller's transaction: the batch up to `lastId` (n entries) is applied. */
export function writePosition(db: Db, stream: string, lastId: string, n: number, now = clockNow()): void {
  db.prepare(
    `INSERT INTO stream_positions (stream, last_id, entries, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(stream) DO UPDATE SET last_id = excluded.last_id, entries = entries + excluded.entries,
       updated_at = excluded.updated_at`,
  ).run(stream, lastId, n, now);
}
