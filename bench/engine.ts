// The engine section of npm run bench; filled in with its capability.
import type { BenchSection } from './lib';

export const section: BenchSection = {
  name: 'engine',
  async run() {
    return { figures: {}, rows: [] };
  },
};
