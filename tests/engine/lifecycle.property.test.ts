// Property test of the intent lifecycle on real SQLite (issues 11 and 20): random sequences of evaluations,
// approvals, rejections, cancels, truth ticks (the paper broker fills on them), fills from outside the console that
// grow, shrink, close or flip positions, HALT / resume, and the clock jumping within a session, to the close, into
// the evening, to the open, over days, a weekend and a holiday. Outside the session intents are for the next one
// and an approval STAGES them; the open releases them after the same checks. After every step:
//   1. no fill of an intent's order flips its position or takes it through zero (a decrease only shrinks a position
//      on its own side), no intent fills more than its qty, and no fill comes before its approval or after the
//      close of its day (approved orders are DAY orders);
//   2. an approve step, and a release at the open, never take committed gross (book + remaining staged and working
//      increases, at that moment's ticks) over the hard cap, and let an increase through only if committed gross
//      ends under it; what becomes an order is of an open session (approved inside it, or released at or after its
//      open), never while HALTED, in the band's current direction, and a decrease fits the position less the other
//      committed decreases of it; what is staged is approved before its session opens;
//   3. every intent's audit trail is a valid chain ending in its status; no PENDING or STAGED intent of a closed
//      session, no STAGED intent whose session is open (unless HALTED) and no WORKING intent past its close is
//      listed (or left in the database after a read); a working paper order belongs to a working intent of the
//      same qty.
// At the end (ticks far through every limit after the close, then the next day) every intent is in one terminal
// state with a complete audit trail.
// Some steps are biased toward the races that matter: an outside fill on the position of a working order followed
// by a tick through its limit, or an outside fill on the position of a PENDING intent just before its approval.
// A failure prints fast-check's seed and path and the run's trace (steps and what the engine did); to replay one
// run, add its `path` to the options of fc.assert.
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { afterAll, describe, expect, it } from 'vitest';
import { appendEvents } from '../../src/main/services/ledger/log';
import { Engine } from '../../src/main/services/engine/engine';
import { capMicro } from '../../src/main/services/bands/math';
import type { RiskConfig } from '../../src/main/services/config/schema';
import type { Db } from '../../src/main/services/store/db';
import { newDb, setBook, type P } from './helpers';
import { fixedConfig, makeConfig } from '../support/config';
import { tempDir } from '../support/tmp';

const tmp = tempDir('engine-life-');
afterAll(() => tmp.cleanup());

const ZONE = 'America/New_York';
const MIN = 60_000;
const TERMINAL = new Set(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'SUPERSEDED']);
/**
 * Allowed audit transitions (docs/spec.md §6); PENDING → PENDING and STAGED → STAGED are qty clamps (approval,
 * release), STAGED → PENDING a release the checks refused.
 */
const NEXT: Record<string, readonly string[]> = {
  PENDING: ['PENDING', 'STAGED', 'APPROVED', 'REJECTED', 'EXPIRED', 'SUPERSEDED'],
  STAGED: ['STAGED', 'APPROVED', 'PENDING', 'SUPERSEDED', 'CANCELED', 'EXPIRED'],
  APPROVED: ['WORKING', 'FILLED', 'CANCELED'],
  WORKING: ['FILLED', 'CANCELED'],
};
/** Classifications a violation asks for (docs/spec.md §5 action table), written out here, not taken from the controller. */
const NEEDED = {
  longHigh: ['LT_LONG_DECREASE', 'LT_SHORT_INCREASE'],
  longLow: ['LT_LONG_INCREASE', 'LT_SHORT_DECREASE'],
  shortHigh: ['LT_SHORT_DECREASE', 'LT_LONG_INCREASE'],
  shortLow: ['LT_SHORT_INCREASE', 'LT_LONG_DECREASE'],
};

// ---- time in the account zone (luxon here, not the engine's calendar code) ----------------------------------
const local = (ms: number) => DateTime.fromMillis(ms, { zone: ZONE });
const dateOf = (ms: number) => local(ms).toISODate() as string;
/** account.market_open and market_close are the defaults, 09:30 and 16:00. */
const closeOf = (date: string) => DateTime.fromISO(date, { zone: ZONE }).set({ hour: 16, minute: 0 }).toMillis();
const openOf = (date: string) => DateTime.fromISO(date, { zone: ZONE }).set({ hour: 9, minute: 30 }).toMillis();
/** This scenario's calendar: weekdays, less MLK day (the config's holiday). */
const trades = (date: string) => DateTime.fromISO(date, { zone: ZONE }).weekday <= 5 && date !== '2024-01-15';
/** The first trading date after `date`. */
function nextTrading(date: string): string {
  let d = DateTime.fromISO(date, { zone: ZONE }).plus({ days: 1 });
  while (!trades(d.toISODate() as string)) d = d.plus({ days: 1 });
  return d.toISODate() as string;
}
const atLocal = (date: string, minutesOfDay: number) =>
  DateTime.fromISO(date, { zone: ZONE }).startOf('day').plus({ minutes: minutesOfDay }).toMillis();
const nextDate = (ms: number, days = 1) => local(ms).startOf('day').plus({ days }).toISODate() as string;

// ---- the scenario -------------------------------------------------------------------------------------------
const LT_LONGS = ['AA', 'BB', 'CC'];
const LT_SHORTS = ['SS', 'TT'];
const SYMS = ['AA', 'BB', 'CC', 'SS', 'TT', 'MX']; // MM holds AA (same symbol, other bucket) and MX

