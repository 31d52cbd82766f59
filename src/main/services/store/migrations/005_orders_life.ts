import type { Migration } from './types';

// Orders have a life (issue 11): the outbox carries cancel requests as well as orders, and an order row that is no
// longer valid when a HALT ends is dropped (kept, with the reason) instead of published.
export const migration: Migration = {
  version: 5,
  name: 'orders_life',
  up: `
    ALTER TABLE stream_outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'order' CHECK (kind IN ('order','cancel'));
    ALTER TABLE stream_outbox ADD COLUMN dropped_at INTEGER;
    ALTER TABLE stream_outbox ADD COLUMN drop_reason TEXT;
    DROP INDEX stream_outbox_unsent;
    CREATE INDEX stream_outbox_unsent ON stream_outbox (id) WHERE sent_at IS NULL AND dropped_at IS NULL;
  `,
};
