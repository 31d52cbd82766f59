// The ledger section of npm run bench; filled in with its capability.
import type { BenchSection } from './lib';

export const section: BenchSection = {
  name: 'ledger',
  async run() {
    return { figures: {}, rows: [] };
  },
};