type Step =
  | { t: 'eval' }
  | { t: 'time'; kind: 'min' | 'preclose' | 'close' | 'evening' | 'open' | 'day' | 'monday' | 'weekend'; m: number }
  | { t: 'approve'; mask: number; any: boolean; pre: { kind: 'cap' | 'clamp' | 'flip'; x: number } | null }
  | { t: 'reject'; mask: number }
  | { t: 'cancel'; mask: number; all: boolean }
  | { t: 'tick'; moves: { sym: number; bps: number }[]; working: boolean }
  | { t: 'ext'; pos: number; pct: number; target: 'any' | 'pending' | 'working' | 'cap'; race: boolean }
  | { t: 'halt' }
  | { t: 'resume' };

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ t: 'eval' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('time' as const),
      // 1-120 minutes; to 15:15-15:59; to the close (16:00 exactly .. 16:45); into the evening (16:30-23:59); to the
      // next 09:30 exactly; tomorrow or next Monday 08:00-12:00; to Saturday or Sunday
      kind: fc.constantFrom(
        'min' as const,
        'min' as const,
        'min' as const,
        'preclose' as const,
        'close' as const,
        'evening' as const,
        'open' as const,
        'open' as const,
        'open' as const,
        'day' as const,
        'monday' as const,
        'weekend' as const,
      ),
      m: fc.integer({ min: 0, max: 240 }),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      t: fc.constant('approve' as const),
      mask: fc.integer({ min: 1, max: 255 }),
      // pick among intents of any status (idempotency, refusals), not only PENDING ones
      any: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      // first outside fills: MM trades until a PENDING increase has room for x% of its gross under the cap (cap);
      // the position of a PENDING decrease shrinks to x% of its qty (clamp); the position of a PENDING intent
      // goes to the other side, x% of the intent's qty (flip)
      pre: fc.oneof(
        { weight: 4, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('cap' as const), x: fc.integer({ min: 0, max: 150 }) }) },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant('clamp' as const), x: fc.integer({ min: 5, max: 99 }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('flip' as const), x: fc.integer({ min: 5, max: 99 }) }) },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reject' as const), mask: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancel' as const), mask: fc.integer({ min: 1, max: 255 }), all: fc.boolean() }) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('tick' as const),
      moves: fc.array(fc.record({ sym: fc.integer({ min: 0, max: SYMS.length - 1 }), bps: fc.integer({ min: -400, max: 400 }) }), {
        minLength: 1,
        maxLength: 3,
      }),
      working: fc.boolean(), // move the symbols of working orders (either way), not random ones
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('ext' as const),
      pos: fc.integer({ min: 0, max: 6 }),
      // % of the position: -100 closes it, below -100 flips it
      pct: fc.oneof(fc.integer({ min: -170, max: 60 }), fc.constant(-100), fc.integer({ min: -99, max: -70 })),
      // any position; that of a PENDING decrease or of a working intent; MM until gross is 0-3% under the cap
      target: fc.constantFrom('any' as const, 'any' as const, 'pending' as const, 'working' as const, 'working' as const, 'cap' as const),
      // then a tick that fills the working intent's order (if it is still working)
      race: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'halt' as const }) },
  { weight: 5, arbitrary: fc.constant({ t: 'resume' as const }) },
);

const arbScenario = fc.record({
  longs: fc.array(fc.integer({ min: 10, max: 600 }), { minLength: 3, maxLength: 3 }),
  shorts: fc.array(fc.integer({ min: 10, max: 600 }), { minLength: 2, maxLength: 2 }),
  mm: fc.array(fc.integer({ min: -300, max: 300 }).filter((q) => q !== 0), { minLength: 2, maxLength: 2 }),
  avgs: fc.array(fc.integer({ min: 20, max: 200 }), { minLength: SYMS.length, maxLength: SYMS.length }),
  moves: fc.array(fc.integer({ min: -15, max: 15 }), { minLength: SYMS.length, maxLength: SYMS.length }),
  // the long band sits `off` points above (positive) or below the book's long%, `width` wide
  off: fc.oneof(fc.integer({ min: -12, max: -1 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 })),
  width: fc.integer({ min: 4, max: 15 }),
  shortWide: fc.constantFrom(false, true, true), // only the long band: an increase may be the first choice
  tolerance: fc.constantFrom(0, 0, 1),
  size: fc.integer({ min: 5, max: 25 }).map((x) => x / 100),
  limit: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  prefer: fc.boolean(),
  lot: fc.constantFrom(1, 10),
  perCycle: fc.integer({ min: 1, max: 3 }),
  maxOpen: fc.integer({ min: 2, max: 6 }),
  cap: fc.constantFrom(80, 100, 150),
  // book gross as % of the cap: sometimes tight, sometimes over (DERISK)
  load: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 50, max: 94 }) }, { weight: 1, arbitrary: fc.integer({ min: 95, max: 101 }) }),
  steps: fc.array(arbStep, { minLength: 15, maxLength: 45 }),
});
type Scenario = typeof arbScenario extends fc.Arbitrary<infer T> ? T : never;

const pick = <T>(xs: readonly T[], mask: number) => xs.filter((_, i) => (mask >> i % 8) & 1);
const key = (bucket: string, symbol: string) => `${bucket}|${symbol}`;
const isDecrease = (c: string) => c.endsWith('DECREASE');
/** +1 for a LONG classification, -1 for a SHORT one. */
const sideOf = (c: string) => (c.includes('_LONG_') ? 1 : -1);

interface IntentRow {
  id: string;
  kind: string;
  trading_date: string;
  bucket: string;
  symbol: string;
  classification: string;
  side: string;
  qty: number;
  status: string;
  order_id: string | null;
}
interface AuditDbRow {
  id: number;
  intent_id: string;
  from_status: string | null;
  to_status: string;
  actor: string;
  at: number;
  reason: string;
}

