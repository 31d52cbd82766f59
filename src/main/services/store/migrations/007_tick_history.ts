import type { Migration } from './types';

// Tick history (issue 16, docs/spec.md §16): every tick written to `ticks` (simulator, CSV, Redis stream) is also kept
// here with its time, so the policy lab can replay recent weeks without a price file. Bounded by
// retention.raw_days (services/prices/ticks.ts prunes it as ticks are written).
export const migration: Migration = {
  version: 7,
  name: 'tick_history',
  up: `
    CREATE TABLE tick_history (
      id          INTEGER PRIMARY KEY,
      symbol      TEXT NOT NULL,
      price_micro INTEGER NOT NULL CHECK (price_micro > 0),
      ts          INTEGER NOT NULL,
      source      TEXT NOT NULL
    );
    CREATE INDEX tick_history_ts ON tick_history (ts);
  `,
};
