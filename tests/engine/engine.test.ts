// The Decision Engine on real SQLite files: episodes across weekends and holidays, statuses, the lifecycle with
// its audit, dedup and caps, fallback, DERISK / HALTED, approvals at the paper broker and fills through the ledger.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/services/engine/engine';
import type { ConfigStateLike } from '../../src/main/services/engine/config';
import { RandomWalkSimulator } from '../../src/main/services/prices/simulator';
import { parseTicksCsv, TickCsvError } from '../../src/main/services/prices/csv';
import { lttb } from '../../src/shared/lttb';
import { openDb, type Db } from '../../src/main/services/store/db';
import { newDb, setBook, type P } from './helpers';
import { join } from 'node:path';
import type { RiskConfig } from '../../src/main/services/config/schema';
import { fixedConfig, makeConfig } from '../support/config';
import { tempDir } from '../support/tmp';

// 2024-01: Thu 11, Fri 12, Sat 13, Sun 14, Mon 15 (MLK, configured holiday), Tue 16, Wed 17.
const at = (day: number, hh = 10, mm = 0) => Date.UTC(2024, 0, day, hh + 5, mm);

// LT long 80% / short 20% (out of the 60-70 / 30-40 band), gross well under the cap.
const BOOK: P[] = [
  { symbol: 'AAA', qty: 10_000, avg: 100, tick: 120 }, // +20%
  { symbol: 'BBB', qty: 5_000, avg: 200, tick: 180 }, // -10%
  { symbol: 'CCC', qty: 2_000, avg: 50, tick: 60 }, // +20%
  { symbol: 'DDD', qty: 3_000, avg: 100, tick: 101 }, // +1%
  { symbol: 'SSS', qty: -6_000, avg: 110, tick: 100 }, // short +9.1%
  { symbol: 'TTT', qty: -1_000, avg: 100, tick: 120 }, // short -20%
  { bucket: 'MM', symbol: 'MMM', qty: 1_000, avg: 100, tick: 100 },
];

let tmp: ReturnType<typeof tempDir>;
let db: Db;
let now: number;
let cfg: RiskConfig;
const mk = (c: RiskConfig = cfg, extra: Partial<ConstructorParameters<typeof Engine>[0]> = {}) =>
  new Engine({ db, config: fixedConfig(c), actor: 'alice', now: () => now, ...extra });

