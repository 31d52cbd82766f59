import type { Migration } from './types';

// The book everyone reads: positions per (bucket, symbol) at average cost, truth ticks, and app state.
export const migration: Migration = {
  version: 1,
  name: 'core',
  up: `
    CREATE TABLE app_state (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );

    -- Position per (bucket, symbol). qty is signed (short < 0). cost_micro is the total cost basis of the open
    -- quantity in micro-USD, always >= 0; average cost = cost_micro / |qty|. realized_micro accumulates realized PnL.
    CREATE TABLE positions (
      bucket         TEXT NOT NULL CHECK (bucket IN ('LT','MM')),
      symbol         TEXT NOT NULL,
      qty            INTEGER NOT NULL,
      cost_micro     INTEGER NOT NULL CHECK (cost_micro >= 0),
      realized_micro INTEGER NOT NULL DEFAULT 0,
      updated_at     INTEGER NOT NULL,
      PRIMARY KEY (bucket, symbol)
    ) WITHOUT ROWID;

    -- Truth tick per symbol: the last valid trade price (micro-USD) and its time (epoch ms).
    CREATE TABLE ticks (
      symbol      TEXT PRIMARY KEY,
      price_micro INTEGER NOT NULL CHECK (price_micro > 0),
      ts          INTEGER NOT NULL,
      source      TEXT NOT NULL
    ) WITHOUT ROWID;
  `,
};
