import type { Migration } from './types';

// The Redis Streams bridge (issue 6): this database's position in each order stream it consumes (committed in the
// same transaction as the entries it covers), and the outbox of approved orders waiting to be published.
export const migration: Migration = {
  version: 4,
  name: 'streams',
  up: `
    -- Last entry id of the Redis stream applied to this database. Entries are applied in stream order, so every
    -- entry id <= last_id has been applied (or quarantined); a redelivered one is acknowledged, never applied again.
    -- stream = '<host>:<port>/<db> <stream name>' (positionKey): a position means nothing on another server.
    CREATE TABLE stream_positions (
      stream     TEXT PRIMARY KEY,
      last_id    TEXT NOT NULL,
      entries    INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;

    -- Approved orders for the external execution service. Written in the approval's transaction; published to Redis
    -- (XADD, idempotent on idem_key = intent id) by a background loop; sent_at set after Redis confirmed it.
    CREATE TABLE stream_outbox (
      id         INTEGER PRIMARY KEY AUTOINCREMENT,
      stream     TEXT NOT NULL,
      idem_key   TEXT NOT NULL,
      payload    TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      attempts   INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      sent_at    INTEGER,
      entry_id   TEXT,
      UNIQUE (stream, idem_key)
    );
    CREATE INDEX stream_outbox_unsent ON stream_outbox (id) WHERE sent_at IS NULL;
  `,
};