/** What the runs reached, asserted at the end so that a change in the generators cannot make the test vacuous. */
const stats = {
  runs: 0,
  steps: 0,
  intents: 0,
  approvedInc: 0,
  approvedDec: 0,
  intentFills: 0,
  clamps: 0,
  supersededAtApproval: 0,
  capRefusals: 0,
  staged: 0,
  released: 0,
  releasedInc: 0,
  releaseRefused: 0,
  stagedExpired: 0,
  dayEnded: 0,
  outsideFlips: 0,
  final: {} as Record<string, number>,
};

/** One run: a database, an engine, and the checker's own copy of the book, replayed from the ledger's fills. */
class Run {
  readonly db: Db;
  readonly engine: Engine;
  readonly cfg: RiskConfig;
  readonly cap: bigint;
  now: number;
  readonly trace: string[] = [];
  private readonly pos = new Map<string, number>();
  private lastFill = 0;
  private readonly filledBy = new Map<string, number>();
  private ext = 0;

  constructor(
    readonly n: number,
    sc: Scenario,
  ) {
    this.db = newDb(tmp.dir, `life${n}.sqlite`);
    this.now = atLocal('2024-01-11', 9 * 60 + 45); // Thursday 09:45 New York
    const tick = new Map<string, number>();
    SYMS.forEach((s, i) => tick.set(s, Math.max(1, Math.round(sc.avgs[i] * (100 + sc.moves[i])) / 100)));
    const avg = (symbol: string) => sc.avgs[SYMS.indexOf(symbol)];
    const book: P[] = [
      ...LT_LONGS.map((symbol, i) => ({ symbol, qty: sc.longs[i], avg: avg(symbol), tick: tick.get(symbol) })),
      ...LT_SHORTS.map((symbol, i) => ({ symbol, qty: -sc.shorts[i], avg: avg(symbol), tick: tick.get(symbol) })),
      { bucket: 'MM', symbol: 'AA', qty: sc.mm[0], avg: avg('AA'), tick: tick.get('AA') },
      { bucket: 'MM', symbol: 'MX', qty: sc.mm[1], avg: avg('MX'), tick: tick.get('MX') },
    ];
    setBook(this.db, book, this.now - 60 * MIN);
    for (const p of book) this.pos.set(key(p.bucket ?? 'LT', p.symbol), p.qty);
    const gv = (p: P) => Math.abs(p.qty) * (p.tick as number);
    const gross = book.reduce((a, p) => a + gv(p), 0);
    const ltLong = book.filter((p) => !p.bucket && p.qty > 0).reduce((a, p) => a + gv(p), 0);
    const ltShort = book.filter((p) => !p.bucket && p.qty < 0).reduce((a, p) => a + gv(p), 0);
    const longPct = (100 * ltLong) / (ltLong + ltShort);
    const lo = Math.round(Math.min(100 - sc.width, Math.max(0, sc.off > 0 ? longPct + sc.off : longPct + sc.off - sc.width)));
    this.cfg = makeConfig({
      equity: Math.max(1000, Math.round((gross * 100 * 100) / (sc.cap * sc.load))),
      cap: sc.cap,
      holidays: ['2024-01-15'], // MLK day
      band: {
        long_pct_range: [lo, lo + sc.width],
        short_pct_range: sc.shortWide ? [0, 100] : [100 - lo - sc.width, 100 - lo],
        tolerance_days: sc.tolerance,
        corrective_intent_size_pct: sc.size,
        use_limit_orders: sc.limit,
        prefer_positive_pnl: sc.prefer,
        lot_size: sc.lot,
        max_intents_per_cycle: sc.perCycle,
        max_open_intents: sc.maxOpen,
      },
    });
    this.cap = capMicro(this.cfg.account.equity, this.cfg.global.hard_cap_gross_pct);
    this.engine = new Engine({ db: this.db, config: fixedConfig(this.cfg), actor: 'tester', now: () => this.now, timezone: ZONE });
  }

  // ---- reading the database -----------------------------------------------------------------------------------

  intents(where = ''): IntentRow[] {
    return this.db
      .prepare(`SELECT id, kind, trading_date, bucket, symbol, classification, side, qty, status, order_id FROM intents ${where} ORDER BY id`)
      .all() as IntentRow[];
  }

  ticks(): Map<string, number> {
    const rows = this.db.prepare('SELECT symbol, price_micro FROM ticks').all() as { symbol: string; price_micro: number }[];
    return new Map(rows.map((r) => [r.symbol, r.price_micro]));
  }

  positions(): Map<string, number> {
    const rows = this.db.prepare('SELECT bucket, symbol, qty FROM positions').all() as { bucket: string; symbol: string; qty: number }[];
    return new Map(rows.map((r) => [key(r.bucket, r.symbol), r.qty]));
  }

  /** intent id → quantity filled (from the ledger's fills). */
  filled(): Map<string, number> {
    const rows = this.db.prepare('SELECT intent_id, SUM(qty) AS q FROM fills WHERE intent_id IS NOT NULL GROUP BY intent_id').all() as {
      intent_id: string;
      q: number;
    }[];
    return new Map(rows.map((r) => [r.intent_id, r.q]));
  }

  /** Working (APPROVED / WORKING) intents with what they still have to fill. */
  working(): (IntentRow & { left: number })[] {
    const filled = this.filled();
    return this.intents("WHERE status IN ('APPROVED','WORKING')").map((r) => ({ ...r, left: r.qty - (filled.get(r.id) ?? 0) }));
  }

  /** What traders committed: staged (all of it still to fill) and working intents. */
  committed(): (IntentRow & { left: number })[] {
    return [...this.working(), ...this.intents("WHERE status = 'STAGED'").map((r) => ({ ...r, left: r.qty }))];
  }

