// Issue #11 item 7: an oracle for the docs/spec.md §5 action table and its tie rule, written from docs/spec.md §4/§5 alone and
// independently of src/main/services/bands/controller.ts (nothing of that file is used below except the functions
// under test and its types). Table tests pin the edges; fast-check properties compare the controller with the oracle
// over random percentages, random ranges (complementary and not) and random small books.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decidingRow,
  isViolated,
  proposeIntents,
  violationOf,
  type ProposalInput,
} from '../../src/main/services/bands/controller';
import { measureBand, type BookPosition } from '../../src/main/services/bands/math';
import { defaultConfig } from '../../src/main/services/config/load';
import type { BandDriftConfig } from '../../src/main/services/config/schema';

// ---------------------------------------------------------------------------------------------------------------
// The oracle (docs/spec.md §4 and §5)
// ---------------------------------------------------------------------------------------------------------------

type LtClass = 'LT_LONG_DECREASE' | 'LT_LONG_INCREASE' | 'LT_SHORT_DECREASE' | 'LT_SHORT_INCREASE';
type OBreach = 'HIGH' | 'LOW';
type OMeasure = 'long' | 'short';

/** docs/spec.md §5 table, typed in again from the spec: violation → preferred classifications, first preferred first. */
const SPEC_TABLE: Record<OMeasure, Record<OBreach, readonly [LtClass, LtClass]>> = {
  short: {
    HIGH: ['LT_SHORT_DECREASE', 'LT_LONG_INCREASE'],
    LOW: ['LT_SHORT_INCREASE', 'LT_LONG_DECREASE'],
  },
  long: {
    HIGH: ['LT_LONG_DECREASE', 'LT_SHORT_INCREASE'],
    LOW: ['LT_LONG_INCREASE', 'LT_SHORT_DECREASE'],
  },
};

/** docs/spec.md §5 sides: buying raises a long or covers a short; selling lowers a long or opens/extends a short. */
const SPEC_SIDE: Record<LtClass, 'BUY' | 'SELL'> = {
  LT_LONG_INCREASE: 'BUY',
  LT_LONG_DECREASE: 'SELL',
  LT_SHORT_INCREASE: 'SELL',
  LT_SHORT_DECREASE: 'BUY',
};

const isDecrease = (c: string): boolean => c.endsWith('_DECREASE');
const actsOnLong = (c: string): boolean => c.startsWith('LT_LONG_');

/** docs/spec.md §4: outside [min, max] is a violation; the bounds themselves are in band. No exposure (null) is no violation. */
function oViolation(pct: number | null, range: readonly [number, number]): OBreach | null {
  if (pct === null) return null;
  if (pct > range[1]) return 'HIGH';
  if (pct < range[0]) return 'LOW';
  return null;
}

interface ORow {
  measure: OMeasure;
  breach: OBreach;
  pct: number;
  bound: number;
  size: number;
  actions: readonly [LtClass, LtClass];
}

function oRowOf(measure: OMeasure, pct: number, range: readonly [number, number], breach: OBreach): ORow {
  const bound = breach === 'HIGH' ? range[1] : range[0];
  return { measure, breach, pct, bound, size: Math.abs(pct - bound), actions: SPEC_TABLE[measure][breach] };
}

/**
 * docs/spec.md §5: one band violated → its row; both → the row whose first action is a DECREASE. Where the spec is silent
 * (both first actions are decreases, or neither — only with non-complementary ranges) the documented choice: the
 * larger breach |pct − bound| decides, long on a tie.
 */
function oDecidingRow(m: { long_pct: number | null; short_pct: number | null }, cfg: BandDriftConfig): ORow | null {
  const lb = oViolation(m.long_pct, cfg.long_pct_range);
  const sb = oViolation(m.short_pct, cfg.short_pct_range);
  const L = lb === null ? null : oRowOf('long', m.long_pct!, cfg.long_pct_range, lb);
  const S = sb === null ? null : oRowOf('short', m.short_pct!, cfg.short_pct_range, sb);
  if (L === null) return S;
  if (S === null) return L;
  const lDec = isDecrease(L.actions[0]);
  const sDec = isDecrease(S.actions[0]);
  if (lDec && !sDec) return L;
  if (sDec && !lDec) return S;
  return S.size > L.size ? S : L;
}

