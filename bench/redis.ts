// The redis section of npm run bench; filled in with its capability.
import type { BenchSection } from './lib';

export const section: BenchSection = {
  name: 'redis',
  async run() {
    return { figures: {}, rows: [] };
  },
};