  /** Book gross + remaining qty × tick of every staged or working increase, at the ticks in the database (micro-USD). */
  committedGross(): bigint {
    const t = this.ticks();
    let sum = 0n;
    for (const [k, q] of this.positions()) sum += BigInt(Math.abs(q)) * BigInt(t.get(k.split('|')[1]) as number);
    for (const r of this.committed()) {
      if (!isDecrease(r.classification) && r.left > 0) sum += BigInt(r.left) * BigInt(t.get(r.symbol) as number);
    }
    return sum;
  }

  /** LT long% / short% at the ticks in the database. */
  band(): { long: number; short: number } | null {
    const t = this.ticks();
    let long = 0;
    let short = 0;
    for (const [k, q] of this.positions()) {
      const [bucket, symbol] = k.split('|');
      if (bucket !== 'LT') continue;
      if (q > 0) long += q * (t.get(symbol) as number);
      else short -= q * (t.get(symbol) as number);
    }
    if (long + short === 0) return null;
    return { long: (100 * long) / (long + short), short: (100 * short) / (long + short) };
  }

  audits(): AuditDbRow[] {
    return this.db.prepare('SELECT * FROM intent_audit ORDER BY id').all() as AuditDbRow[];
  }

  // ---- the steps ----------------------------------------------------------------------------------------------

  step(s: Step): void {
    const e = this.engine;
    switch (s.t) {
      case 'eval': {
        const r = e.evaluate(this.now);
        stats.intents += r.intents.length;
        const made = r.intents.map((i) => `${i.id} ${i.classification} ${i.side} ${i.qty} ${i.symbol}`).join(', ');
        this.trace.push(`eval -> ${r.status}/${r.mode} long ${r.long_pct?.toFixed(2)}%; new ${made || '-'}`);
        break;
      }
      case 'time': {
        let to = this.now + (s.m % 120) * MIN + MIN;
        if (s.kind === 'preclose') to = closeOf(dateOf(this.now)) - ((s.m % 45) + 1) * MIN;
        if (s.kind === 'close') to = closeOf(dateOf(this.now)) + (s.m % 46) * MIN;
        if (s.kind === 'evening') to = atLocal(dateOf(this.now), 16 * 60 + 30 + (s.m % 450));
        if (s.kind === 'open') to = this.now < openOf(dateOf(this.now)) ? openOf(dateOf(this.now)) : openOf(nextDate(this.now));
        if (s.kind === 'day') to = atLocal(nextDate(this.now), 8 * 60 + s.m);
        if (s.kind === 'monday') to = atLocal(nextDate(this.now, 8 - local(this.now).weekday), 8 * 60 + s.m);
        if (s.kind === 'weekend') to = atLocal(nextDate(this.now, Math.max(1, 6 - local(this.now).weekday) + (s.m % 2)), 9 * 60 + s.m);
        // 'open' lands on 09:30 exactly, the boundary itself
        this.now = s.kind === 'open' ? Math.max(this.now + 1, to) : Math.max(this.now + MIN, to);
        this.trace.push(`time -> ${local(this.now).toFormat('ccc yyyy-MM-dd HH:mm')}`);
        break;
      }
      case 'approve': {
        const ids = pick(e.listIntents(s.any ? 'ALL' : 'PENDING', 100, this.now).map((i) => i.id), s.mask);
        if (s.pre) {
          const effect = s.pre.kind === 'cap' ? 'INCREASE' : s.pre.kind === 'clamp' ? 'DECREASE' : '';
          const target = this.intents("WHERE status = 'PENDING'").filter((r) => r.classification.endsWith(effect))[s.mask % 3];
          if (target) {
            if (s.pre.kind === 'cap') {
              const gross = BigInt(target.qty) * BigInt(this.ticks().get(target.symbol) as number);
              this.squeeze(this.cap - (gross * BigInt(s.pre.x)) / 100n);
            } else if (s.pre.kind === 'flip') {
              const q = this.positions().get(key(target.bucket, target.symbol)) ?? 0;
              const to = -(Math.sign(q) || sideOf(target.classification)) * Math.max(1, Math.floor((target.qty * s.pre.x) / 100));
              this.outsideFill(target.bucket, target.symbol, to - q);
            } else {
              // the desk sells down this position and buys the same gross of another on its side: the band stays
              const book = this.positions();
              const ticks = this.ticks();
              const q = book.get(key(target.bucket, target.symbol)) ?? 0;
              const left = Math.max(this.cfg.buckets.LT.band_drift.lot_size, Math.floor((target.qty * s.pre.x) / 100));
              const other = [...LT_LONGS, ...LT_SHORTS].find((x) => x !== target.symbol && Math.sign(book.get(key('LT', x)) ?? 0) === Math.sign(q));
              if (q !== 0 && Math.abs(q) > left) {
                this.outsideFill(target.bucket, target.symbol, Math.sign(q) * left - q);
                const moved = (Math.abs(q) - left) * (ticks.get(target.symbol) as number);
                if (other) this.outsideFill('LT', other, Math.sign(q) * Math.round(moved / (ticks.get(other) as number)));
              }
            }
            if (!ids.includes(target.id)) ids.push(target.id);
          }
        }
        this.approve(ids);
        break;
      }
      case 'reject': {
        const out = e.reject(pick(e.listIntents('PENDING', 100, this.now).map((i) => i.id), s.mask), 'tester', 'no', this.now);
        this.trace.push(`reject ${out.map((o) => `${o.id}:${o.status}`).join(' ') || '-'}`);
        break;
      }
      case 'cancel': {
        const ids = s.all ? 'all' : pick(e.listIntents('OPEN', 100, this.now).filter((i) => i.status !== 'PENDING').map((i) => i.id), s.mask);
        const out = e.cancel(ids, 'tester', 'changed my mind', this.now);
        this.trace.push(`cancel${s.all ? ' all' : ''} ${out.map((o) => `${o.id}:${o.status}`).join(' ') || '-'}`);
        break;
      }
      case 'tick': {
        const t = this.ticks();
        const busy = [...new Set(e.listIntents('WORKING', 100, this.now).map((w) => w.symbol))];
        const rows = s.moves.map((m, i) => {
          const symbol = s.working && busy.length ? busy[m.sym % busy.length] : SYMS[m.sym];
          const price = Math.max(10_000, Math.round(((t.get(symbol) as number) * (10_000 + m.bps)) / 10_000 / 10_000) * 10_000);
          t.set(symbol, price);
          return { symbol, priceMicro: price, ts: this.now + i, source: 'test' };
        });
        this.now += rows.length;
        const r = e.applyTicks(rows, this.now);
        stats.intentFills += r.filled_intents.length;
        this.trace.push(`ticks ${rows.map((x) => `${x.symbol}=${x.priceMicro / 1e6}`).join(' ')} -> fills ${r.filled_intents.join(' ') || '-'}`);
        break;
      }
      case 'ext': {
        if (s.target === 'cap') {
          this.squeeze((this.cap * BigInt(1000 - (Math.abs(s.pct) % 30))) / 1000n);
          break;
        }
        const keys = [...LT_LONGS, ...LT_SHORTS].map((x) => key('LT', x)).concat([key('MM', 'AA'), key('MM', 'MX')]);
        const of = s.target === 'pending' ? this.intents("WHERE status = 'PENDING'").filter((r) => isDecrease(r.classification)) : s.target === 'working' ? this.working() : [];
        const intent = of.length ? of[s.pos % of.length] : null;
        const k = intent ? key(intent.bucket, intent.symbol) : keys[s.pos];
        const q = this.positions().get(k) ?? 0;
        let delta = q === 0 ? Math.sign(s.pct || 1) * Math.max(1, Math.abs(s.pct)) : Math.trunc((Math.abs(q) * s.pct) / 100) * Math.sign(q);
        if (delta === 0) delta = s.pct >= 0 ? Math.sign(q) : -Math.sign(q);
        const [bucket, symbol] = k.split('|');
        this.outsideFill(bucket, symbol, delta);
        if (s.race && intent && s.target === 'working') {
          // the market moves through its limit: the order fills unless something stopped it
          const t = this.ticks().get(symbol) as number;
          const price = Math.max(10_000, Math.round((t * (intent.side === 'BUY' ? 97 : 103)) / 100 / 10_000) * 10_000);
          this.now += 1;
          const r = this.engine.applyTicks([{ symbol, priceMicro: price, ts: this.now, source: 'test' }], this.now);
          stats.intentFills += r.filled_intents.length;
          this.trace.push(`tick ${symbol}=${price / 1e6} -> fills ${r.filled_intents.join(' ') || '-'}`);
        }
        break;
      }
      case 'halt':
        e.halt('tester', 'test', this.now);
        this.trace.push('halt');
        break;
      case 'resume':
        e.resume('tester', this.now);
        this.trace.push('resume');
        break;
    }
  }

