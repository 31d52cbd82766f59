// Property tests of the Decision Engine on real SQLite: random books, configs and sequences of cycles, approvals,
// fills, rejections and halts. Invariants: projected gross (book + every open increase, at truth ticks) never
// rises over the hard cap; nothing is proposed outside CORRECTING or outside NORMAL.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { appendEvents } from '../../src/main/services/ledger/log';
import { Engine } from '../../src/main/services/engine/engine';
import { capMicro } from '../../src/main/services/bands/math';
import type { Db } from '../../src/main/services/store/db';
import { newDb, setBook, type P } from './helpers';
import { fixedConfig, makeConfig } from '../support/config';
import { tempDir } from '../support/tmp';

const tmp = tempDir('engine-prop-');
afterAll(() => tmp.cleanup());

function projectedGross(db: Db, workingOnly = false): bigint {
  const book = db
    .prepare(
      `SELECT COALESCE(SUM(ABS(p.qty) * t.price_micro), 0) FROM positions p JOIN ticks t ON t.symbol = p.symbol`,
    )
    .pluck()
    .safeIntegers(true)
    .get() as bigint;
  const open = db
    .prepare(
      `SELECT i.id, i.qty, t.price_micro AS tick FROM intents i JOIN ticks t ON t.symbol = i.symbol
       WHERE i.status IN (${workingOnly ? '' : "'PENDING',"}'APPROVED','WORKING') AND i.classification LIKE '%INCREASE'`,
    )
    .all() as { id: string; qty: number; tick: number }[];
  const filled = new Map(
    (db.prepare('SELECT intent_id, SUM(qty) AS q FROM fills WHERE intent_id IS NOT NULL GROUP BY intent_id').all() as {
      intent_id: string;
      q: number;
    }[]).map((r) => [r.intent_id, r.q]),
  );
  let sum = book;
  for (const o of open) sum += BigInt(o.qty - (filled.get(o.id) ?? 0)) * BigInt(o.tick);
  return sum;
}

const SYMS = ['AA', 'BB', 'CC', 'DD', 'EE', 'FF', 'GG', 'HH', 'II', 'JJ'];

