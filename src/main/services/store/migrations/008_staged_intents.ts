import type { Migration } from './types';

// Orders for the next session (issue 20, docs/spec.md §6): an intent approved outside its session is STAGED until
// the session opens. The status CHECK is part of the table, so the table is rebuilt (SQLite's documented procedure:
// new table, copy, drop, rename, indexes; foreign keys off around it, checked before the commit). The trading_date
// column now names the session an intent is for.
export const migration: Migration = {
  version: 8,
  name: 'staged_intents',
  rebuild: true,
  up: `
    CREATE TABLE intents_new (
      id             TEXT PRIMARY KEY,
      kind           TEXT NOT NULL DEFAULT 'BAND',          -- BAND: a corrective intent of the band controller
      created_at     INTEGER NOT NULL,
      updated_at     INTEGER NOT NULL,
      trading_date   TEXT NOT NULL,                          -- the session it is for (expires at its close)
      bucket         TEXT NOT NULL CHECK (bucket IN ('LT','MM')),
      symbol         TEXT NOT NULL,
      classification TEXT NOT NULL,
      side           TEXT NOT NULL CHECK (side IN ('BUY','SELL')),
      qty            INTEGER NOT NULL CHECK (qty > 0),
      order_type     TEXT NOT NULL CHECK (order_type IN ('LIMIT','MARKET')),
      limit_micro    INTEGER CHECK (limit_micro IS NULL OR limit_micro > 0),
      tick_micro     INTEGER,                                -- truth tick when proposed
      pnl_pct        REAL,                                   -- unrealized PnL % of the position when proposed
      priority       INTEGER NOT NULL,
      reason         TEXT NOT NULL,
      status         TEXT NOT NULL CHECK (status IN
                       ('PENDING','STAGED','APPROVED','WORKING','FILLED','CANCELED','REJECTED','EXPIRED','SUPERSEDED')),
      order_id       TEXT,
      episode_id     INTEGER
    );
    INSERT INTO intents_new (id, kind, created_at, updated_at, trading_date, bucket, symbol, classification, side, qty,
                             order_type, limit_micro, tick_micro, pnl_pct, priority, reason, status, order_id, episode_id)
      SELECT id, kind, created_at, updated_at, trading_date, bucket, symbol, classification, side, qty,
             order_type, limit_micro, tick_micro, pnl_pct, priority, reason, status, order_id, episode_id FROM intents;
    DROP TABLE intents;
    ALTER TABLE intents_new RENAME TO intents;
    CREATE INDEX intents_status ON intents (status, id);
    CREATE INDEX intents_symbol ON intents (symbol, classification, status);
  `,
};
