// Exactly-once with a shortcut: when every id of a batch sorts after every id applied, the per-id probes are
// skipped. Duplicates must still be caught whatever the ids look like: growing, shuffled, non-ASCII, mixed tables.
import { describe, expect, it } from 'vitest';
import { LedgerConsumer } from '../../src/main/services/ledger/consumer';
import { newDb } from '../engine/helpers';
import { tempDir } from '../support/tmp';
import { eventLine as ev } from './helpers';

describe('duplicates across batches', () => {
  it('growing ids take the shortcut; any id at or below the applied ones is probed and caught', () => {
    const t = tempDir('ledger-dedup-');
    const db = newDb(t.dir);
    const c = new LedgerConsumer(db, { timezone: 'America/New_York' });
    expect(c.applyBatch(['b-1', 'b-2', 'b-3'].map((i) => ev(i)), 't')).toEqual({ accepted: 3, duplicates: 0, rejected: 0 });
    expect(c.applyBatch(['c-1', 'c-2'].map((i) => ev(i)), 't')).toEqual({ accepted: 2, duplicates: 0, rejected: 0 });
    // one old id among new ones, in either table
    expect(c.applyBatch([ev('d-1'), ev('b-2'), ev('a-9', 'ACK')], 't')).toEqual({ accepted: 2, duplicates: 1, rejected: 0 });
    expect(c.applyBatch([ev('e-1'), ev('a-9', 'ACK')], 't')).toEqual({ accepted: 1, duplicates: 1, rejected: 0 });
    // ids past ASCII (byte order differs from JavaScript's for some of them): always probed
    expect(c.applyBatch([ev('ž-1'), ev('😀-1')], 't')).toEqual({ accepted: 2, duplicates: 0, rejected: 0 });
    expect(c.applyBatch([ev('zz'), ev('😀-1'), ev('ž-1')], 't')).toEqual({ accepted: 1, duplicates: 2, rejected: 0 });
    expect(db.prepare('SELECT COUNT(*) FROM fills').pluck().get()).toBe(10); // every accepted one but the ACK
    db.close();
    t.cleanup();
  });
});