  /** A fill from outside the console (no intent_id) moving a position by `delta`, through the ledger's log. */
  outsideFill(bucket: string, symbol: string, delta: number): void {
    if (delta === 0) return;
    const q = this.positions().get(key(bucket, symbol)) ?? 0;
    const dir = q > 0 || (q === 0 && delta > 0) ? 'LONG' : 'SHORT';
    const effect = (dir === 'LONG') === delta > 0 ? 'INCREASE' : 'DECREASE';
    if (Math.sign(q + delta) * Math.sign(q) < 0) stats.outsideFlips++;
    const raw = JSON.stringify({
      event_id: `x-${this.n}-${this.ext}`,
      order_id: `ox-${this.n}-${this.ext++}`,
      ts: new Date(this.now).toISOString(),
      symbol,
      classification: `${bucket}_${dir}_${effect}`,
      side: delta > 0 ? 'BUY' : 'SELL',
      event_type: 'FILL',
      fill_qty: Math.abs(delta),
      fill_price: (this.ticks().get(symbol) as number) / 1e6,
    });
    appendEvents(this.db, [raw], 'outside');
    this.engine.sync(this.now);
    this.trace.push(`outside fill ${bucket} ${symbol} ${q} ${delta > 0 ? '+' : ''}${delta} -> ${this.positions().get(key(bucket, symbol))}`);
  }

  /** Another desk trades MX (MM bucket: no effect on the band) until committed gross is about `target` (micro). */
  squeeze(target: bigint): void {
    const mx = this.positions().get(key('MM', 'MX')) ?? 0;
    const tick = this.ticks().get('MX') as number;
    const newAbs = Math.max(0, Math.abs(mx) + Math.round(Number(target - this.committedGross()) / tick));
    this.outsideFill('MM', 'MX', (mx < 0 ? -1 : 1) * (newAbs - Math.abs(mx)));
  }

