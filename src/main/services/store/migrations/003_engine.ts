import type { Migration } from './types';

// Owned by the engine service; filled in with its capability.
export const migration: Migration = {
  version: 3,
  name: 'engine',
  up: ``,
};
