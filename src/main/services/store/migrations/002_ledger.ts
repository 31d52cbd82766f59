import type { Migration } from './types';

// Owned by the ledger service; filled in with its capability.
export const migration: Migration = {
  version: 2,
  name: 'ledger',
  up: ``,
};