/**
 * docs/spec.md §5 PnL filter, exactly (BigInt, no floating point): with avg = cost/|qty| and value = |qty| × tick,
 * long PnL% = (value − cost)/cost × 100, short PnL% = (cost − value)/cost × 100; qualifies iff PnL% ≥ −loss, i.e.
 * 100 × (±(value − cost)) + loss × cost ≥ 0 (cost > 0). `loss` must be a whole number here.
 */
function oPnlQualifies(p: BookPosition, tickMicro: number, lossPct: number): boolean {
  if (!Number.isInteger(lossPct)) throw new Error('oracle handles whole-number acceptable_loss_pct only');
  const value = BigInt(Math.abs(p.qty)) * BigInt(tickMicro);
  const cost = BigInt(p.costMicro);
  if (cost <= 0n) throw new Error('oracle handles positive cost bases only');
  const gain = p.qty > 0 ? value - cost : cost - value;
  return 100n * gain + BigInt(lossPct) * cost >= 0n;
}

/** docs/spec.md §5 candidates of a classification (no open intents, so no dedup). */
function oCandidates(cls: LtClass, input: ProposalInput): BookPosition[] {
  return input.positions.filter((p) => {
    if (p.bucket !== 'LT') return false;
    if (actsOnLong(cls) ? p.qty <= 0 : p.qty >= 0) return false;
    const t = input.ticks.get(p.symbol);
    if (t === undefined) return false;
    return !input.cfg.prefer_positive_pnl || oPnlQualifies(p, t, input.cfg.acceptable_loss_pct);
  });
}

/**
 * Which classification the controller uses: the first of the deciding row that yields an intent, else the second;
 * null when there is no row or neither yields one. With no open intents and the hard cap out of reach, a
 * classification yields an intent iff it has a qualifying candidate.
 */
