// Approvals stay safe after the world moves (issue 11), on real SQLite files: approval re-validates each intent
// against the book of that moment; approved orders are DAY orders in the account calendar (across DST, in New York
// and London); external CANCELED / REJECTED stop the paper order; HALT holds the outbox; a bad config never runs;
// positions without a tick are valued, not ignored.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine, type EvaluateResult } from '../../src/main/services/engine/engine';
import type { ConfigStateLike } from '../../src/main/services/engine/config';
import { appendEvents } from '../../src/main/services/ledger/log';
import { RedisBroker } from '../../src/main/services/streams/outbox';
import { StoreError, type Db } from '../../src/main/services/store/db';
import type { RiskConfig } from '../../src/main/services/config/schema';
import { newDb, setBook, type P } from './helpers';
import { fixedConfig, makeConfig } from '../support/config';
import { tempDir } from '../support/tmp';

let tmp: ReturnType<typeof tempDir>;
let db: Db;

beforeEach(() => {
  tmp = tempDir('engine-safety-');
  db = newDb(tmp.dir);
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

/** Epoch ms of a wall-clock time in a zone, computed without the code under test. */
function wall(zone: string, iso: string): number {
  const guess = Date.parse(`${iso}Z`);
  const whole = Math.floor(guess / 1000) * 1000;
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(whole));
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const asLocal = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return guess - (asLocal - whole);
}
const NY = (iso: string) => wall('America/New_York', iso);
const LDN = (iso: string) => wall('Europe/London', iso);

const one = (sql: string, ...a: unknown[]) => db.prepare(sql).pluck().get(...a);
const qtyOf = (symbol: string, bucket = 'LT') => (one('SELECT qty FROM positions WHERE bucket = ? AND symbol = ?', bucket, symbol) as number | undefined) ?? 0;

let seq = 0;
/** An order event from outside the console (another venue, the execution service), applied through the ledger. */
function external(e: { symbol: string; classification: string; side: 'BUY' | 'SELL'; type?: string; qty?: number; price?: number; ts: number; order_id?: string; intent_id?: string }): void {
  seq++;
  const raw: Record<string, unknown> = {
    event_id: `ext-${seq}`,
    order_id: e.order_id ?? `ext-o-${seq}`,
    ts: new Date(e.ts).toISOString(),
    symbol: e.symbol,
    classification: e.classification,
    side: e.side,
    event_type: e.type ?? 'FILL',
  };
  if (e.intent_id) raw.intent_id = e.intent_id;
  if ((e.type ?? 'FILL') === 'FILL') Object.assign(raw, { fill_qty: e.qty, fill_price: e.price });
  appendEvents(db, [JSON.stringify(raw)], 'test');
}

function engineAt(cfg: RiskConfig, clock: { now: number }, extra: Partial<ConstructorParameters<typeof Engine>[0]> = {}): Engine {
  return new Engine({ db, config: fixedConfig(cfg), actor: 'alice', now: () => clock.now, ...extra });
}

// AAA (+20%) is the best long to trim, then YYY (+10%); ZZZ keeps LT long far above 70% whatever happens to AAA.
const BOOK: P[] = [
  { symbol: 'AAA', qty: 1_000, avg: 100, tick: 120 },
  { symbol: 'YYY', qty: 1_000, avg: 100, tick: 110 },
  { symbol: 'ZZZ', qty: 20_000, avg: 100, tick: 100 },
  { symbol: 'SSS', qty: -5_000, avg: 100, tick: 100 },
];
const ONE_AT_A_TIME = { tolerance_days: 0, max_intents_per_cycle: 1 };

describe('approval re-validates each intent against the book of that moment', () => {
  function proposeAAA(band: Partial<RiskConfig['buckets']['LT']['band_drift']> = {}) {
    setBook(db, BOOK);
    const clock = { now: NY('2024-01-10T10:00:00') };
    const e = engineAt(makeConfig({ band: { ...ONE_AT_A_TIME, ...band } }), clock);
    const [i] = e.evaluate(clock.now).intents;
    expect(i).toMatchObject({ symbol: 'AAA', classification: 'LT_LONG_DECREASE', side: 'SELL', qty: 20 });
    return { e, clock, id: i.id };
  }

  it('the position shrank: the decrease is clamped to it, rounded down to lots, with an audit row', () => {
    const { e, clock, id } = proposeAAA({ lot_size: 10 });
    // 985 of AAA are sold elsewhere: 15 left, i.e. one lot of 10
    external({ symbol: 'AAA', classification: 'LT_LONG_DECREASE', side: 'SELL', qty: 985, price: 121, ts: NY('2024-01-10T10:01:00') });
    clock.now = NY('2024-01-10T10:02:00');
    const [o] = e.approve([id], 'alice', clock.now);
    expect(o).toMatchObject({ ok: true, status: 'WORKING' });
    expect(one('SELECT qty FROM intents WHERE id = ?', id)).toBe(10);
    expect(one('SELECT qty FROM paper_orders WHERE intent_id = ?', id)).toBe(10);
    expect(e.audit(id, 10).map((a) => [a.from, a.to, a.actor, a.reason])).toEqual([
      [null, 'PENDING', 'engine', expect.any(String)],
      ['PENDING', 'PENDING', 'engine', 'qty clamped from 20 to 10 at approval: LT AAA is 15 now, lot 10'],
      ['PENDING', 'APPROVED', 'alice', 'approved'],
      ['APPROVED', 'WORKING', 'engine', expect.stringMatching(/^order o-\S+ sent to paper$/)],
    ]);
    // the fill leaves 5, never below zero
    e.applyTicks([{ symbol: 'AAA', priceMicro: 125_000_000, ts: NY('2024-01-10T11:00:00'), source: 'test' }], NY('2024-01-10T11:00:00'));
    expect(qtyOf('AAA')).toBe(5);
  });

  it('the position went flat, or to the other side: the decrease is refused and SUPERSEDED, nothing is sent', () => {
    for (const [sold, now] of [
      [1_000, 'is flat now'],
      [1_010, 'is short 10 now'],
    ] as const) {
      db.close();
      db = newDb(tmp.dir, `sold-${sold}.sqlite`);
      const { e, clock, id } = proposeAAA();
      external({ symbol: 'AAA', classification: 'LT_LONG_DECREASE', side: 'SELL', qty: sold, price: 121, ts: NY('2024-01-10T10:01:00') });
      clock.now = NY('2024-01-10T10:02:00');
      const [o] = e.approve([id], 'alice', clock.now);
      expect(o).toMatchObject({ ok: false, status: 'SUPERSEDED' });
      expect(o.message).toContain(`LT AAA ${now}: a LONG decrease has nothing to decrease`);
      expect(one('SELECT COUNT(*) FROM paper_orders WHERE intent_id = ?', id)).toBe(0);
      expect(e.audit(id, 10).at(-1)).toMatchObject({ from: 'PENDING', to: 'SUPERSEDED', actor: 'engine' });
    }
  });

  it('the band came back, or went out the other way: SUPERSEDED with the reason', () => {
    const { e, clock, id } = proposeAAA();
    // 13,000 ZZZ sold elsewhere: long 120,000 + 110,000 + 700,000 = 930,000 vs short 500,000, i.e. 65.0%
    external({ symbol: 'ZZZ', classification: 'LT_LONG_DECREASE', side: 'SELL', qty: 13_000, price: 100, ts: NY('2024-01-10T10:01:00') });
    clock.now = NY('2024-01-10T10:02:00');
    e.sync(clock.now);
    const st = e.status(clock.now);
    expect(st.long_pct).toBeGreaterThanOrEqual(60);
    expect(st.long_pct).toBeLessThanOrEqual(70);
    const [o] = e.approve([id], 'alice', clock.now);
    expect(o.status).toBe('SUPERSEDED');
    expect(o.message).toMatch(/the band is back in range \(LT long 6\d\.\d%, short 3\d\.\d%\)/);

    // Out the other way: long too low now, so a LONG decrease would make it worse.
    db.close();
    db = newDb(tmp.dir, 'other-way.sqlite');
    const again = proposeAAA();
    external({ symbol: 'SSS', classification: 'LT_SHORT_INCREASE', side: 'SELL', qty: 40_000, price: 100, ts: NY('2024-01-10T10:01:00') });
    const [o2] = again.e.approve([again.id], 'alice', NY('2024-01-10T10:02:00'));
    expect(o2.status).toBe('SUPERSEDED');
    expect(o2.message).toMatch(/the band is now out the other way \(LT long \d+\.\d%, short \d+\.\d%\)/);
  });

  it('the book grew past the cap: an increase is refused and stays PENDING', () => {
    // short too high → LT_SHORT_DECREASE first; no short is PnL-acceptable, so LT_LONG_INCREASE (a BUY) is proposed
    setBook(db, [
      { symbol: 'LLL', qty: 1_000, avg: 100, tick: 100 },
      { symbol: 'SSS', qty: -3_000, avg: 100, tick: 110 },
    ]);
    const clock = { now: NY('2024-01-10T10:00:00') };
    const e = engineAt(makeConfig({ equity: 1_000_000, cap: 50, band: { ...ONE_AT_A_TIME } }), clock);
    const [i] = e.evaluate(clock.now).intents;
    expect(i).toMatchObject({ classification: 'LT_LONG_INCREASE', side: 'BUY', symbol: 'LLL' });
    // another desk buys into the MM bucket: gross 430,000 + 80,000 = 510,000 > 500,000
    external({ symbol: 'MMX', classification: 'MM_LONG_INCREASE', side: 'BUY', qty: 800, price: 100, ts: NY('2024-01-10T10:01:00') });
    db.prepare("INSERT INTO ticks (symbol, price_micro, ts, source) VALUES ('MMX', 100000000, ?, 'test')").run(NY('2024-01-10T10:01:00'));
    const [o] = e.approve([i.id], 'alice', NY('2024-01-10T10:02:00'));
    expect(o).toMatchObject({ ok: false, status: 'PENDING' });
    expect(o.message).toMatch(/^hard cap: approving \S+ would take gross to 5\d\.\d\d% > 50\.0% at current ticks; it stays PENDING$/);
  });

  it('a position under one lot is closed whole, not refused', () => {
    setBook(db, [
      { symbol: 'AAA', qty: 5, avg: 100, tick: 120 },
      { symbol: 'ZZZ', qty: 20_000, avg: 100, tick: 100 },
      { symbol: 'SSS', qty: -5_000, avg: 100, tick: 100 },
    ]);
    const e = engineAt(makeConfig({ band: { ...ONE_AT_A_TIME, lot_size: 10 } }), { now: 0 });
    const [i] = e.evaluate(NY('2024-01-10T10:00:00')).intents;
    expect(i).toMatchObject({ symbol: 'AAA', qty: 5 });
    expect(e.approve([i.id], 'alice', NY('2024-01-10T10:01:00'))[0]).toMatchObject({ ok: true, status: 'WORKING' });
  });

  it('an increase on a position now on the other side is SUPERSEDED: it would go through zero', () => {
    // short too high: the shorts are not PnL-acceptable, so LT_LONG_INCREASE BUY LLL is proposed
    setBook(db, [
      { symbol: 'LLL', qty: 1_000, avg: 100, tick: 100 },
      { symbol: 'SSS', qty: -3_000, avg: 100, tick: 110 },
    ]);
    const e = engineAt(makeConfig({ band: ONE_AT_A_TIME }), { now: 0 });
    const [i] = e.evaluate(NY('2024-01-10T10:00:00')).intents;
    expect(i).toMatchObject({ classification: 'LT_LONG_INCREASE', symbol: 'LLL' });
    external({ symbol: 'LLL', classification: 'LT_LONG_DECREASE', side: 'SELL', qty: 1_010, price: 100, ts: NY('2024-01-10T10:01:00') });
    const [o] = e.approve([i.id], 'alice', NY('2024-01-10T10:02:00'));
    expect(o.status).toBe('SUPERSEDED');
    expect(o.message).toContain('LT LLL is short 10 now: a LONG increase would go through zero');
  });

  it('the position moves after the approval: the fill stops at zero, the rest of the order is canceled', () => {
    const { e, id } = proposeAAA();
    expect(e.approve([id], 'alice', NY('2024-01-10T10:01:00'))[0].status).toBe('WORKING');
    // 990 of the 1,000 are sold elsewhere while the SELL 20 works
    external({ symbol: 'AAA', classification: 'LT_LONG_DECREASE', side: 'SELL', qty: 990, price: 121, ts: NY('2024-01-10T10:30:00') });
    const r = e.applyTicks([{ symbol: 'AAA', priceMicro: 125_000_000, ts: NY('2024-01-10T11:00:00'), source: 'test' }], NY('2024-01-10T11:00:00'));
    expect(r.fills).toBe(1);
    expect(qtyOf('AAA')).toBe(0);
    expect(db.prepare('SELECT event_type FROM order_events WHERE intent_id = ? ORDER BY id').pluck().all(id)).toEqual(['NEW', 'ACK', 'CANCELED']); // and the PARTIAL_FILL in fills:
    expect(db.prepare('SELECT SUM(qty) FROM fills WHERE intent_id = ?').pluck().get(id)).toBe(10);
    const [rec] = e.listIntents('CANCELED', 10, NY('2024-01-10T11:00:00'));
    expect(rec).toMatchObject({ id, filled_qty: 10 });
    expect(e.audit(id, 10).at(-1)!.reason).toMatch(/CANCELED by execution after 10 of 20 filled$/);
  });

  it('a PENDING intent expires at the close of its session: in approve, and in every read path without an evaluation', () => {
    const { e, id } = proposeAAA();
    expect(e.listIntents('PENDING', 100, NY('2024-01-10T15:59:59.999')).map((x) => x.id)).toEqual([id]);
    expect(e.status(NY('2024-01-10T15:59:59.999')).pending_intents).toBe(1);
    // 16:00, the close: the queue, the status count and approve all see it EXPIRED; nobody can work it now
    expect(e.listIntents('PENDING', 100, NY('2024-01-10T16:00:00')).map((x) => x.id)).toEqual([]);
    expect(e.status(NY('2024-01-10T16:00:00')).pending_intents).toBe(0);
    expect(e.approve([id], 'alice', NY('2024-01-10T16:00:01'))[0].message).toBe(`intent ${id} is EXPIRED (its session 2024-01-10 closed); cannot approve`);
    expect(e.audit(id, 10).at(-1)).toMatchObject({
      from: 'PENDING',
      to: 'EXPIRED',
      actor: 'engine',
      at: NY('2024-01-10T16:00:00'),
      reason: 'its session closed (2024-01-10, 16:00 America/New_York) before it was approved',
    });
  });

  it('an approval at the close finds the intent expired: no order that would end at once', () => {
    const { e, id } = proposeAAA();
    const [o] = e.approve([id], 'alice', NY('2024-01-10T16:00:00'));
    expect(o).toMatchObject({ ok: false, status: 'EXPIRED' });
    expect(one('SELECT COUNT(*) FROM paper_orders')).toBe(0);
  });
});

describe('approved orders are DAY orders in the account calendar', () => {
  /** Proposes and approves one AAA decrease on `date` at 10:00 local; returns the engine and the intent id. */
  function workingOn(zone: string, date: string, local: (iso: string) => number) {
    setBook(db, BOOK, local(`${date}T09:00:00`));
    const clock = { now: local(`${date}T10:00:00`) };
    const e = engineAt(makeConfig({ timezone: zone, band: ONE_AT_A_TIME }), clock);
    const [i] = e.evaluate(clock.now).intents;
    expect(e.approve([i.id], 'alice', local(`${date}T10:01:00`))[0].status).toBe('WORKING');
    return { e, id: i.id };
  }

  const cases = [
    // New York: EST before the switch of 10 March 2024, EDT after it
    { zone: 'America/New_York', date: '2024-03-08', closeUtc: '2024-03-08T21:00:00Z', local: NY },
    { zone: 'America/New_York', date: '2024-03-11', closeUtc: '2024-03-11T20:00:00Z', local: NY },
    // London: GMT before the switch of 31 March 2024, BST after it
    { zone: 'Europe/London', date: '2024-03-28', closeUtc: '2024-03-28T16:00:00Z', local: LDN },
    { zone: 'Europe/London', date: '2024-04-02', closeUtc: '2024-04-02T15:00:00Z', local: LDN },
  ];
  for (const c of cases) {
    it(`${c.zone} ${c.date}: works until 16:00 local (${c.closeUtc}), then ends; a later tick fills nothing`, () => {
      const { e, id } = workingOn(c.zone, c.date, c.local);
      const close = Date.parse(c.closeUtc);
      expect(c.local(`${c.date}T16:00:00`)).toBe(close); // the test's own clock agrees with the exchange's
      expect(e.listIntents('WORKING', 10, close - 1).map((x) => x.id)).toEqual([id]);
      expect(e.listIntents('WORKING', 10, close).map((x) => x.id)).toEqual([]);
      const [rec] = e.listIntents('CANCELED', 10, close);
      expect(rec.id).toBe(id);
      expect(e.audit(id, 10).at(-1)).toMatchObject({
        from: 'WORKING',
        to: 'CANCELED',
        actor: 'engine',
        at: close,
        reason: `day order ended at the close (16:00 ${c.zone}) of ${c.date}; filled 0 of 20`,
      });
      expect(one("SELECT status FROM paper_orders WHERE intent_id = ?", id)).toBe('CANCELED');
      e.sync(close);
      // the paper broker told the ledger: a CANCELED order event for the order
      expect(one("SELECT COUNT(*) FROM order_events WHERE intent_id = ? AND event_type = 'CANCELED'", id)).toBe(1);
      // a tick past the close at a price that would have filled the SELL limit fills nothing
      const r = e.applyTicks([{ symbol: 'AAA', priceMicro: 200_000_000, ts: close + 60_000, source: 'test' }], close + 60_000);
      expect(r.fills).toBe(0);
      expect(qtyOf('AAA')).toBe(1_000);
    });
  }

  it('a tick before the close fills even when it is applied after the close', () => {
    const { e, id } = workingOn('America/New_York', '2024-01-10', NY);
    const r = e.applyTicks([{ symbol: 'AAA', priceMicro: 125_000_000, ts: NY('2024-01-10T15:59:00'), source: 'test' }], NY('2024-01-10T16:30:00'));
    expect(r).toMatchObject({ fills: 1, filled_intents: [id] });
    expect(e.listIntents('FILLED', 10, NY('2024-01-10T16:30:00')).map((x) => x.id)).toEqual([id]);
  });

  it('a later market_close moves the end of day orders', () => {
    setBook(db, BOOK, NY('2024-01-10T09:00:00'));
    const cfg = makeConfig({ band: ONE_AT_A_TIME });
    cfg.account.market_close = '13:00'; // an early close
    const e = engineAt(cfg, { now: NY('2024-01-10T10:00:00') });
    const [i] = e.evaluate(NY('2024-01-10T10:00:00')).intents;
    e.approve([i.id], 'alice', NY('2024-01-10T10:01:00'));
    expect(e.listIntents('WORKING', 10, NY('2024-01-10T12:59:59')).length).toBe(1);
    expect(e.listIntents('WORKING', 10, NY('2024-01-10T13:00:00')).length).toBe(0);
  });

  it('an episode that starts on a holiday: the holiday is no day of tolerance, and proposes nothing', () => {
    setBook(db, BOOK);
    const cfg = makeConfig({ holidays: ['2024-01-15'], band: { tolerance_days: 1 } });
    const e = engineAt(cfg, { now: 0 });
    const days = ['2024-01-15', '2024-01-16', '2024-01-17'].map((d) => e.evaluate(NY(`${d}T10:00:00`)));
    expect(days.map((r: EvaluateResult) => [r.trading_date, r.status, r.days_in_violation, r.intents.length])).toEqual([
      ['2024-01-15', 'WATCH', 1, 0], // MLK day: the episode starts, no trading day counted yet
      ['2024-01-16', 'WATCH', 1, 0], // the first trading day of the episode
      ['2024-01-17', 'CORRECTING', 2, 3], // AAA, YYY, ZZZ
    ]);
    expect(one('SELECT start_date FROM band_episodes')).toBe('2024-01-15');
  });
});

describe('the execution side closes orders too', () => {
  for (const type of ['CANCELED', 'REJECTED'] as const) {
    it(`an external ${type} cancels the intent and the paper order: a later tick fills nothing`, () => {
      setBook(db, BOOK);
      const clock = { now: NY('2024-01-10T10:00:00') };
      const e = engineAt(makeConfig({ band: ONE_AT_A_TIME }), clock);
      const [i] = e.evaluate(clock.now).intents;
      e.approve([i.id], 'alice', NY('2024-01-10T10:01:00'));
      const orderId = one('SELECT order_id FROM intents WHERE id = ?', i.id) as string;
      external({ symbol: 'AAA', classification: 'LT_LONG_DECREASE', side: 'SELL', type, ts: NY('2024-01-10T10:30:00'), order_id: orderId, intent_id: i.id });
      e.sync(NY('2024-01-10T10:31:00'));
      expect(e.listIntents('CANCELED', 10, NY('2024-01-10T10:31:00')).map((x) => x.id)).toEqual([i.id]);
      expect(e.audit(i.id, 10).at(-1)!.reason).toBe(`order ${orderId} ${type} by execution after 0 of 20 filled`);
      expect(one('SELECT status FROM paper_orders WHERE intent_id = ?', i.id)).toBe('CANCELED');
      // no second CANCELED is written back: the execution side already said it
      expect(one("SELECT COUNT(*) FROM order_events WHERE intent_id = ? AND event_type IN ('CANCELED','REJECTED')", i.id)).toBe(1);
      expect(e.applyTicks([{ symbol: 'AAA', priceMicro: 200_000_000, ts: NY('2024-01-10T11:00:00'), source: 'test' }], NY('2024-01-10T11:00:00')).fills).toBe(0);
      expect(qtyOf('AAA')).toBe(1_000);
    });
  }

  it('cancel: working orders end at the broker with the actor and reason; PENDING ones are for reject', () => {
    setBook(db, BOOK);
    const clock = { now: NY('2024-01-10T10:00:00') };
    const e = engineAt(makeConfig({ band: { tolerance_days: 0 } }), clock);
    const [a, b, c] = e.evaluate(clock.now).intents.map((i) => i.id);
    e.approve([a, b], 'alice', NY('2024-01-10T10:01:00'));
    const out = e.cancel([a, c, 'i-none'], 'bob', 'wrong size', NY('2024-01-10T10:02:00'));
    expect(out.map((o) => [o.id, o.ok, o.status])).toEqual([
      [a, true, 'CANCELED'],
      [c, false, 'PENDING'],
      ['i-none', false, null],
    ]);
    expect(out[0].message).toBe('canceled by bob: wrong size; filled 0 of 20');
    expect(out[1].message).toContain('PENDING: no order to cancel (reject it instead)');
    expect(e.audit(a, 10).at(-1)).toMatchObject({ from: 'WORKING', to: 'CANCELED', actor: 'bob' });
    const all = e.cancel('all', 'bob', 'end of session', NY('2024-01-10T10:03:00'));
    expect(all.map((o) => [o.id, o.status])).toEqual([[b, 'CANCELED']]);
    expect(e.cancel('all', 'bob', 'again', NY('2024-01-10T10:04:00'))).toEqual([]);
    expect(one("SELECT COUNT(*) FROM paper_orders WHERE status = 'WORKING'")).toBe(0);
  });
});

describe('HALT holds the outbox; resume publishes only what is still valid', () => {
  it('queued orders stay queued and are shown as held; canceled or ended ones are dropped, not published', () => {
    setBook(db, BOOK);
    const clock = { now: NY('2024-01-10T10:00:00') };
    const broker = new RedisBroker(db, 'test.intents');
    const e = engineAt(makeConfig({ band: { tolerance_days: 0 } }), clock, { broker });
    const [a, b, c] = e.evaluate(clock.now).intents.map((i) => i.id);
    e.approve([a, b, c], 'alice', NY('2024-01-10T10:01:00'));
    const unsent = () => db.prepare('SELECT idem_key, kind FROM stream_outbox WHERE sent_at IS NULL AND dropped_at IS NULL ORDER BY id').all();
    expect(unsent()).toEqual([a, b, c].map((id) => ({ idem_key: id, kind: 'order' })));
    // Published already (the publisher marks sent_at): c's order went out before the HALT.
    db.prepare("UPDATE stream_outbox SET sent_at = 1, entry_id = '1-0' WHERE idem_key = ?").run(c);
    e.halt('alice', 'desk review', NY('2024-01-10T10:02:00'));
    expect(e.status(NY('2024-01-10T10:02:00')).orders_held).toBe(2);
    // b is canceled while halted: never published, so its queued row is dropped rather than followed by a cancel
    e.cancel([b], 'alice', 'not now', NY('2024-01-10T10:03:00'));
    // c was published: its cancel goes out even while halted (it only takes risk off)
    e.cancel([c], 'alice', 'not now', NY('2024-01-10T10:03:30'));
    expect(unsent()).toEqual([
      { idem_key: a, kind: 'order' },
      { idem_key: `cancel:${c}`, kind: 'cancel' },
    ]);
    expect(db.prepare('SELECT drop_reason FROM stream_outbox WHERE idem_key = ?').pluck().get(b)).toMatch(/^canceled by alice: not now/);
    expect(e.status(NY('2024-01-10T10:04:00')).orders_held).toBe(1);
    // resume within the day: a is still WORKING, so it goes
    e.resume('alice', NY('2024-01-10T10:05:00'));
    expect(unsent()).toEqual([
      { idem_key: a, kind: 'order' },
      { idem_key: `cancel:${c}`, kind: 'cancel' },
    ]);
    expect(e.status(NY('2024-01-10T10:05:00')).orders_held).toBe(0);
  });

  it('an order held past its close is dropped on resume, not published', () => {
    setBook(db, BOOK);
    const clock = { now: NY('2024-01-10T10:00:00') };
    const e = engineAt(makeConfig({ band: ONE_AT_A_TIME }), clock, { broker: new RedisBroker(db, 'test.intents') });
    const [a] = e.evaluate(clock.now).intents.map((i) => i.id);
    e.approve([a], 'alice', NY('2024-01-10T10:01:00'));
    e.halt('alice', 'overnight', NY('2024-01-10T10:02:00'));
    e.resume('alice', NY('2024-01-11T09:00:00'));
    expect(db.prepare('SELECT sent_at, dropped_at IS NOT NULL AS dropped, drop_reason FROM stream_outbox WHERE idem_key = ?').get(a)).toMatchObject({
      sent_at: null,
      dropped: 1,
      drop_reason: expect.stringMatching(/^day order ended at the close \(16:00 America\/New_York\) of 2024-01-10/),
    });
    expect(e.listIntents('CANCELED', 10, NY('2024-01-11T09:00:00')).map((x) => x.id)).toEqual([a]);
  });
});

describe('a bad config never runs', () => {
  const state = (s: Partial<ConfigStateLike>): (() => ConfigStateLike) => {
    const st: ConfigStateLike = { config: null, valid: false, messages: ['buckets.LT.band_drift.lot_size (line 19): must be at least 1'], file: 'risk_rules.yaml', ...s };
    return () => st;
  };

  it('started on an invalid file: nothing proposed, approvals refused with the error, no defaults in force', () => {
    setBook(db, BOOK);
    // an intent proposed earlier, under a valid config
    const good = makeConfig({ band: ONE_AT_A_TIME });
    const [i] = engineAt(good, { now: 0 }).evaluate(NY('2024-01-10T10:00:00')).intents;
    const e = new Engine({ db, config: state({}), actor: 'alice', now: () => NY('2024-01-10T10:05:00') });
    const r = e.evaluate(NY('2024-01-10T10:05:00'));
    expect(r).toMatchObject({ status: 'SUSPENDED', intents: [] });
    expect(r.message).toContain('config invalid: buckets.LT.band_drift.lot_size (line 19): must be at least 1');
    const [o] = e.approve([i.id], 'alice', NY('2024-01-10T10:06:00'));
    expect(o).toMatchObject({ ok: false, status: 'PENDING' });
    expect(o.message).toBe(`config invalid: buckets.LT.band_drift.lot_size (line 19): must be at least 1; nothing is approved until it is valid (intent ${i.id} stays PENDING)`);
    expect(e.status(NY('2024-01-10T10:06:00')).config).toMatchObject({ valid: false, in_force: 'none' });
  });

  it('became invalid while running: the last valid config stays in force (approvals run on it), the controller is suspended', () => {
    setBook(db, BOOK);
    const last = makeConfig({ band: ONE_AT_A_TIME });
    const [i] = engineAt(last, { now: 0 }).evaluate(NY('2024-01-10T10:00:00')).intents;
    const e = new Engine({ db, config: state({ config: last }), actor: 'alice', now: () => NY('2024-01-10T10:05:00') });
    expect(e.evaluate(NY('2024-01-10T10:05:00'))).toMatchObject({ status: 'SUSPENDED', intents: [] });
    expect(e.status(NY('2024-01-10T10:05:00')).config).toMatchObject({ valid: false, in_force: 'last-valid' });
    expect(e.approve([i.id], 'alice', NY('2024-01-10T10:06:00'))[0]).toMatchObject({ ok: true, status: 'WORKING' });
  });
});

describe('no blind spot for missing prices', () => {
  it('a position without a tick is valued at its average cost for the band, the cap and DERISK, and is marked stale', () => {
    setBook(db, [
      { symbol: 'AAA', qty: 1_000, avg: 100, tick: 100 },
      { symbol: 'SSS', qty: -1_000, avg: 100, tick: 100 },
    ], NY('2024-01-10T09:00:00'));
    // NOP: a long of 8,000 at an average cost of 50, never priced
    db.prepare("INSERT INTO positions (bucket, symbol, qty, cost_micro, realized_micro, updated_at) VALUES ('LT', 'NOP', 8000, 400000000000, 0, 0)").run();
    const e = engineAt(makeConfig({ equity: 500_000, cap: 100, band: { tolerance_days: 0 } }), { now: NY('2024-01-10T10:00:00') });
    const r = e.evaluate(NY('2024-01-10T10:00:00'));
    // gross 100,000 + 100,000 + 400,000 = 600,000 > 500,000: DERISK, which ignoring NOP would have missed
    expect(r.gross_pct).toBeCloseTo(120, 6);
    expect(r.long_pct).toBeCloseTo((100 * 500_000) / 600_000, 6);
    expect(r.mode).toBe('DERISK');
    expect(r.stale_prices).toEqual(['NOP']);
    expect(r.message).toContain('stale prices: NOP (never priced: average cost)');
    expect(e.status(NY('2024-01-10T10:00:00')).stale_prices).toEqual(['NOP']);
  });

  it('a tick older than the previous trading day is used, and marked stale', () => {
    setBook(db, [
      { symbol: 'AAA', qty: 1_000, avg: 100, tick: 110 },
      { symbol: 'SSS', qty: -1_000, avg: 100, tick: 100 },
    ], NY('2024-01-05T15:00:00')); // Friday
    const e = engineAt(makeConfig(), { now: 0 });
    // Monday: Friday is the previous trading day, the tick is fresh; Tuesday: it is stale
    expect(e.status(NY('2024-01-08T10:00:00')).stale_prices).toEqual([]);
    const tue = e.status(NY('2024-01-09T10:00:00'));
    expect(tue.stale_prices).toEqual(['AAA', 'SSS']);
    expect(tue.long_pct).toBeCloseTo((100 * 110) / 210, 6);
  });
});

describe('one time zone per book', () => {
  it('the first engine stores the zone; one configured with another zone is refused', () => {
    setBook(db, BOOK);
    engineAt(makeConfig({ timezone: 'Europe/London' }), { now: 0 });
    expect(one("SELECT value FROM app_state WHERE key = 'account.timezone'")).toBe('Europe/London');
    let err: unknown;
    try {
      engineAt(makeConfig({ timezone: 'America/New_York' }), { now: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('ZONE_MISMATCH');
    expect((err as Error).message).toMatch(/keeps its book in account time zone Europe\/London, but the config says America\/New_York/);
  });
});
