import type { Migration } from './types';

// Redis faults (issue 14): an outbox row that fails to publish waits for its own next attempt (backoff per row)
// instead of blocking every later row.
export const migration: Migration = {
  version: 6,
  name: 'stream_faults',
  up: `
    -- Epoch ms before which a failed row is not tried again (NULL: now). Set from attempts with capped exponential
    -- backoff after each failure; cleared when the row is sent.
    ALTER TABLE stream_outbox ADD COLUMN next_attempt_at INTEGER;
  `,
};
