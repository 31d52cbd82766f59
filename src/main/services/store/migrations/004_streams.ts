import type { Migration } from './types';

// Owned by the streams service; filled in with its capability.
export const migration: Migration = {
  version: 4,
  name: 'streams',
  up: ``,
};