function oClassification(input: ProposalInput): LtClass | null {
  const row = oDecidingRow(input.measure, input.cfg);
  if (row === null) return null;
  for (const c of row.actions) if (oCandidates(c, input).length > 0) return c;
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

function band(over: Partial<BandDriftConfig> = {}): BandDriftConfig {
  return { ...defaultConfig().buckets.LT.band_drift, ...over };
}

function rowShape(r: { measure: string; breach: string; pct: number; bound: number; actions: readonly string[] } | null) {
  return r === null ? null : { measure: r.measure, breach: r.breach, pct: r.pct, bound: r.bound, actions: [...r.actions] };
}

const DEFAULTS = band({ long_pct_range: [60, 70], short_pct_range: [30, 40] });

/** A book at $1 ticks: long shares on one symbol, short shares on another (cost = value: PnL 0 %). */
function book(longQty: number, shortQty: number, tickCents = 100): { positions: BookPosition[]; ticks: Map<string, number> } {
  const tick = tickCents * 10_000;
  const positions: BookPosition[] = [];
  if (longQty > 0) positions.push({ bucket: 'LT', symbol: 'L', qty: longQty, costMicro: longQty * tick });
  if (shortQty > 0) positions.push({ bucket: 'LT', symbol: 'S', qty: -shortQty, costMicro: shortQty * tick });
  return { positions, ticks: new Map([['L', tick], ['S', tick]]) };
}

function input(
  b: { positions: BookPosition[]; ticks: Map<string, number> },
  cfg: BandDriftConfig,
  equity = 1e12,
  hardCapPct = 400,
): ProposalInput {
  return {
    positions: b.positions,
    ticks: b.ticks,
    measure: measureBand(b.positions, b.ticks, equity),
    cfg,
    equity,
    hardCapPct,
    open: [],
    days: cfg.tolerance_days + 1,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Table tests
// ---------------------------------------------------------------------------------------------------------------

describe('docs/spec.md §5 action table and tie rule, oracle tables', () => {
  const cases: {
    name: string;
    long: number | null;
    short: number | null;
    cfg: BandDriftConfig;
    want: { measure: OMeasure; breach: OBreach; actions: [LtClass, LtClass] } | null;
  }[] = [
    { name: 'exactly 60 / 40 is IN_BAND', long: 60, short: 40, cfg: DEFAULTS, want: null },
    { name: 'exactly 70 / 30 is IN_BAND', long: 70, short: 30, cfg: DEFAULTS, want: null },
    { name: 'no exposure is no violation', long: null, short: null, cfg: DEFAULTS, want: null },
    {
      name: 'long 70.0001 (short 29.9999) violates: both, the decrease row (long HIGH) decides',
      long: 70.0001,
      short: 100 - 70.0001,
      cfg: DEFAULTS,
      want: { measure: 'long', breach: 'HIGH', actions: ['LT_LONG_DECREASE', 'LT_SHORT_INCREASE'] },
    },
    {
      name: 'long 59.9999 (short 40.0001) violates: both, the decrease row (short HIGH) decides',
      long: 59.9999,
      short: 100 - 59.9999,
      cfg: DEFAULTS,
      want: { measure: 'short', breach: 'HIGH', actions: ['LT_SHORT_DECREASE', 'LT_LONG_INCREASE'] },
    },
    {
      name: 'complementary, long 75 / short 25: LONG_DECREASE decides',
      long: 75,
      short: 25,
      cfg: DEFAULTS,
      want: { measure: 'long', breach: 'HIGH', actions: ['LT_LONG_DECREASE', 'LT_SHORT_INCREASE'] },
    },
    {
      name: 'complementary, long 55 / short 45: SHORT_DECREASE decides',
      long: 55,
      short: 45,
      cfg: DEFAULTS,
      want: { measure: 'short', breach: 'HIGH', actions: ['LT_SHORT_DECREASE', 'LT_LONG_INCREASE'] },
    },
    // each row alone (non-complementary ranges: the other measure's range is wide)
    {
      name: 'row alone: short too high',
      long: 55,
      short: 45,
      cfg: band({ long_pct_range: [0, 100], short_pct_range: [30, 40] }),
      want: { measure: 'short', breach: 'HIGH', actions: ['LT_SHORT_DECREASE', 'LT_LONG_INCREASE'] },
    },
    {
      name: 'row alone: short too low',
      long: 75,
      short: 25,
      cfg: band({ long_pct_range: [0, 100], short_pct_range: [30, 40] }),
      want: { measure: 'short', breach: 'LOW', actions: ['LT_SHORT_INCREASE', 'LT_LONG_DECREASE'] },
    },
    {
      name: 'row alone: long too high',
      long: 75,
      short: 25,
      cfg: band({ long_pct_range: [60, 70], short_pct_range: [0, 100] }),
      want: { measure: 'long', breach: 'HIGH', actions: ['LT_LONG_DECREASE', 'LT_SHORT_INCREASE'] },
    },
    {
      name: 'row alone: long too low',
      long: 55,
      short: 45,
      cfg: band({ long_pct_range: [60, 70], short_pct_range: [0, 100] }),
      want: { measure: 'long', breach: 'LOW', actions: ['LT_LONG_INCREASE', 'LT_SHORT_DECREASE'] },
    },
    // both violated, non-complementary, one decrease row: the decrease row decides even when its breach is smaller
    {
      name: 'non-complementary, long HIGH (1) + short LOW (19): the decrease row (long) decides',
      long: 41,
      short: 41,
      cfg: band({ long_pct_range: [0, 40], short_pct_range: [60, 100] }),
      want: { measure: 'long', breach: 'HIGH', actions: ['LT_LONG_DECREASE', 'LT_SHORT_INCREASE'] },
    },
    {
      name: 'non-complementary, long LOW (19) + short HIGH (1): the decrease row (short) decides',
      long: 41,
      short: 41,
      cfg: band({ long_pct_range: [60, 100], short_pct_range: [0, 40] }),
      want: { measure: 'short', breach: 'HIGH', actions: ['LT_SHORT_DECREASE', 'LT_LONG_INCREASE'] },
    },
    // silent cases: both first actions are decreases → the larger breach, long on a tie
    {
      name: 'silent, both HIGH, long breach 15 > short 5: long decides',
      long: 55,
      short: 45,
      cfg: band({ long_pct_range: [0, 40], short_pct_range: [0, 40] }),
      want: { measure: 'long', breach: 'HIGH', actions: ['LT_LONG_DECREASE', 'LT_SHORT_INCREASE'] },
    },
    {
      name: 'silent, both HIGH, short breach 15 > long 5: short decides',
      long: 45,
      short: 55,
      cfg: band({ long_pct_range: [0, 40], short_pct_range: [0, 40] }),
      want: { measure: 'short', breach: 'HIGH', actions: ['LT_SHORT_DECREASE', 'LT_LONG_INCREASE'] },
    },
    {
      name: 'silent, both HIGH, tie 10 = 10: long decides',
      long: 50,
      short: 50,
      cfg: band({ long_pct_range: [0, 40], short_pct_range: [0, 40] }),
      want: { measure: 'long', breach: 'HIGH', actions: ['LT_LONG_DECREASE', 'LT_SHORT_INCREASE'] },
    },
    // silent cases: neither first action is a decrease (both LOW)
    {
      name: 'silent, both LOW, short breach 15 > long 5: short decides',
      long: 55,
      short: 45,
      cfg: band({ long_pct_range: [60, 100], short_pct_range: [60, 100] }),
      want: { measure: 'short', breach: 'LOW', actions: ['LT_SHORT_INCREASE', 'LT_LONG_DECREASE'] },
    },
    {
      name: 'silent, both LOW, long breach 15 > short 5: long decides',
      long: 45,
      short: 55,
      cfg: band({ long_pct_range: [60, 100], short_pct_range: [60, 100] }),
      want: { measure: 'long', breach: 'LOW', actions: ['LT_LONG_INCREASE', 'LT_SHORT_DECREASE'] },
    },
    {
      name: 'silent, both LOW, tie 10 = 10: long decides',
      long: 50,
      short: 50,
      cfg: band({ long_pct_range: [60, 100], short_pct_range: [60, 100] }),
      want: { measure: 'long', breach: 'LOW', actions: ['LT_LONG_INCREASE', 'LT_SHORT_DECREASE'] },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const m = { long_pct: c.long, short_pct: c.short };
      const o = oDecidingRow(m, c.cfg);
      // the oracle agrees with the hand-written expectation…
      expect(o && { measure: o.measure, breach: o.breach, actions: [...o.actions] }).toEqual(c.want);
      // …and the controller agrees with both
      const r = decidingRow(m, c.cfg);
      expect(r && { measure: r.measure, breach: r.breach, actions: [...r.actions] }).toEqual(c.want);
      expect(rowShape(r)).toEqual(rowShape(o));
      const v = violationOf(m, c.cfg);
      expect(v).toEqual({ long: oViolation(c.long, c.cfg.long_pct_range), short: oViolation(c.short, c.cfg.short_pct_range) });
      expect(isViolated(v)).toBe(c.want !== null);
    });
  }

  it('exactly 60/40 and 70/30 books (through measureBand) are IN_BAND: no row, no classification, no intents', () => {
    for (const [l, s] of [
      [60, 40],
      [70, 30],
      [600_000, 400_000],
      [700_000, 300_000],
    ]) {
      const inp = input(book(l, s), DEFAULTS);
      expect(inp.measure.long_pct! + inp.measure.short_pct!).toBeCloseTo(100, 9);
      expect(violationOf(inp.measure, DEFAULTS)).toEqual({ long: null, short: null });
      expect(decidingRow(inp.measure, DEFAULTS)).toBeNull();
      const r = proposeIntents(inp);
      expect(r.row).toBeNull();
      expect(r.classification).toBeNull();
      expect(r.intents).toEqual([]);
    }
  });

  it('a 70.0001 / 29.9999 book (through measureBand) is a violation: LT_LONG_DECREASE, a SELL of the long', () => {
    const inp = input(book(700_001, 299_999), DEFAULTS);
    expect(inp.measure.long_pct).toBeCloseTo(70.0001, 9);
    expect(isViolated(violationOf(inp.measure, DEFAULTS))).toBe(true);
    const r = proposeIntents(inp);
    expect(r.classification).toBe('LT_LONG_DECREASE');
    expect(r.intents.length).toBeGreaterThan(0);
    expect(r.intents.every((i) => i.classification === 'LT_LONG_DECREASE' && i.side === 'SELL' && i.symbol === 'L')).toBe(true);
  });

  it('falls back to the second classification when the first has no qualifying candidate', () => {
    // long 75 / short 25 → LT_LONG_DECREASE first; the only long is under water beyond acceptable_loss_pct
    const cfg = band({ long_pct_range: [60, 70], short_pct_range: [30, 40], prefer_positive_pnl: true, acceptable_loss_pct: 5 });
    const b = book(75, 25);
    b.positions[0] = { ...b.positions[0], costMicro: 75 * 1_200_000 }; // bought at $1.20, tick $1.00: −16.7 %
    const inp = input(b, cfg);
    expect(oClassification(inp)).toBe('LT_SHORT_INCREASE');
    const r = proposeIntents(inp);
    expect(r.classification).toBe('LT_SHORT_INCREASE');
    expect(r.intents.map((i) => [i.symbol, i.side])).toEqual([['S', 'SELL']]);
  });

  it('PnL% exactly −acceptable_loss_pct qualifies (≥), one micro-dollar worse does not', () => {
    const cfg = band({ long_pct_range: [60, 70], short_pct_range: [30, 40], prefer_positive_pnl: true, acceptable_loss_pct: 20 });
    // long 75 × $0.80 bought at $1.00: exactly −20 %
    const at = book(75, 25, 80);
    at.positions[0] = { ...at.positions[0], costMicro: 75 * 1_000_000 };
    expect(oClassification(input(at, cfg))).toBe('LT_LONG_DECREASE');
    expect(proposeIntents(input(at, cfg)).classification).toBe('LT_LONG_DECREASE');
    const worse = book(75, 25, 80);
    worse.positions[0] = { ...worse.positions[0], costMicro: 75 * 1_000_000 + 1 };
    expect(oClassification(input(worse, cfg))).toBe('LT_SHORT_INCREASE');
    expect(proposeIntents(input(worse, cfg)).classification).toBe('LT_SHORT_INCREASE');
  });

  it('the hard cap can stop an INCREASE first choice: the second classification is used', () => {
    // long alone too low (short range wide): LT_LONG_INCREASE, then LT_SHORT_DECREASE. Book $10 long, $90 short.
    const cfg = band({ long_pct_range: [30, 70], short_pct_range: [0, 100], lot_size: 1 });
    const b = book(10, 90);
    expect(oDecidingRow(input(b, cfg).measure, cfg)?.actions).toEqual(['LT_LONG_INCREASE', 'LT_SHORT_DECREASE']);
    // plenty of room: the increase
    expect(proposeIntents(input(b, cfg, 1e6, 100)).classification).toBe('LT_LONG_INCREASE');
    // gross $100 = cap (100 % of $100 equity): not one more $1 share fits → the decrease
    const capped = proposeIntents(input(b, cfg, 100, 100));
    expect(capped.classification).toBe('LT_SHORT_DECREASE');
    expect(capped.intents.every((i) => i.side === 'BUY' && i.symbol === 'S')).toBe(true);
    // …and with the only short under water (bought back would lose 100 %, acceptable 0 %): nothing is proposed
    const water = book(10, 90);
    water.positions[1] = { ...water.positions[1], costMicro: 90 * 500_000 };
    const none = proposeIntents(input(water, cfg, 100, 100));
    expect(none.intents).toEqual([]);
    expect(none.row?.actions).toEqual(['LT_LONG_INCREASE', 'LT_SHORT_DECREASE']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------------

/** A [min, max] range with min < max in [0, 100]: tenths, whole numbers, or the defaults. */
const arbRange: fc.Arbitrary<[number, number]> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }))
    .filter(([a, b]) => a !== b)
    .map(([a, b]) => [Math.min(a, b) / 10, Math.max(a, b) / 10] as [number, number]),
  fc
    .tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }))
    .filter(([a, b]) => a !== b)
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]),
  fc.constantFrom<[number, number]>([60, 70], [30, 40]),
);