  /** Approves `ids` and checks property 2 on what the step did. */
  approve(ids: string[]): void {
    const before = this.committedGross();
    const auditFrom = this.db.prepare('SELECT COALESCE(MAX(id), 0) FROM intent_audit').pluck().get() as number;
    const out = this.engine.approve(ids, 'tester', this.now);
    this.trace.push(`approve ${out.map((o) => `${o.id}:${o.status}${o.ok ? '' : '!'}`).join(' ') || '-'}`);
    for (const o of out) expect(o.message, o.id).not.toMatch(/internal error/);
    const after = this.committedGross();
    const rows = this.db.prepare('SELECT * FROM intent_audit WHERE id > ? ORDER BY id').all(auditFrom) as AuditDbRow[];
    const byId = new Map(this.intents().map((r) => [r.id, r]));
    // the trader's approvals (to an order, or staged for the open); the step may also release staged ones (engine)
    const approvals = rows.filter((r) => r.from_status === 'PENDING' && (r.to_status === 'APPROVED' || r.to_status === 'STAGED'));
    const approved = approvals.map((r) => byId.get(r.intent_id) as IntentRow);
    const inc = approved.filter((r) => !isDecrease(r.classification));
    stats.approvedInc += inc.length;
    stats.approvedDec += approved.length - inc.length;
    stats.staged += approvals.filter((r) => r.to_status === 'STAGED').length;
    stats.clamps += rows.filter((r) => r.from_status === r.to_status).length;
    stats.supersededAtApproval += rows.filter((r) => r.to_status === 'SUPERSEDED').length;
    stats.capRefusals += out.filter((o) => o.message.startsWith('hard cap')).length;

    // the hard cap at this moment's ticks
    const usd = (x: bigint) => `${Number(x) / 1e6}`;
    expect(after <= (before > this.cap ? before : this.cap), `committed gross ${usd(before)} -> ${usd(after)}, cap ${usd(this.cap)}`).toBe(true);
    if (inc.length) {
      const what = `increase ${inc.map((r) => r.id).join(', ')} approved: committed gross ${usd(before)} -> ${usd(after)} > cap ${usd(this.cap)}`;
      expect(after <= this.cap, what).toBe(true);
    }
    // an intent of a closed session asked for is EXPIRED, not approved
    const today = dateOf(this.now);
    for (const id of ids) {
      const r = byId.get(id);
      if (r && this.now >= closeOf(r.trading_date)) {
        expect(['APPROVED', 'WORKING', 'PENDING', 'STAGED'], `${id} of ${r.trading_date} at ${local(this.now).toISO()}`).not.toContain(r.status);
      }
    }
    for (const a of approvals) {
      const r = byId.get(a.intent_id) as IntentRow;
      if (a.to_status === 'APPROVED') {
        // an order now: its session is open
        expect(r.trading_date, `${r.id} of ${r.trading_date} approved on ${today}`).toBe(today);
        expect(this.now >= openOf(today) && this.now < closeOf(today), `${r.id} approved outside its session`).toBe(true);
      } else {
        // staged: its session has not opened yet
        expect(this.now < openOf(r.trading_date), `${r.id} of ${r.trading_date} staged at ${local(this.now).toISO()}`).toBe(true);
      }
    }
    this.checkOrders(approved);
  }

  /**
   * What just became an order or was staged: not while HALTED, in the band's current direction, and a decrease on
   * its own side fitting the position with every other committed decrease of it.
   */
  checkOrders(approved: IntentRow[]): void {
    if (approved.length === 0) return;
    const band = this.band();
    const { long_pct_range: lr, short_pct_range: sr } = this.cfg.buckets.LT.band_drift;
    const onBound = band !== null && [...lr, ...sr].some((b) => Math.abs(band.long - b) < 1e-7 || Math.abs(band.short - b) < 1e-7);
    const positions = this.positions();
    const committed = this.committed();
    for (const r of approved) {
      expect(this.engine.isHalted(), `${r.id} approved while HALTED`).toBe(false);
      // the band still asks for this direction (not checked on a bound, where float rounding decides)
      if (r.kind === 'BAND' && band && !onBound) {
        const needed = new Set<string>([
          ...(band.long > lr[1] ? NEEDED.longHigh : []),
          ...(band.long < lr[0] ? NEEDED.longLow : []),
          ...(band.short > sr[1] ? NEEDED.shortHigh : []),
          ...(band.short < sr[0] ? NEEDED.shortLow : []),
        ]);
        expect(needed.has(r.classification), `${r.id} ${r.classification} approved at LT long ${band.long}%, short ${band.short}%`).toBe(true);
      }
      if (isDecrease(r.classification)) {
        const q = positions.get(key(r.bucket, r.symbol)) ?? 0;
        const side = sideOf(r.classification);
        expect(Math.sign(q), `${r.id} ${r.classification} approved on ${r.bucket} ${r.symbol} at ${q}`).toBe(side);
        // every committed decrease of this position, this one included, fits in it
        const taken = committed
          .filter((o) => o.bucket === r.bucket && o.symbol === r.symbol && isDecrease(o.classification) && sideOf(o.classification) === side)
          .reduce((a, o) => a + Math.max(0, o.left), 0);
        expect(taken, `committed decreases of ${r.bucket} ${r.symbol} take ${taken} of ${q}`).toBeLessThanOrEqual(Math.abs(q));
      }
    }
  }

  // ---- the checks after every step ----------------------------------------------------------------------------

