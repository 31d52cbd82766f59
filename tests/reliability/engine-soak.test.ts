// A short engine soak (npm run soak runs 10 days): the engine and the paper broker over three simulated trading days
// with simulated prices; after every cycle the ledger's positions equal the engine's view of the book and the hard
// cap holds.
import { describe, expect, it } from 'vitest';
import { runEngineSoak } from '../../soak/engine';
import { tempDir } from '../support/tmp';

describe('engine soak (short)', () => {
  it('three simulated days, both books: no violation, and the run really trades', async () => {
    const r = await runEngineSoak({ dir: tempDir().dir, days: 3, seed: 7 });
    expect(r.violations).toEqual([]);
    expect(r.counts.cycles).toBe(2 * 3 * 40);
    expect(r.counts.intents).toBeGreaterThan(5);
    expect(r.counts.approved).toBeGreaterThan(3);
    expect(r.counts.fills).toBeGreaterThan(0);
    // The kill switch was exercised (approvals refused while HALTED) and the increases went through the cap check at approval.
    expect(r.counts.halt_refusals).toBeGreaterThan(0);
    expect(r.counts.increases_approved).toBeGreaterThan(0);
  });
});