beforeEach(() => {
  tmp = tempDir();
  db = newDb(tmp.dir);
  cfg = makeConfig({ holidays: ['2024-01-15'] });
  setBook(db, BOOK);
  now = at(11);
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

const count = (sql: string, ...args: unknown[]) => db.prepare(sql).pluck().get(...args) as number;

describe('episodes and statuses (docs/spec.md §4)', () => {
  it('counts trading days across a weekend and a holiday, and survives a restart', () => {
    const e = mk();
    const r1 = e.evaluate(at(11));
    expect(r1).toMatchObject({ mode: 'NORMAL', status: 'WATCH', days_in_violation: 1, intents: [] });
    expect(r1.long_pct).toBeCloseTo((100 * (1_200_000 + 900_000 + 120_000 + 303_000)) / (2_523_000 + 720_000), 6);
    expect(e.evaluate(at(12)).days_in_violation).toBe(2);
    expect(e.evaluate(at(13)).days_in_violation).toBe(2); // Saturday
    expect(e.evaluate(at(15)).status).toBe('WATCH'); // holiday: still 2 days
    // restart: a new engine on a reopened file
    db.close();
    db = openDb(join(tmp.dir, 'db.sqlite'));
    const r = mk().evaluate(at(16));
    expect(r).toMatchObject({ status: 'CORRECTING', days_in_violation: 3 });
    expect(r.intents.length).toBe(3);
    expect(count('SELECT COUNT(*) FROM band_episodes')).toBe(1);
    expect(count('SELECT COUNT(*) FROM band_history')).toBe(5);
  });

  it('ends the episode when back in band, supersedes pending intents, and starts a new one later', () => {
    const e = mk(makeConfig({ band: { tolerance_days: 0 } }));
    const r = e.evaluate(at(11));
    expect(r.status).toBe('CORRECTING');
    expect(r.intents.length).toBe(3);
    // the book comes back into range (as the ledger would leave it)
    setBook(db, [{ symbol: 'SSS', qty: -11_000, avg: 110, tick: 100 }]);
    now = at(11, 11);
    const back = e.evaluate(now);
    expect(back.status).toBe('IN_BAND');
    expect(back.superseded.sort()).toEqual(r.intents.map((i) => i.id).sort());
    expect(e.audit(r.intents[0].id, 10).map((a) => [a.from, a.to, a.actor])).toEqual([
      [null, 'PENDING', 'engine'],
      ['PENDING', 'SUPERSEDED', 'engine'],
    ]);
    setBook(db, [{ symbol: 'SSS', qty: -6_000, avg: 110, tick: 100 }]);
    expect(e.evaluate(at(12)).days_in_violation).toBe(1);
    expect(count('SELECT COUNT(*) FROM band_episodes WHERE ended_at IS NOT NULL')).toBe(1);
  });

  it('NO_EXPOSURE without LT gross; SUSPENDED when disabled or the config is invalid, with the error in status()', () => {
    const e0 = mk(makeConfig({ band: { enabled: false, tolerance_days: 0 } }));
    expect(e0.evaluate(now)).toMatchObject({ status: 'SUSPENDED', intents: [] });
    let state: ConfigStateLike = { config: makeConfig({ band: { tolerance_days: 0 } }), valid: false, messages: ['global.hard_cap_gross_pct (line 3): expected number, got string'] };
    const e = new Engine({ db, config: () => state, now: () => now });
    const r = e.evaluate(now);
    expect(r).toMatchObject({ status: 'SUSPENDED', intents: [] });
    expect(r.message).toContain('config invalid: global.hard_cap_gross_pct (line 3)');
    expect(e.status().config).toMatchObject({ valid: false, messages: [expect.stringContaining('line 3')] });
    state = { ...state, valid: true, messages: [] };
    expect(e.evaluate(now).status).toBe('CORRECTING');
    db.prepare("UPDATE positions SET qty = 0, cost_micro = 0 WHERE bucket = 'LT'").run();
    expect(e.evaluate(now)).toMatchObject({ status: 'NO_EXPOSURE', long_pct: null, short_pct: null });
  });
});

describe('corrective intents (docs/spec.md §5)', () => {
  it('proposes the first classification by PnL%, sized and priced per config, with the reason', () => {
    const e = mk(makeConfig({ band: { tolerance_days: 0 } }));
    const r = e.evaluate(now);
    // long too high (80% > 70%), short too low: the DECREASE row decides: LT_LONG_DECREASE
    expect(r.intents.map((i) => [i.symbol, i.classification, i.side, i.qty, i.limit_price])).toEqual([
      ['AAA', 'LT_LONG_DECREASE', 'SELL', 200, 120.06], // +20%, larger gross first
      ['CCC', 'LT_LONG_DECREASE', 'SELL', 40, 60.03], // +20%
      ['DDD', 'LT_LONG_DECREASE', 'SELL', 60, 101.05], // +1% (101 × 1.0005 = 101.0505)
    ]);
    expect(r.intents[0].reason).toBe('LT long 77.8% > 70.0% for 1 trading day');
    expect(r.intents.every((i) => i.order_type === 'LIMIT' && i.priority === 1)).toBe(true);
  });

  it('on a weekend or a holiday, CORRECTING proposes for the next session; its intents live until that session closes', () => {
    const e = mk(makeConfig({ band: { tolerance_days: 0, max_open_intents: 3 }, holidays: ['2024-01-15'] }));
    // Saturday: the next session is Tuesday 16 (Monday 15 is a holiday of this config)
    const sat = e.evaluate(at(13));
    expect(sat).toMatchObject({ status: 'CORRECTING', session: { phase: 'NO_SESSION', date: '2024-01-16' } });
    expect(sat.intents.map((i) => i.trading_date)).toEqual(['2024-01-16', '2024-01-16', '2024-01-16']);
    expect(sat.message).toContain('proposed 3 LT_LONG_DECREASE for the session of 2024-01-16 (opens 09:30 America/New_York)');
    // Sunday and the holiday: still the same three (dedup), still PENDING — nothing expires before its session closed
    for (const day of [14, 15]) {
      const r = e.evaluate(at(day));
      expect(r).toMatchObject({ status: 'CORRECTING', intents: [], expired: [] });
    }
    const tue = e.evaluate(at(16));
    expect(tue).toMatchObject({ session: { phase: 'OPEN', date: '2024-01-16' }, intents: [], expired: [] });
    expect(e.listIntents('PENDING', 10, at(16)).map((i) => i.id).sort()).toEqual(sat.intents.map((i) => i.id).sort());
    // at Tuesday's close they expire, unworked; Wednesday proposes for Wednesday
    expect(e.listIntents('PENDING', 10, at(16, 16, 0))).toEqual([]);
    expect(e.evaluate(at(17)).intents.map((i) => i.trading_date)).toEqual(['2024-01-17', '2024-01-17', '2024-01-17']);
  });

  it('tops up to max_open_intents with dedup, then logs the open-intent cap', () => {
    const e = mk(makeConfig({ band: { tolerance_days: 0, prefer_positive_pnl: false } }));
    const a = e.evaluate(now);
    expect(a.intents.length).toBe(3);
    now += 60_000;
    const b = e.evaluate(now);
    expect(b.intents.map((i) => i.symbol)).toEqual(['BBB']); // the only long left; AAA/CCC/DDD are pending
    // no long left that is not pending: the second classification tops up the fifth
    const c = e.evaluate((now += 60_000));
    expect(c.message).toMatch(/LT_LONG_DECREASE: no intent \(0 candidate\(s\), 4 already pending or working\)/);
    expect(c.intents.map((i) => [i.symbol, i.classification])).toEqual([['SSS', 'LT_SHORT_INCREASE']]);
    const d = e.evaluate((now += 60_000));
    expect(d.intents).toEqual([]);
    expect(d.message).toContain('open-intent cap reached: 5 band intents pending or working (max_open_intents 5)');
    expect(count("SELECT COUNT(*) FROM intents WHERE status = 'PENDING'")).toBe(5);
  });

  it('falls back to the second classification when no first-choice candidate is PnL-acceptable', () => {
    // every long under water: LT_LONG_DECREASE has no acceptable candidate -> LT_SHORT_INCREASE
    setBook(db, [
      { symbol: 'AAA', qty: 10_000, avg: 130, tick: 120 },
      { symbol: 'BBB', qty: 5_000, avg: 200, tick: 180 },
      { symbol: 'CCC', qty: 2_000, avg: 70, tick: 60 },
      { symbol: 'DDD', qty: 3_000, avg: 110, tick: 101 },
    ]);
    const e = mk(makeConfig({ band: { tolerance_days: 0 } }));
    const r = e.evaluate(now);
    expect(r.intents.map((i) => [i.symbol, i.classification, i.side, i.qty])).toEqual([
      ['SSS', 'LT_SHORT_INCREASE', 'SELL', 120],
    ]);
    expect(r.message).toContain('LT_LONG_DECREASE: no intent (0 candidate(s), 4 with PnL below -0.0%)');
    // with a 15% acceptable loss AAA (-7.7%), DDD (-8.2%), BBB (-10%) and CCC (-14.3%) qualify again
    const e2 = mk(makeConfig({ band: { tolerance_days: 0, acceptable_loss_pct: 15 } }));
    db.prepare("UPDATE intents SET status = 'REJECTED'").run();
    expect(e2.evaluate((now += 1000)).intents.map((i) => i.symbol)).toEqual(['AAA', 'DDD', 'BBB']);
  });

  it('counts pending increases of earlier cycles against the cap, and shrinks or skips with the reason logged', () => {
    // long too low, only the long band configured: LT_LONG_INCREASE; equity puts gross just under the cap
    db.prepare('DELETE FROM positions').run();
    setBook(db, [
      { symbol: 'AAA', qty: 1_000, avg: 100, tick: 100 },
      { symbol: 'BBB', qty: 1_000, avg: 100, tick: 100 },
      { symbol: 'CCC', qty: 1_000, avg: 100, tick: 100 },
      { symbol: 'SSS', qty: -4_000, avg: 100, tick: 100 },
    ]);
    // gross 700,000; cap 100% of 703,000: room for 30 shares at $100
    const band = { tolerance_days: 0, long_pct_range: [50, 70] as [number, number], short_pct_range: [0, 100] as [number, number], max_intents_per_cycle: 1 };
    const e = mk(makeConfig({ equity: 703_000, cap: 100, band }));
    const r1 = e.evaluate(now);
    expect(r1.intents.map((i) => [i.symbol, i.classification, i.qty])).toEqual([['AAA', 'LT_LONG_INCREASE', 20]]);
    // 20 pending at $100 on top of 700,000 leaves room for 10 of the 20 wanted
    const r2 = e.evaluate((now += 1000));
    expect(r2.intents.map((i) => [i.symbol, i.qty])).toEqual([['BBB', 10]]);
    expect(r2.message).toContain('shrunk LT_LONG_INCREASE BBB from 20 to 10 to stay within the hard cap 100.0%');
    // full: CCC is skipped, so the first classification yields nothing and the decrease of the second is used
    const r3 = e.evaluate((now += 1000));
    expect(r3.message).toContain('skipped LT_LONG_INCREASE CCC: 20 would take gross over the hard cap 100.0% and not one lot of 1 fits');
    expect(r3.intents.map((i) => [i.symbol, i.classification, i.qty])).toEqual([['SSS', 'LT_SHORT_DECREASE', 80]]);
  });
});

describe('modes (docs/spec.md §5)', () => {
  it('DERISK while gross is over the cap: suspended, nothing proposed, a decrease can still be approved', () => {
    const e = mk(makeConfig({ band: { tolerance_days: 0 } }));
    const ok = e.evaluate(now);
    expect(ok.mode).toBe('NORMAL');
    expect(ok.intents[0].classification).toBe('LT_LONG_DECREASE');
    // prices jump tenfold: gross over 130% of 10M
    db.prepare('UPDATE ticks SET price_micro = price_micro * 10').run();
    const r = e.evaluate((now += 1000));
    expect(r).toMatchObject({ mode: 'DERISK', status: 'SUSPENDED', intents: [] });
    expect(r.message).toMatch(/mode NORMAL -> DERISK/);
    expect(r.message).toMatch(/DERISK: gross \d+\.\d% > hard cap 130\.0%/);
    expect(e.status().mode).toBe('DERISK');
    // decreases always pass the cap
    expect(e.approve([ok.intents[0].id], 'alice', now)[0]).toMatchObject({ ok: true, status: 'WORKING' });
    db.prepare('UPDATE ticks SET price_micro = price_micro / 10').run();
    expect(e.evaluate((now += 1000)).message).toMatch(/^mode DERISK -> NORMAL|; mode DERISK -> NORMAL/);
  });

  it('HALTED persists, proposes nothing, sends no order; resume lifts it', () => {
    const c = makeConfig({ band: { tolerance_days: 0 } });
    const e = mk(c);
    const r = e.evaluate(now);
    e.halt('alice', 'fat finger', now);
    const e2 = mk(c); // a restart keeps the kill switch
    expect(e2.status().mode).toBe('HALTED');
    const h = e2.evaluate((now += 1000));
    expect(h).toMatchObject({ mode: 'HALTED', status: 'SUSPENDED', intents: [] });
    const out = e2.approve([r.intents[0].id], 'alice', now);
    expect(out[0]).toMatchObject({ ok: false, status: 'PENDING' });
    expect(out[0].message).toContain('HALTED');
    expect(count('SELECT COUNT(*) FROM paper_orders')).toBe(0);
    e2.resume('alice', now);
    expect(e2.approve([r.intents[0].id], 'alice', now)[0]).toMatchObject({ ok: true, status: 'WORKING' });
    expect(e2.cycles(10).map((x) => x.message).join('\n')).toContain('HALTED by alice: fat finger');
  });
});

describe('lifecycle and audit (docs/spec.md §6)', () => {
  it('approves idempotently, refuses with the state, reports each outcome of a batch', () => {
    const e = mk(makeConfig({ band: { tolerance_days: 0 } }));
    const [a, b, c] = e.evaluate(now).intents.map((i) => i.id);
    expect(e.reject([b], 'alice', 'too small', now)[0]).toMatchObject({ ok: true, status: 'REJECTED' });
    const out = e.approve([a, b, 'i-nope', a], 'alice', now);
    expect(out.map((o) => [o.id, o.ok, o.status])).toEqual([
      [a, true, 'WORKING'],
      [b, false, 'REJECTED'],
      ['i-nope', false, null],
      [a, true, 'APPROVED'],
    ]);
    expect(out[1].message).toBe(`intent ${b} is REJECTED; cannot approve`);
    expect(e.approve([a], 'bob', now)[0]).toMatchObject({ ok: true, status: 'WORKING', message: expect.stringContaining('no second order') });
    expect(count('SELECT COUNT(*) FROM paper_orders WHERE intent_id = ?', a)).toBe(1);
    expect(count("SELECT COUNT(*) FROM event_log WHERE raw LIKE '%\"NEW\"%'")).toBe(1);
    expect(e.audit(a, 10).map((x) => [x.from, x.to, x.actor])).toEqual([
      [null, 'PENDING', 'engine'],
      ['PENDING', 'APPROVED', 'alice'],
      ['APPROVED', 'WORKING', 'engine'],
    ]);
    expect(e.audit(b, 10)[1]).toMatchObject({ to: 'REJECTED', actor: 'alice', reason: 'too small' });
    // the audit is append-only
    expect(() => db.prepare('UPDATE intent_audit SET actor = ?').run('mallory')).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM intent_audit').run()).toThrow(/append-only/);
    // expiry at the close of its session; approving then says so
    const next = at(12);
    const r = e.evaluate(next);
    expect(r.expired).toEqual([c]);
    expect(e.approve([c], 'alice', next)[0].message).toBe(`intent ${c} is EXPIRED (its session 2024-01-11 closed); cannot approve`);
    // a's day order ended at the close of its day: it is no longer working, and cannot be rejected either
    expect(e.reject([a], 'alice', 'x', next)[0]).toMatchObject({ ok: false, status: 'CANCELED' });
  });

  it('re-checks the hard cap at approval with the ticks of that moment', () => {
    setBook(db, [{ symbol: 'AAA', qty: 1_000, avg: 100, tick: 100 }, { symbol: 'SSS', qty: -3_000, avg: 100, tick: 100 }]);
    db.prepare("DELETE FROM positions WHERE symbol NOT IN ('AAA','SSS')").run();
    const c = makeConfig({ equity: 500_000, cap: 100, band: { tolerance_days: 0, long_pct_range: [50, 70], short_pct_range: [0, 100], max_intents_per_cycle: 1 } });
    const e = mk(c);
    const [id] = e.evaluate(now).intents.map((i) => i.id); // BUY 20 AAA: 402,000 of 500,000
    db.prepare("UPDATE ticks SET price_micro = 124000000 WHERE symbol IN ('AAA','SSS')").run(); // gross 496,000 + 2,480 > cap? no
    db.prepare("UPDATE ticks SET price_micro = 125000000 WHERE symbol IN ('AAA','SSS')").run(); // 500,000 + 2,500 > 500,000
    const out = e.approve([id], 'alice', now);
    expect(out[0]).toMatchObject({ ok: false, status: 'PENDING' });
    expect(out[0].message).toMatch(/^hard cap: approving i-\S+ would take gross to 100\.50% > 100\.0% at current ticks; it stays PENDING$/);
    db.prepare("UPDATE ticks SET price_micro = 100000000 WHERE symbol IN ('AAA','SSS')").run();
    expect(e.approve([id], 'alice', now)[0]).toMatchObject({ ok: true, status: 'WORKING' });
  });
});

describe('prices and the paper broker (docs/spec.md §7)', () => {
  it('fills a SELL limit when the tick reaches it, at the limit; the ledger moves the position; the intent is FILLED', () => {
    const e = mk(makeConfig({ band: { tolerance_days: 0 } }));
    const fills: unknown[] = [];
    e.on('fills', (f) => fills.push(f));
    const [a] = e.evaluate(now).intents; // SELL 200 AAA limit 120.06
    e.approve([a.id], 'alice', now);
    let r = e.applyTicks(parseTicksCsv('AAA,120.05\n', now + 1000), now + 1000);
    expect(r.fills).toBe(0);
    r = e.applyTicks(parseTicksCsv(`symbol,price,ts\nAAA,120.10,${new Date(at(11, 14)).toISOString()}\nAAA,119\n`, now + 2000), now + 2000);
    expect(r).toMatchObject({ ticks: 2, fills: 1, filled_intents: [a.id] });
    expect(fills).toEqual([{ count: 1, date: '2024-01-11' }]);
    expect(db.prepare("SELECT qty, price_micro, ts FROM fills WHERE intent_id = ?").get(a.id)).toEqual({ qty: 200, price_micro: 120_060_000, ts: at(11, 14) });
    expect(count("SELECT qty FROM positions WHERE bucket = 'LT' AND symbol = 'AAA'")).toBe(9_800);
    expect(e.listIntents('ALL', 10).find((i) => i.id === a.id)).toMatchObject({ status: 'FILLED', filled_qty: 200 });
    expect(e.audit(a.id, 10).at(-1)).toMatchObject({ from: 'WORKING', to: 'FILLED', actor: 'engine' });
  });

  it('fills a BUY limit only at or below the limit, and MARKET at the tick', () => {
    setBook(db, [{ symbol: 'AAA', qty: 1_000, avg: 100, tick: 100 }, { symbol: 'SSS', qty: -3_000, avg: 100, tick: 100 }]);
    db.prepare("DELETE FROM positions WHERE symbol NOT IN ('AAA','SSS')").run();
    const band = { tolerance_days: 0, long_pct_range: [50, 70] as [number, number], short_pct_range: [0, 100] as [number, number], max_intents_per_cycle: 1 };
    const e = mk(makeConfig({ band }));
    const [buy] = e.evaluate(now).intents; // BUY 20 AAA limit 99.95
    expect([buy.side, buy.limit_price]).toEqual(['BUY', 99.95]);
    e.approve([buy.id], 'alice', now);
    expect(e.applyTicks(parseTicksCsv('AAA,99.96', now)).fills).toBe(0);
    expect(e.applyTicks(parseTicksCsv('AAA,99.90', now)).fills).toBe(1);
    expect(db.prepare('SELECT price_micro FROM fills WHERE intent_id = ?').pluck().get(buy.id)).toBe(99_950_000);
    const m = mk(makeConfig({ band: { ...band, use_limit_orders: false } }));
    // AAA is now slightly under water (avg 99.999 > tick 99.90): the fallback LT_SHORT_DECREASE buys SSS back
    const [mkt] = m.evaluate((now += 1000)).intents;
    expect([mkt.symbol, mkt.classification, mkt.side, mkt.order_type, mkt.limit_price]).toEqual(['SSS', 'LT_SHORT_DECREASE', 'BUY', 'MARKET', null]);
    expect(m.approve([mkt.id], 'alice', now)[0]).toMatchObject({ ok: true, status: 'WORKING' });
    expect(m.applyTicks(parseTicksCsv('SSS,101.23', now)).fills).toBe(1);
    expect(db.prepare('SELECT price_micro FROM fills WHERE intent_id = ?').pluck().get(mkt.id)).toBe(101_230_000);
  });

  it('the simulator is seeded and reproducible; a cycle advances ticks and fills what they allow', () => {
    const a = new RandomWalkSimulator({ seed: 7 });
    const b = new RandomWalkSimulator({ seed: 7 });
    const seqA = Array.from({ length: 50 }, () => a.step(100_000_000));
    expect(Array.from({ length: 50 }, () => b.step(100_000_000))).toEqual(seqA);
    expect(seqA.every((p) => p % 10_000 === 0 && p > 0)).toBe(true);
    expect(new Set(seqA).size).toBeGreaterThan(10);
    const e = mk(makeConfig({ band: { tolerance_days: 0, use_limit_orders: false } }), { prices: new RandomWalkSimulator({ seed: 1 }) });
    const ids = e.evaluate(now).intents.map((i) => i.id);
    e.approve(ids, 'alice', now);
    const before = db.prepare("SELECT price_micro FROM ticks WHERE symbol = 'AAA'").pluck().get();
    const r = e.cycle((now += 60_000));
    expect(db.prepare("SELECT price_micro FROM ticks WHERE symbol = 'AAA'").pluck().get()).not.toBe(before);
    expect(r.filled.sort()).toEqual([...ids].sort()); // MARKET orders fill at the next tick
    // the engine's in-memory ticks (patched from the simulator's writes) equal the table
    for (let i = 0; i < 3; i++) e.cycle((now += 60_000));
    const fresh = mk(makeConfig({ band: { tolerance_days: 0, use_limit_orders: false } }));
    expect(e.status(now).gross_pct).toBe(fresh.status(now).gross_pct);
    expect(e.status(now).long_pct).toBe(fresh.status(now).long_pct);
    expect(e.status().price_source).toBe('simulator');
  });

  it('CSV ticks: errors name the line and nothing is applied', () => {
    expect(() => parseTicksCsv('symbol,price\nAAA,1\naaa,2\n', 0)).toThrow(/line 3: symbol 'aaa'/);
    expect(() => parseTicksCsv('AAA,0\n', 0)).toThrow(TickCsvError);
    expect(() => parseTicksCsv('AAA,1,yesterday\n', 0)).toThrow(/line 1: ts 'yesterday'/);
    expect(() => parseTicksCsv('AAA\n', 0)).toThrow(/line 1: expected symbol,price\[,ts\]/);
    expect(parseTicksCsv('AAA,1.5,1700000000000\n\nBBB,2,2024-01-11T10:00:00-05:00\n', 5)).toEqual([
      { symbol: 'AAA', priceMicro: 1_500_000, ts: 1_700_000_000_000, source: 'csv' },
      { symbol: 'BBB', priceMicro: 2_000_000, ts: at(11), source: 'csv' },
    ]);
  });
});

describe('console queries', () => {
  it('preview, band history (LTTB) and events', () => {
    const e = mk(makeConfig({ band: { tolerance_days: 0 } }));
    const news: { ids: string[]; count: number }[] = [];
    const off = e.on('intents:new', (p) => news.push(p));
    const r = e.evaluate(now);
    off();
    expect(news).toEqual([{ ids: r.intents.map((i) => i.id), count: 3 }]);
    const p = e.preview(r.intents.map((i) => i.id));
    expect(p.long_pct!).toBeLessThan(r.long_pct!);
    expect(p.gross_pct).toBeLessThan(r.gross_pct);
    for (let i = 0; i < 300; i++) e.evaluate((now += 60_000));
    const h = e.bandHistory('1D', 50, now);
    expect(h.length).toBe(50);
    expect(h[h.length - 1].ts).toBe(now);
    expect(e.bandHistory('ALL', 5000, now).length).toBe(301);
    expect(lttb([1, 2, 3, 4, 5], 3, (x) => x, (x) => x % 2)).toEqual([1, 2, 5]);
    expect(e.cycles(5).length).toBe(5);
    const st = e.status(now);
    expect(st).toMatchObject({ mode: 'NORMAL', status: 'CORRECTING', pending_intents: 4, price_source: 'static', stream: { state: 'off' } });
    e.setStreamStatus({ state: 'up', detail: 'redis://x' });
    expect(e.status().stream).toEqual({ state: 'up', detail: 'redis://x' });
  });
});

describe('the timer', () => {
  it('start() runs a cycle at once and then every cycle_seconds; stop() ends it', async () => {
    const e = new Engine({ db, config: fixedConfig(makeConfig({ band: { tolerance_days: 0 } })), prices: new RandomWalkSimulator({ seed: 3 }) });
    const statuses: string[] = [];
    e.on('status', (s) => statuses.push(s.status));
    e.start();
    await new Promise((r) => setTimeout(r, 150));
    e.stop();
    expect(e.cycles(10).length).toBe(1);
    expect(statuses).toContain('CORRECTING');
    await new Promise((r) => setTimeout(r, 50));
    expect(e.cycles(10).length).toBe(1);
  });
});
