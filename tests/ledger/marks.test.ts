// The marks that let a batch skip the exact probe (services/ledger/marks.ts) must never let a duplicate through:
// ids producers number (prefix-N of growing length, leading zeros, several producers interleaved), ids with no
// digits, UUIDs, ids past ASCII, ids first seen as a lifecycle event and again as a fill, repeats from any earlier
// batch, and another connection writing to the same book between batches. The oracle is a plain set of the ids
// seen so far: the first occurrence is applied, every later one is a duplicate.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LedgerConsumer } from '../../src/main/services/ledger/consumer';
import { IdMarks } from '../../src/main/services/ledger/marks';
import { MAX_SHAPES } from '../../src/main/services/ledger/validate';
import { openDb } from '../../src/main/services/store/db';
import { tempDir } from '../support/tmp';
import { eventLine as ev } from './helpers';

const TZ = 'America/New_York';

const applied = (db: ReturnType<typeof openDb>): string[] =>
  db.prepare('SELECT event_id FROM fills UNION ALL SELECT event_id FROM order_events').pluck().all() as string[];

describe('id marks', () => {
  it('ids of one prefix and several lengths: a repeat of a shorter or longer one is caught', () => {
    const t = tempDir('ledger-marks-');
    const db = openDb(`${t.dir}/book.db`);
    const c = new LedgerConsumer(db, { timezone: TZ });
    const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `e-5-${from + i}`);
    expect(c.applyBatch(ids(0, 20).map((i) => ev(i)), 't').accepted).toBe(20);
    expect(c.applyBatch(ids(20, 150).map((i) => ev(i)), 't').accepted).toBe(130); // e-5-20 < e-5-9 as text
    // repeats of 1-, 2- and 3-digit ids among new ones; one as a lifecycle event
    const again = [ev('e-5-150'), ev('e-5-9'), ev('e-5-99', 'ACK'), ev('e-5-149'), ev('e-5-151'), ev('e-5-0')];
    expect(c.applyBatch(again, 't')).toEqual({ accepted: 2, duplicates: 4, rejected: 0 });
    // an id first seen as a lifecycle event, then as a fill of a later batch
    expect(c.applyBatch([ev('e-5-1000', 'ACK')], 't').accepted).toBe(1);
    expect(c.applyBatch([ev('e-5-1001'), ev('e-5-1000')], 't')).toEqual({ accepted: 1, duplicates: 1, rejected: 0 });
    // leading zeros are other ids (other text), of other shapes
    expect(c.applyBatch([ev('e-5-007'), ev('e-5-07'), ev('e-5-7')], 't')).toEqual({ accepted: 2, duplicates: 1, rejected: 0 });
    expect(new Set(applied(db)).size).toBe(applied(db).length);
    db.close();
    t.cleanup();
  });

  it('a batch of more shapes than it tracks (UUIDs) and one past ASCII: the greatest id of the book decides, then probes', () => {
    const t = tempDir('ledger-marks-');
    const db = openDb(`${t.dir}/book.db`);
    const c = new LedgerConsumer(db, { timezone: TZ });
    const many = Array.from({ length: MAX_SHAPES + 5 }, (_, i) => `p${String.fromCharCode(97 + (i % 26))}${i}x-${i}`);
    expect(c.applyBatch(many.map((i) => ev(i)), 't').accepted).toBe(many.length);
    expect(c.applyBatch(['q-1', 'q-2'].map((i) => ev(i)), 't').accepted).toBe(2);
    expect(c.applyBatch([ev('q-3'), ev(many[3]), ev('q-1'), ev('ž-1')], 't')).toEqual({ accepted: 2, duplicates: 2, rejected: 0 });
    expect(c.applyBatch([ev('ž-1'), ev('😀-2'), ev('q-2')], 't')).toEqual({ accepted: 1, duplicates: 2, rejected: 0 });
    db.close();
    t.cleanup();
  });

  it('another connection writing between batches: its ids are caught too', () => {
    const t = tempDir('ledger-marks-');
    const file = `${t.dir}/book.db`;
    const a = openDb(file);
    const b = openDb(file);
    const ca = new LedgerConsumer(a, { timezone: TZ });
    const cb = new LedgerConsumer(b, { timezone: TZ });
    expect(ca.applyBatch(['n-1', 'n-2', 'n-3'].map((i) => ev(i)), 't').accepted).toBe(3);
    expect(ca.applyBatch(['n-20', 'n-9'].map((i) => ev(i)), 't').accepted).toBe(2); // a's marks: n-9, n-20
    // b: ids above a's marks, one as a lifecycle event
    expect(cb.applyBatch([ev('n-30'), ev('n-4'), ev('n-40', 'ACK')], 't').accepted).toBe(3);
    expect(ca.applyBatch(['n-5', 'n-4', 'n-30', 'n-40'].map((i) => ev(i)), 't')).toEqual({ accepted: 1, duplicates: 3, rejected: 0 });
    // and two appliers on one connection share its marks (their writes do not change data_version)
    const ca2 = new LedgerConsumer(a, { timezone: TZ });
    expect(ca2.applyBatch(['n-6'].map((i) => ev(i)), 't').accepted).toBe(1);
    expect(ca.applyBatch(['n-7', 'n-6'].map((i) => ev(i)), 't')).toEqual({ accepted: 1, duplicates: 1, rejected: 0 });
    expect(IdMarks.of(a)).toBe(IdMarks.of(a));
    a.close();
    b.close();
    t.cleanup();
  });

  it('any stream of ids, batches and writers: every id applied once, the counts those of a set (randomised)', () => {
    const idArb = fc.oneof(
      // producers that number their events: a prefix and a number, sometimes zero-padded
      fc.tuple(fc.constantFrom('e-5-', 'fix-a-', 'oms3-', 'x', '', 'é-', 'ev-0'), fc.integer({ min: 0, max: 1_200 }), fc.boolean()).map(
        ([p, n, pad]) => `${p}${pad ? String(n).padStart(5, '0') : n}`,
      ),
      fc.constantFrom('alpha', 'beta', 'ž', '😀-9', 'a9b', '9'),
      fc.uuid(),
    );
    const stepArb = fc.record({
      ids: fc.array(fc.tuple(idArb, fc.constantFrom('FILL', 'FILL', 'PARTIAL_FILL', 'ACK', 'NEW')), { minLength: 1, maxLength: 40 }),
      writer: fc.constantFrom(0, 0, 0, 1, 2), // 0, 1: two consumers on one connection; 2: another connection
      again: fc.array(fc.nat(), { maxLength: 6 }), // repeats of ids seen earlier
    });
    const t = tempDir('ledger-marks-');
    let run = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 25 }), (steps) => {
        const file = `${t.dir}/p${run++}.db`;
        const a = openDb(file);
        const b = openDb(file);
        const consumers = [new LedgerConsumer(a, { timezone: TZ }), new LedgerConsumer(a, { timezone: TZ }), new LedgerConsumer(b, { timezone: TZ })];
        const seen = new Set<string>();
        const order: [string, string][] = [];
        try {
          for (const step of steps) {
            const batch: [string, string][] = [...step.ids];
            for (const k of step.again) if (order.length > 0) batch.push(order[k % order.length]);
            const want = { accepted: 0, duplicates: 0, rejected: 0 };
            for (const [id] of batch) {
              if (seen.has(id)) want.duplicates++;
              else {
                seen.add(id);
                want.accepted++;
              }
            }
            order.push(...batch);
            expect(consumers[step.writer].applyBatch(batch.map(([id, type]) => ev(id, type)), 't')).toEqual(want);
          }
          const ids = applied(a);
          expect(ids.length).toBe(seen.size);
          expect(new Set(ids)).toEqual(seen);
        } finally {
          a.close();
          b.close();
        }
      }),
      { numRuns: 60, seed: 21 },
    );
    t.cleanup();
  });
});
