import type { Migration } from './types';

// The ledger (docs/spec.md §7–§9): the durable event log (stand-in for ev.orders), the consumer's position in it, the
// fills and lifecycle events, quarantine, daily aggregates and written reports.
export const migration: Migration = {
  version: 2,
  name: 'ledger',
  up: `
    -- Raw order events in arrival order. seq is the stream position.
    CREATE TABLE event_log (
      seq    INTEGER PRIMARY KEY AUTOINCREMENT,
      source TEXT NOT NULL,
      raw    TEXT NOT NULL,
      at     INTEGER NOT NULL
    );

    -- Each consumer's position in event_log (last applied seq), committed with the batch it covers.
    CREATE TABLE ledger_consumers (
      name TEXT PRIMARY KEY,
      pos  INTEGER NOT NULL
    ) WITHOUT ROWID;

    -- Exactly-once: every applied event is ONE row, in fills or in order_events, whose event_id is a UNIQUE column of
    -- that row (the exact text: no hash, no collisions). An event is new only if its id is in neither table.
    CREATE TABLE fills (
      id             INTEGER PRIMARY KEY,
      event_id       TEXT NOT NULL UNIQUE,
      order_id       TEXT NOT NULL,
      intent_id      TEXT,
      ts             INTEGER NOT NULL,
      trading_date   TEXT NOT NULL,
      bucket         TEXT NOT NULL,
      symbol         TEXT NOT NULL,
      classification TEXT NOT NULL,
      side           TEXT NOT NULL,
      qty            INTEGER NOT NULL,
      price_micro    INTEGER NOT NULL,
      realized_micro INTEGER NOT NULL
    );
    CREATE INDEX fills_intent ON fills (intent_id) WHERE intent_id IS NOT NULL;

    -- NEW, ACK, CANCELED, REJECTED events (no effect on the book; kept for order status).
    CREATE TABLE order_events (
      id             INTEGER PRIMARY KEY,
      event_id       TEXT NOT NULL UNIQUE,
      order_id       TEXT NOT NULL,
      intent_id      TEXT,
      event_type     TEXT NOT NULL,
      ts             INTEGER NOT NULL,
      symbol         TEXT NOT NULL,
      classification TEXT NOT NULL,
      side           TEXT NOT NULL
    );
    CREATE INDEX order_events_order ON order_events (order_id);
    CREATE INDEX order_events_intent ON order_events (intent_id) WHERE intent_id IS NOT NULL;

    CREATE TABLE ledger_quarantine (
      id     INTEGER PRIMARY KEY,
      source TEXT NOT NULL,
      raw    TEXT NOT NULL,
      reason TEXT NOT NULL,
      at     INTEGER NOT NULL,
      raw_h  INTEGER NOT NULL
    );
    CREATE INDEX ledger_quarantine_raw_h ON ledger_quarantine (raw_h);

    -- Daily aggregates per (trading date in the account zone, symbol, classification); money in micro-USD.
    CREATE TABLE daily_agg (
      trading_date    TEXT NOT NULL,
      symbol          TEXT NOT NULL,
      classification  TEXT NOT NULL,
      filled_qty      INTEGER NOT NULL,
      notional_micro  INTEGER NOT NULL,
      realized_micro  INTEGER NOT NULL,
      count_fills     INTEGER NOT NULL,
      net_qty_change  INTEGER NOT NULL,
      PRIMARY KEY (trading_date, symbol, classification)
    ) WITHOUT ROWID;

    -- Bumped by every write to positions (any writer), so an in-memory copy of the book knows when to reload.
    CREATE TABLE ledger_meta (
      id         INTEGER PRIMARY KEY CHECK (id = 1),
      generation INTEGER NOT NULL
    );
    INSERT INTO ledger_meta (id, generation) VALUES (1, 0);
    CREATE TRIGGER positions_gen_ins AFTER INSERT ON positions
      BEGIN UPDATE ledger_meta SET generation = generation + 1 WHERE id = 1; END;
    CREATE TRIGGER positions_gen_upd AFTER UPDATE ON positions
      BEGIN UPDATE ledger_meta SET generation = generation + 1 WHERE id = 1; END;
    CREATE TRIGGER positions_gen_del AFTER DELETE ON positions
      BEGIN UPDATE ledger_meta SET generation = generation + 1 WHERE id = 1; END;

    CREATE TABLE position_imports (
      id     INTEGER PRIMARY KEY,
      source TEXT NOT NULL,
      rows   INTEGER NOT NULL,
      at     INTEGER NOT NULL
    );

    -- EOD report files written by the scheduler (docs/spec.md §9).
    CREATE TABLE eod_reports_written (
      trading_date TEXT PRIMARY KEY,
      written_at   INTEGER NOT NULL,
      dir          TEXT NOT NULL
    ) WITHOUT ROWID;
  `,
};
