import type { Migration } from './types';

// The engine's tables: intents and their append-only audit, band episodes and history, the cycle log, and the
// paper broker's orders. Money in micro-USD, times in epoch ms.
export const migration: Migration = {
  version: 3,
  name: 'engine',
  up: `
    CREATE TABLE intents (
      id             TEXT PRIMARY KEY,
      kind           TEXT NOT NULL DEFAULT 'BAND',          -- BAND: a corrective intent of the band controller
      created_at     INTEGER NOT NULL,
      updated_at     INTEGER NOT NULL,
      trading_date   TEXT NOT NULL,                          -- trading date of creation (expires at its end)
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
                       ('PENDING','APPROVED','WORKING','FILLED','CANCELED','REJECTED','EXPIRED','SUPERSEDED')),
      order_id       TEXT,
      episode_id     INTEGER
    );
    CREATE INDEX intents_status ON intents (status, id);
    CREATE INDEX intents_symbol ON intents (symbol, classification, status);

    -- Append-only: every transition of an intent, with its actor and reason.
    CREATE TABLE intent_audit (
      id          INTEGER PRIMARY KEY AUTOINCREMENT,
      intent_id   TEXT NOT NULL REFERENCES intents (id),
      from_status TEXT,
      to_status   TEXT NOT NULL,
      actor       TEXT NOT NULL,
      at          INTEGER NOT NULL,
      reason      TEXT NOT NULL
    );
    CREATE INDEX intent_audit_intent ON intent_audit (intent_id, id);
    CREATE TRIGGER intent_audit_no_update BEFORE UPDATE ON intent_audit
      BEGIN SELECT RAISE(ABORT, 'intent_audit is append-only'); END;
    CREATE TRIGGER intent_audit_no_delete BEFORE DELETE ON intent_audit
      BEGIN SELECT RAISE(ABORT, 'intent_audit is append-only'); END;

    -- Violation episodes of the LT band: open while ended_at IS NULL.
    CREATE TABLE band_episodes (
      id         INTEGER PRIMARY KEY AUTOINCREMENT,
      started_at INTEGER NOT NULL,
      start_date TEXT NOT NULL,
      violation  TEXT NOT NULL,
      ended_at   INTEGER,
      end_date   TEXT
    );

    -- One row per evaluation, for the charts.
    CREATE TABLE band_history (
      id        INTEGER PRIMARY KEY AUTOINCREMENT,
      ts        INTEGER NOT NULL,
      long_pct  REAL,
      short_pct REAL,
      gross_pct REAL NOT NULL,
      status    TEXT NOT NULL,
      mode      TEXT NOT NULL
    );
    CREATE INDEX band_history_ts ON band_history (ts);

    -- The Decision Engine's cycle log.
    CREATE TABLE engine_cycles (
      id      INTEGER PRIMARY KEY AUTOINCREMENT,
      at      INTEGER NOT NULL,
      mode    TEXT NOT NULL,
      status  TEXT NOT NULL,
      message TEXT NOT NULL
    );

    -- Orders of the paper broker (one per approved intent).
    CREATE TABLE paper_orders (
      order_id       TEXT PRIMARY KEY,
      intent_id      TEXT NOT NULL UNIQUE REFERENCES intents (id),
      symbol         TEXT NOT NULL,
      classification TEXT NOT NULL,
      side           TEXT NOT NULL,
      qty            INTEGER NOT NULL,
      order_type     TEXT NOT NULL,
      limit_micro    INTEGER,
      filled_qty     INTEGER NOT NULL DEFAULT 0,
      status         TEXT NOT NULL CHECK (status IN ('WORKING','FILLED','CANCELED')),
      created_at     INTEGER NOT NULL,
      updated_at     INTEGER NOT NULL,
      event_seq      INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX paper_orders_working ON paper_orders (status, symbol);

    -- Bumped by every write to ticks (any writer), so the engine's in-memory copy knows when to reload.
    CREATE TABLE engine_meta (
      id       INTEGER PRIMARY KEY CHECK (id = 1),
      tick_gen INTEGER NOT NULL
    );
    INSERT INTO engine_meta (id, tick_gen) VALUES (1, 0);
    CREATE TRIGGER ticks_gen_ins AFTER INSERT ON ticks
      BEGIN UPDATE engine_meta SET tick_gen = tick_gen + 1 WHERE id = 1; END;
    CREATE TRIGGER ticks_gen_upd AFTER UPDATE ON ticks
      BEGIN UPDATE engine_meta SET tick_gen = tick_gen + 1 WHERE id = 1; END;
    CREATE TRIGGER ticks_gen_del AFTER DELETE ON ticks
      BEGIN UPDATE engine_meta SET tick_gen = tick_gen + 1 WHERE id = 1; END;
  `,
};