const arbBook = fc
  .array(
    fc.record({
      sym: fc.integer({ min: 0, max: SYMS.length - 1 }),
      mm: fc.boolean(),
      qty: fc.integer({ min: -20_000, max: 20_000 }).filter((q) => q !== 0),
      avg: fc.integer({ min: 500, max: 50_000 }),
      move: fc.integer({ min: -30, max: 30 }),
    }),
    { minLength: 3, maxLength: 16 },
  )
  .map((rows) => {
    const seen = new Set<string>();
    const ticks = new Map<string, number>();
    const out: P[] = [];
    for (const r of rows) {
      const bucket = r.mm ? 'MM' : 'LT';
      const key = `${bucket}|${r.sym}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const symbol = SYMS[r.sym];
      const avg = r.avg / 100;
      if (!ticks.has(symbol)) ticks.set(symbol, Math.max(0.01, Math.round(avg * (100 + r.move)) / 100));
      out.push({ bucket, symbol, qty: r.qty, avg, tick: ticks.get(symbol) });
    }
    return out;
  });

type Step =
  | { t: 'eval'; days: number }
  | { t: 'approve'; pick: number }
  | { t: 'fill'; pick: number }
  | { t: 'reject'; pick: number }
  | { t: 'move'; sym: number; pct: number }
  | { t: 'halt' }
  | { t: 'resume' };

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('eval' as const), days: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('approve' as const), pick: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('fill' as const), pick: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reject' as const), pick: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('move' as const), sym: fc.integer({ min: 0, max: 9 }), pct: fc.integer({ min: -20, max: 30 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'halt' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'resume' as const }) },
);

const arbScenario = fc.record({
  book: arbBook,
  lowLong: fc.integer({ min: 20, max: 70 }),
  width: fc.integer({ min: 2, max: 20 }),
  tolerance: fc.integer({ min: 0, max: 1 }),
  shortWide: fc.boolean(), // only the long band can be violated: LONG_LOW proposes increases first
  size: fc.integer({ min: 1, max: 25 }).map((x) => x / 100),
  limit: fc.boolean(),
  prefer: fc.boolean(),
  lot: fc.constantFrom(1, 10, 100),
  perCycle: fc.integer({ min: 1, max: 3 }),
  maxOpen: fc.integer({ min: 1, max: 8 }),
  cap: fc.integer({ min: 60, max: 200 }),
  load: fc.oneof(fc.integer({ min: 40, max: 110 }), fc.integer({ min: 96, max: 100 })), // book gross as % of the cap
  steps: fc.array(arbStep, { minLength: 4, maxLength: 14 }),
});

const pick = <T>(xs: T[], mask: number) => xs.filter((_, i) => (mask >> i % 8) & 1);

describe('Decision Engine on SQLite, property-based', () => {
  it('no sequence of cycles and approvals takes projected gross over the cap; nothing proposed outside CORRECTING / NORMAL', () => {
    let run = 0;
    let created = 0;
    let approvedIncreases = 0;
    let increases = 0;
    fc.assert(
      fc.property(arbScenario, (sc) => {
        const db = newDb(tmp.dir, `p${run++}.sqlite`);
        try {
          const gross = sc.book.reduce((a, p) => a + Math.abs(p.qty) * (p.tick ?? p.avg), 0);
          const config = makeConfig({
            equity: Math.max(1000, Math.round((gross * 100 * 100) / (sc.cap * sc.load))),
            cap: sc.cap,
            band: {
              long_pct_range: [sc.lowLong, sc.lowLong + sc.width],
              short_pct_range: sc.shortWide ? [0, 100] : [100 - sc.lowLong - sc.width, 100 - sc.lowLong],
              tolerance_days: sc.tolerance,
              corrective_intent_size_pct: sc.size,
              use_limit_orders: sc.limit,
              prefer_positive_pnl: sc.prefer,
              lot_size: sc.lot,
              max_intents_per_cycle: sc.perCycle,
              max_open_intents: sc.maxOpen,
            },
          });
          setBook(db, sc.book);
          let now = Date.UTC(2024, 0, 8, 15, 0); // Monday 10:00 New York
          const engine = new Engine({ db, config: fixedConfig(config), actor: 'tester', now: () => now });
          const cap = capMicro(config.account.equity, config.global.hard_cap_gross_pct);
          let seq = 0;
          for (const step of sc.steps) {
            const before = projectedGross(db);
            const committedBefore = projectedGross(db, true);
            if (step.t === 'eval') {
              now += step.days * 86_400_000 + 60_000;
              const r = engine.evaluate(now);
              if (r.mode !== 'NORMAL') expect(r.status).toBe('SUSPENDED');
              if (r.status !== 'CORRECTING' || r.mode !== 'NORMAL') expect(r.intents).toEqual([]);
              created += r.intents.length;
              increases += r.intents.filter((i) => i.classification.endsWith('INCREASE')).length;
              const lim = config.buckets.LT.band_drift;
              expect(r.intents.length).toBeLessThanOrEqual(lim.max_intents_per_cycle);
              const open = db.prepare("SELECT COUNT(*) FROM intents WHERE status IN ('PENDING','APPROVED','WORKING')").pluck().get() as number;
              if (r.intents.length) expect(open).toBeLessThanOrEqual(lim.max_open_intents);
            } else if (step.t === 'approve') {
              const ids = pick(engine.listIntents('PENDING', 100).map((i) => i.id), step.pick);
              const out = engine.approve(ids, 'tester', now);
              for (const o of out) {
                if (o.ok && o.status === 'WORKING' && /INCREASE/.test(engine.store.get(o.id)!.classification)) approvedIncreases++;
              }
            } else if (step.t === 'fill') {
              const working = pick(engine.listIntents('WORKING', 100), step.pick);
              const raws = working.map((w) =>
                JSON.stringify({
                  event_id: `t-${run}-${seq++}`,
                  order_id: `o-${w.id.slice(2)}`,
                  intent_id: w.id,
                  ts: new Date(now).toISOString(),
                  symbol: w.symbol,
                  classification: w.classification,
                  side: w.side,
                  event_type: 'FILL',
                  fill_qty: w.qty,
                  fill_price: w.limit_price ?? w.tick,
                }),
              );
              appendEvents(db, raws, 'test');
              const changed = engine.sync(now);
              expect(new Set(changed)).toEqual(new Set(working.map((w) => w.id)));
            } else if (step.t === 'reject') {
              engine.reject(pick(engine.listIntents('PENDING', 100).map((i) => i.id), step.pick), 'tester', 'no', now);
            } else if (step.t === 'move') {
              // prices move: projected gross may now exceed the cap; approvals must re-check at these ticks
              db.prepare('UPDATE ticks SET price_micro = MAX(10000, (price_micro * ? / 1000000) * 10000) WHERE symbol = ?').run(BigInt(100 + step.pct), SYMS[step.sym]);
              continue;
            } else if (step.t === 'halt') engine.halt('tester', 'test', now);
            else engine.resume('tester', now);
            const after = projectedGross(db);
            expect(after <= (before > cap ? before : cap)).toBe(true);
            // what is committed (book + working increases) never rises over the cap by an approval either
            const committed = projectedGross(db, true);
            expect(committed <= (committedBefore > cap ? committedBefore : cap)).toBe(true);
          }
        } finally {
          db.close();
        }
      }),
      { numRuns: 150, seed: 4242, endOnFailure: true }, // no shrinking: each run opens a database
    );
    expect(created).toBeGreaterThan(150);
    expect(increases).toBeGreaterThan(30);
    expect(approvedIncreases).toBeGreaterThan(5);
  });
});