  /**
   * The read paths' tidy at this instant, on its own: expiries, day-order ends and the release of staged intents
   * whose session opened. A release is checked as an approval is: inside its session, the cap, the direction.
   */
  release(): void {
    const before = this.committedGross();
    const auditFrom = this.db.prepare('SELECT COALESCE(MAX(id), 0) FROM intent_audit').pluck().get() as number;
    this.engine.tidy(this.now);
    const after = this.committedGross();
    const rows = this.db.prepare('SELECT * FROM intent_audit WHERE id > ? ORDER BY id').all(auditFrom) as AuditDbRow[];
    const byId = new Map(this.intents().map((r) => [r.id, r]));
    const released = rows.filter((a) => a.from_status === 'STAGED' && a.to_status === 'APPROVED').map((a) => byId.get(a.intent_id) as IntentRow);
    stats.released += released.length;
    stats.releaseRefused += rows.filter((a) => a.from_status === 'STAGED' && a.to_status === 'PENDING').length;
    stats.stagedExpired += rows.filter((a) => a.from_status === 'STAGED' && a.to_status === 'EXPIRED').length;
    if (released.length) this.trace.push(`released ${released.map((r) => r.id).join(' ')}`);
    const usd = (x: bigint) => `${Number(x) / 1e6}`;
    expect(after <= (before > this.cap ? before : this.cap), `release: committed gross ${usd(before)} -> ${usd(after)}, cap ${usd(this.cap)}`).toBe(true);
    const inc = released.filter((r) => !isDecrease(r.classification));
    stats.releasedInc += inc.length;
    if (inc.length) expect(after <= this.cap, `released ${inc.map((r) => r.id).join(', ')}: committed gross ${usd(after)} > cap ${usd(this.cap)}`).toBe(true);
    for (const r of released) {
      expect(this.now >= openOf(r.trading_date) && this.now < closeOf(r.trading_date), `${r.id} of ${r.trading_date} released at ${local(this.now).toISO()}`).toBe(true);
    }
    this.checkOrders(released);
  }

  check(): void {
    this.release();
    const intents = new Map(this.intents().map((r) => [r.id, r]));
    const audits = this.audits();
    // (1) the new fills, replayed in the ledger's order: an intent's fill never flips or crosses zero
    const fills = this.db.prepare('SELECT id, intent_id, bucket, symbol, side, qty, ts FROM fills WHERE id > ? ORDER BY id').all(this.lastFill) as {
      id: number;
      intent_id: string | null;
      bucket: string;
      symbol: string;
      side: string;
      qty: number;
      ts: number;
    }[];
    for (const f of fills) {
      this.lastFill = f.id;
      const k = key(f.bucket, f.symbol);
      const before = this.pos.get(k) ?? 0;
      const after = before + (f.side === 'BUY' ? f.qty : -f.qty);
      this.pos.set(k, after);
      if (!f.intent_id) continue;
      const r = intents.get(f.intent_id) as IntentRow;
      expect(r, `fill ${f.id} of unknown intent ${f.intent_id}`).toBeDefined();
      const what = `fill of ${r.id} (${r.classification} ${r.side} ${f.qty} ${f.bucket} ${f.symbol}) took the position ${before} -> ${after}`;
      expect(before * after >= 0, what).toBe(true);
      if (isDecrease(r.classification)) expect(Math.sign(before) === sideOf(r.classification) && Math.abs(after) < Math.abs(before), what).toBe(true);
      const total = (this.filledBy.get(r.id) ?? 0) + f.qty;
      this.filledBy.set(r.id, total);
      expect(total, `intent ${r.id} filled ${total} of ${r.qty}`).toBeLessThanOrEqual(r.qty);
      // a DAY order: filled before the close of its trading day, never before its approval (or its release)
      expect(f.ts < closeOf(r.trading_date), `${r.id} of ${r.trading_date} filled at ${local(f.ts).toISO()}, after the close`).toBe(true);
      const approvedAt = audits.find((a) => a.intent_id === r.id && a.to_status === 'APPROVED')?.at;
      expect(f.ts >= openOf(r.trading_date), `${r.id} of ${r.trading_date} filled before its session opened`).toBe(true);
      expect(approvedAt !== undefined && f.ts >= approvedAt, `${r.id} filled at ${f.ts}, approved at ${approvedAt}`).toBe(true);
    }
    // the replay is the book (so the checks above saw every fill in order)
    const table = this.positions();
    for (const k of new Set([...table.keys(), ...this.pos.keys()])) expect(this.pos.get(k) ?? 0, `replayed ${k}`).toBe(table.get(k) ?? 0);

    // (3) each audit trail is a valid chain ending in its intent's status
    const byIntent = new Map<string, AuditDbRow[]>();
    for (const a of audits) byIntent.set(a.intent_id, [...(byIntent.get(a.intent_id) ?? []), a]);
    for (const r of intents.values()) this.checkTrail(r, byIntent.get(r.id) ?? []);

    // nothing of a closed session listed as PENDING, STAGED or WORKING, nothing STAGED whose session is open (unless
    // HALTED), nor left so by the read
    const at = local(this.now).toISO();
    const halted = this.engine.isHalted();
    for (const st of ['PENDING', 'STAGED', 'WORKING'] as const) {
      for (const p of this.engine.listIntents(st, 10_000, this.now)) {
        expect(this.now < closeOf(p.trading_date), `${st} ${p.id} of ${p.trading_date} listed at ${at}`).toBe(true);
        if (st === 'STAGED' && !halted) expect(this.now < openOf(p.trading_date), `STAGED ${p.id} of ${p.trading_date} not released at ${at}`).toBe(true);
        if (st === 'STAGED') expect(p.releases_at, p.id).toBe(openOf(p.trading_date));
      }
    }
    for (const r of this.intents("WHERE status IN ('PENDING','STAGED','APPROVED','WORKING')")) {
      expect(this.now < closeOf(r.trading_date), `${r.id} ${r.status} of ${r.trading_date} at ${at}`).toBe(true);
      // what is for a session is for a trading day, and never one that has closed when it was made
      expect(trades(r.trading_date), `${r.id} for ${r.trading_date}, no trading day`).toBe(true);
    }
    // a working paper order belongs to a working intent, with its qty
    const orders = this.db.prepare('SELECT order_id, intent_id, qty, status FROM paper_orders').all() as {
      order_id: string;
      intent_id: string;
      qty: number;
      status: string;
    }[];
    const latest = new Map(this.intents().map((r) => [r.id, r]));
    for (const o of orders) {
      const r = latest.get(o.intent_id) as IntentRow;
      expect([o.qty, o.order_id], `order ${o.order_id} of ${r.id}`).toEqual([r.qty, r.order_id]);
      if (o.status === 'WORKING') expect(['APPROVED', 'WORKING'], `order ${o.order_id} WORKING, intent ${r.id} ${r.status}`).toContain(r.status);
    }
  }