/** long and short ranges, complementary (short = 100 − long) about half the time. */
const arbRanges = fc
  .record({ complementary: fc.boolean(), long: arbRange, short: arbRange })
  .map((r) => ({
    complementary: r.complementary,
    long: r.long,
    short: r.complementary ? ([100 - r.long[1], 100 - r.long[0]] as [number, number]) : r.short,
  }));

/** A percentage near the interesting places: on a bound, just off one, or anywhere. */
function arbPctNear(bounds: readonly number[]): fc.Arbitrary<number> {
  return fc.oneof(
    fc.constantFrom(...bounds),
    fc
      .tuple(fc.constantFrom(...bounds), fc.constantFrom(1e-4, -1e-4, 1e-9, -1e-9, 0.5, -0.5))
      .map(([b, d]) => Math.min(100, Math.max(0, b + d))),
    fc.integer({ min: 0, max: 1_000_000 }).map((x) => x / 10_000),
    fc.integer({ min: 0, max: 100 }),
  );
}

const arbMeasure = arbRanges.chain((ranges) => {
  const bounds = [...ranges.long, ...ranges.short, 100 - ranges.long[0], 100 - ranges.long[1], 100 - ranges.short[0], 100 - ranges.short[1], 0, 50, 100];
  const pct = arbPctNear(bounds);
  return fc
    .oneof(
      { weight: 6, arbitrary: pct.map((l) => ({ long_pct: l as number | null, short_pct: (100 - l) as number | null })) },
      { weight: 3, arbitrary: fc.tuple(pct, pct).map(([l, s]) => ({ long_pct: l as number | null, short_pct: s as number | null })) },
      { weight: 1, arbitrary: fc.constant({ long_pct: null as number | null, short_pct: null as number | null }) },
    )
    .map((m) => ({ ranges, m, cfg: band({ long_pct_range: ranges.long, short_pct_range: ranges.short }) }));
});

const TABLE_RUNS = 20_000;
const BOOK_RUNS = 5_000;

describe('docs/spec.md §5 action table and tie rule, oracle properties', () => {
  it(`violationOf / isViolated / decidingRow agree with the oracle (${TABLE_RUNS} runs)`, () => {
    const seen = { inBand: 0, one: 0, bothComplementary: 0, bothDecreaseRule: 0, silent: 0, onBound: 0 };
    fc.assert(
      fc.property(arbMeasure, ({ ranges, m, cfg }) => {
        const ol = oViolation(m.long_pct, cfg.long_pct_range);
        const os = oViolation(m.short_pct, cfg.short_pct_range);
        const v = violationOf(m, cfg);
        expect(v).toEqual({ long: ol, short: os });
        expect(isViolated(v)).toBe(ol !== null || os !== null);
        const o = oDecidingRow(m, cfg);
        const r = decidingRow(m, cfg);
        expect(rowShape(r)).toEqual(rowShape(o));
        // coverage bookkeeping
        if (m.long_pct !== null && (cfg.long_pct_range.includes(m.long_pct) || cfg.short_pct_range.includes(m.short_pct!))) seen.onBound++;
        if (ol === null && os === null) seen.inBand++;
        else if (ol === null || os === null) seen.one++;
        else {
          if (ranges.complementary) seen.bothComplementary++;
          const lDec = isDecrease(SPEC_TABLE.long[ol][0]);
          const sDec = isDecrease(SPEC_TABLE.short[os][0]);
          if (lDec === sDec) seen.silent++;
          else seen.bothDecreaseRule++;
        }
      }),
      { numRuns: TABLE_RUNS, seed: 11_07_2026 },
    );
    expect(seen.inBand).toBeGreaterThan(500);
    expect(seen.one).toBeGreaterThan(500);
    expect(seen.bothComplementary).toBeGreaterThan(500);
    expect(seen.bothDecreaseRule).toBeGreaterThan(500);
    expect(seen.silent).toBeGreaterThan(500);
    expect(seen.onBound).toBeGreaterThan(500);
  });

  it('with complementary ranges and long + short = 100, a double violation is always long-HIGH/short-LOW or the reverse', () => {
    fc.assert(
      fc.property(arbMeasure, ({ ranges, m, cfg }) => {
        fc.pre(ranges.complementary && m.long_pct !== null && m.long_pct + m.short_pct! === 100);
        const ol = oViolation(m.long_pct, cfg.long_pct_range);
        const os = oViolation(m.short_pct, cfg.short_pct_range);
        if (ol !== null && os !== null) expect(ol).not.toBe(os);
        const r = decidingRow(m, cfg);
        if (r !== null) expect(isDecrease(r.actions[0]) || ol === null || os === null).toBe(true);
      }),
      { numRuns: 5_000, seed: 1107 },
    );
  });

  // ---- random small books --------------------------------------------------------------------------------------

  const SYMS = ['A', 'B', 'C', 'D', 'E', 'F'];
  // whole-number losses; 0/20/50/75 (longs) and 0/25/60 (shorts) let a cost basis sit exactly on −loss %
  const LOSSES = [0, 0, 3, 10, 20, 25, 50, 60, 75];

  const arbBook = fc
    .record({
      ranges: arbRanges,
      prefer: fc.boolean(),
      loss: fc.constantFrom(...LOSSES),
      size: fc.integer({ min: 1, max: 2500 }).map((x) => x / 10_000),
      lot: fc.constantFrom(1, 1, 10, 100),
      perCycle: fc.integer({ min: 1, max: 6 }),
      maxOpen: fc.integer({ min: 1, max: 8 }),
      limits: fc.boolean(),
      tolerance: fc.integer({ min: 0, max: 5 }),
      ticks: fc.array(fc.option(fc.integer({ min: 1, max: 20_000 }), { freq: 8 }), { minLength: SYMS.length, maxLength: SYMS.length }),
      positions: fc.array(
        fc.record({
          bucket: fc.constantFrom<'LT' | 'MM'>('LT', 'LT', 'LT', 'MM'),
          sym: fc.integer({ min: 0, max: SYMS.length - 1 }),
          qty: fc.integer({ min: -5_000, max: 5_000 }).filter((q) => q !== 0),
          avg: fc.integer({ min: 1, max: 20_000 }),
          onBoundary: fc.boolean(),
        }),
        { minLength: 1, maxLength: 10 },
      ),
    })
    .map((w) => {
      const cfg = band({
        long_pct_range: w.ranges.long,
        short_pct_range: w.ranges.short,
        prefer_positive_pnl: w.prefer,
        acceptable_loss_pct: w.loss,
        corrective_intent_size_pct: w.size,
        lot_size: w.lot,
        max_intents_per_cycle: w.perCycle,
        max_open_intents: w.maxOpen,
        use_limit_orders: w.limits,
        tolerance_days: w.tolerance,
      });
      const ticks = new Map<string, number>();
      SYMS.forEach((s, i) => {
        const t = w.ticks[i];
        if (t !== null) ticks.set(s, t * 10_000);
      });
      const seen = new Set<string>();
      const positions: BookPosition[] = [];
      for (const p of w.positions) {
        const symbol = SYMS[p.sym];
        if (seen.has(`${p.bucket}|${symbol}`)) continue;
        seen.add(`${p.bucket}|${symbol}`);
        const abs = Math.abs(p.qty);
        let costMicro = abs * p.avg * 10_000;
        const tick = ticks.get(symbol);
        if (p.onBoundary && tick !== undefined) {
          // cost basis with PnL% exactly −loss: long avg = 100·tick/(100 − loss), short avg = 100·tick/(100 + loss)
          const den = BigInt(p.qty > 0 ? 100 - w.loss : 100 + w.loss);
          const num = 100n * BigInt(abs) * BigInt(tick);
          if (den > 0n && num % den === 0n) costMicro = Number(num / den);
        }
        positions.push({ bucket: p.bucket, symbol, qty: p.qty, costMicro });
      }
      return input({ positions, ticks }, cfg);
    });

  it(`proposeIntents uses the oracle's classification; intents match it in class, side and size bound (${BOOK_RUNS} runs)`, () => {
    const seen = { none: 0, first: 0, second: 0, neither: 0, boundaryPnl: 0, decreaseIntents: 0, increaseIntents: 0 };
    fc.assert(
      fc.property(arbBook, (inp) => {
        const row = oDecidingRow(inp.measure, inp.cfg);
        const want = oClassification(inp);
        const r = proposeIntents(inp);
        expect(rowShape(r.row)).toEqual(rowShape(row));
        expect(r.classification).toBe(want);
        if (want === null) expect(r.intents).toEqual([]);
        else expect(r.intents.length).toBeGreaterThan(0);
        const symbols = new Set<string>();
        for (const i of r.intents) {
          expect(i.classification).toBe(want);
          expect(i.side).toBe(SPEC_SIDE[want!]);
          expect(Number.isInteger(i.qty) && i.qty > 0).toBe(true);
          expect(symbols.has(i.symbol)).toBe(false);
          symbols.add(i.symbol);
          const p = inp.positions.find((x) => x.bucket === 'LT' && x.symbol === i.symbol);
          expect(p).toBeDefined();
          expect(oCandidates(want!, inp)).toContain(p);
          if (isDecrease(want!)) {
            expect(i.qty).toBeLessThanOrEqual(Math.abs(p!.qty));
            seen.decreaseIntents++;
          } else seen.increaseIntents++;
        }
        // coverage bookkeeping
        if (row === null) seen.none++;
        else if (want === row.actions[0]) seen.first++;
        else if (want === row.actions[1]) seen.second++;
        else seen.neither++;
        for (const p of inp.positions) {
          const t = inp.ticks.get(p.symbol);
          if (p.bucket !== 'LT' || t === undefined) continue;
          const v = BigInt(Math.abs(p.qty)) * BigInt(t);
          const c = BigInt(p.costMicro);
          const gain = p.qty > 0 ? v - c : c - v;
          if (inp.cfg.prefer_positive_pnl && inp.cfg.acceptable_loss_pct > 0 && 100n * gain + BigInt(inp.cfg.acceptable_loss_pct) * c === 0n) seen.boundaryPnl++;
        }
      }),
      { numRuns: BOOK_RUNS, seed: 2026_11_07 },
    );
    expect(seen.none).toBeGreaterThan(50);
    expect(seen.first).toBeGreaterThan(500);
    expect(seen.second).toBeGreaterThan(50);
    expect(seen.neither).toBeGreaterThan(20);
    expect(seen.boundaryPnl).toBeGreaterThan(50);
    expect(seen.decreaseIntents).toBeGreaterThan(500);
    expect(seen.increaseIntents).toBeGreaterThan(200);
  });
});