  checkTrail(r: IntentRow, trail: AuditDbRow[], final = false): void {
    const show = () => `${r.id} (${r.status}): ${trail.map((a) => `${a.from_status}->${a.to_status}@${a.at}`).join(', ')}`;
    expect(trail.length, show()).toBeGreaterThan(0);
    expect([trail[0].from_status, trail[0].to_status], show()).toEqual([null, 'PENDING']);
    for (let i = 1; i < trail.length; i++) {
      const [p, a] = [trail[i - 1], trail[i]];
      expect(a.from_status, show()).toBe(p.to_status);
      expect(NEXT[p.to_status] ?? [], show()).toContain(a.to_status);
      expect(a.at, show()).toBeGreaterThanOrEqual(p.at);
      expect(a.actor.length, show()).toBeGreaterThan(0);
      if (a.from_status === a.to_status) expect(a.reason, show()).toMatch(/^qty clamped from \d+ to \d+/);
      if (a.from_status === 'STAGED' && a.to_status === 'PENDING') expect(a.reason, show()).toMatch(/^not released at the open of /);
    }
    expect(trail[trail.length - 1].to_status, show()).toBe(r.status);
    if (!final) return;
    expect(TERMINAL.has(r.status), show()).toBe(true);
    const f = this.filledBy.get(r.id) ?? 0;
    if (r.status === 'FILLED') expect(f, show()).toBe(r.qty);
    else expect(f, show()).toBeLessThan(r.qty);
    stats.final[r.status] = (stats.final[r.status] ?? 0) + 1;
    if (r.status === 'CANCELED' && /^day order ended/.test(trail[trail.length - 1].reason)) stats.dayEnded++;
  }

  /**
   * The next open (staged intents go out), then past that session's close (ticks far through every limit fill
   * nothing), an evaluation (outside the session: for the next one), then past the next session's close: every
   * intent is terminal.
   */
  finish(): void {
    const today = dateOf(this.now);
    const session = trades(today) && this.now < closeOf(today) ? today : nextTrading(today);
    this.now = Math.max(this.now, openOf(session)) + MIN;
    this.trace.push(`finish: the open of ${session}`);
    this.check();
    this.now = Math.max(this.now + MIN, closeOf(session) + 5 * MIN);
    const t = this.ticks();
    for (const bps of [600, -600]) {
      const rows = SYMS.map((symbol, i) => ({
        symbol,
        priceMicro: Math.max(10_000, Math.round(((t.get(symbol) as number) * (10_000 + bps)) / 10_000 / 10_000) * 10_000),
        ts: this.now + i,
        source: 'test',
      }));
      this.now += rows.length;
      const r = this.engine.applyTicks(rows, this.now);
      this.trace.push(`after the close: ticks ${bps} bps -> fills ${r.filled_intents.join(' ') || '-'}`);
      this.check();
    }
    this.engine.evaluate(this.now);
    this.check();
    this.now = closeOf(nextTrading(session)) + MIN;
    this.engine.tidy(this.now);
    this.check();
    const audits = this.audits();
    for (const r of this.intents()) this.checkTrail(r, audits.filter((a) => a.intent_id === r.id), true);
    expect(this.engine.listIntents('OPEN', 10_000, this.now)).toEqual([]);
  }
}

describe('intent lifecycle on SQLite, property-based (issue 11)', () => {
  it('no intent flips a position, no approval passes the cap, every intent ends terminal with a complete audit', () => {
    let n = 0;
    fc.assert(
      fc.property(arbScenario, (sc) => {
        const run = new Run(n++, sc);
        stats.runs++;
        try {
          run.check();
          for (const s of sc.steps) {
            stats.steps++;
            run.step(s);
            run.check();
          }
          run.finish();
        } catch (e) {
          const err = e as Error;
          err.message = `${err.message}\n--- trace of run ${run.n} ---\n${run.trace.join('\n')}`;
          throw err;
        } finally {
          run.db.close();
        }
      }),
      // no shrinking (each run opens a database)
      { numRuns: 100, seed: 1, endOnFailure: true },
    );
    // the runs reached the places the properties are about
    expect(stats.intents).toBeGreaterThan(150);
    expect(stats.approvedInc).toBeGreaterThan(15);
    expect(stats.approvedDec).toBeGreaterThan(15);
    expect(stats.intentFills).toBeGreaterThan(10);
    expect(stats.outsideFlips).toBeGreaterThan(10);
    expect(stats.clamps).toBeGreaterThan(0);
    expect(stats.supersededAtApproval).toBeGreaterThan(5);
    expect(stats.capRefusals).toBeGreaterThan(0);
    expect(stats.staged).toBeGreaterThan(15);
    expect(stats.released).toBeGreaterThan(15);
    expect(stats.releasedInc).toBeGreaterThan(3);
    expect(stats.releaseRefused + stats.stagedExpired).toBeGreaterThan(0);
    expect(stats.dayEnded).toBeGreaterThan(10);
    for (const s of TERMINAL) expect(stats.final[s] ?? 0, s).toBeGreaterThan(5);
  });
});
