// Orders for the next session (issue 20), on real SQLite files: outside the session the controller proposes for the
// next one; an approval then STAGES the intent (nothing at the broker, nothing on ev.intents) and the open releases
// it after the checks an approval makes, against the book of that moment: filled when the market allows, clamped
// when the position shrank overnight, SUPERSEDED when the band came back, back to PENDING when the cap grew,
// CANCELED by the trader before the open, held over a HALT, released at the next start of a console that was closed
// over the open — or EXPIRED when the session it was for closed first.
import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/services/engine/engine';
import { appendEvents } from '../../src/main/services/ledger/log';
import { RedisBroker } from '../../src/main/services/streams/outbox';
import type { Db } from '../../src/main/services/store/db';
import type { RiskConfig } from '../../src/main/services/config/schema';
import { newDb, setBook, type P } from './helpers';
import { fixedConfig, makeConfig } from '../support/config';
import { tempDir } from '../support/tmp';

/** Epoch ms of a New York wall-clock time (luxon, not the engine's calendar code). */
const NY = (iso: string) => DateTime.fromISO(iso, { zone: 'America/New_York' }).toMillis();
// Sunday 6 December 2026; Monday 7 trades 09:30–16:00
const SUN = NY('2026-12-06T15:00:00');
const MON_OPEN = NY('2026-12-07T09:30:00');
const MON_CLOSE = NY('2026-12-07T16:00:00');

let tmp: ReturnType<typeof tempDir>;
let db: Db;
beforeEach(() => {
  tmp = tempDir('engine-staging-');
  db = newDb(tmp.dir);
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

const one = (sql: string, ...a: unknown[]) => db.prepare(sql).pluck().get(...a);
const engine = (cfg: RiskConfig, extra: Partial<ConstructorParameters<typeof Engine>[0]> = {}) =>
  new Engine({ db, config: fixedConfig(cfg), actor: 'alice', now: () => 0, ...extra });

// AAA (+20%) is the long to trim; ZZZ keeps LT long far above 70%.
const BOOK: P[] = [
  { symbol: 'AAA', qty: 1_000, avg: 100, tick: 120 },
  { symbol: 'ZZZ', qty: 20_000, avg: 100, tick: 100 },
  { symbol: 'SSS', qty: -5_000, avg: 100, tick: 100 },
];
const CFG = makeConfig({ band: { tolerance_days: 0, max_intents_per_cycle: 1 } });

let ext = 0;
/** A fill from another venue, through the ledger's log. */
function outside(symbol: string, classification: string, side: 'BUY' | 'SELL', qty: number, price: number, ts: number): void {
  ext++;
  appendEvents(db, [JSON.stringify({ event_id: `x-${ext}`, order_id: `xo-${ext}`, ts: new Date(ts).toISOString(), symbol, classification, side, event_type: 'FILL', fill_qty: qty, fill_price: price })], 'test');
}

/** Sunday: the evaluation proposes SELL 20 AAA for Monday's session, and alice approves it: STAGED. */
function stagedOnSunday(cfg = CFG, extra: Partial<ConstructorParameters<typeof Engine>[0]> = {}) {
  setBook(db, BOOK, NY('2026-12-04T16:00:00'));
  const e = engine(cfg, extra);
  const r = e.evaluate(SUN);
  expect(r).toMatchObject({ status: 'CORRECTING', session: { phase: 'NO_SESSION', date: '2026-12-07', opens_at: MON_OPEN, closes_at: MON_CLOSE } });
  const [i] = r.intents;
  expect(i).toMatchObject({ symbol: 'AAA', side: 'SELL', qty: 20, trading_date: '2026-12-07' });
  const [o] = e.approve([i.id], 'alice', SUN + 60_000);
  expect(o).toMatchObject({ ok: true, status: 'STAGED' });
  expect(o.message).toBe('approved; staged: the order is released at the open, Mon 2026-12-07 09:30 America/New_York, after the same checks against the book of then');
  return { e, id: i.id };
}

describe('an approval outside the session stages the order for the next open', () => {
  it('Sunday → STAGED (no order anywhere) → released at Monday 09:30 → filled by a tick', () => {
    const { e, id } = stagedOnSunday();
    // nothing at the broker, nothing in the ledger's log
    expect(one('SELECT COUNT(*) FROM paper_orders')).toBe(0);
    expect(one("SELECT COUNT(*) FROM event_log WHERE raw LIKE '%\"NEW\"%'")).toBe(0);
    const [v] = e.listIntents('STAGED', 10, SUN + 120_000);
    expect(v).toMatchObject({ id, status: 'STAGED', releases_at: MON_OPEN, expires_at: MON_CLOSE });
    expect(e.status(SUN + 120_000)).toMatchObject({ staged_intents: 1, working_intents: 0, pending_intents: 0 });
    // approving again sends nothing; rejecting is refused (cancel it instead)
    expect(e.approve([id], 'bob', SUN + 180_000)[0]).toMatchObject({ ok: true, status: 'STAGED', message: expect.stringContaining('no second order') });
    expect(e.reject([id], 'bob', 'no', SUN + 180_000)[0]).toMatchObject({ ok: false, status: 'STAGED' });
    // a tick over the weekend through the limit fills nothing: there is no order yet
    expect(e.applyTicks([{ symbol: 'AAA', priceMicro: 130_000_000, ts: SUN + 240_000, source: 'test' }], SUN + 240_000).fills).toBe(0);
    // still staged one millisecond before the open; released at it
    expect(e.listIntents('STAGED', 10, MON_OPEN - 1).map((x) => x.id)).toEqual([id]);
    expect(e.listIntents('WORKING', 10, MON_OPEN).map((x) => x.id)).toEqual([id]);
    expect(one('SELECT created_at FROM paper_orders WHERE intent_id = ?', id)).toBe(MON_OPEN);
    expect(e.audit(id, 10).map((a) => [a.from, a.to, a.actor, a.at])).toEqual([
      [null, 'PENDING', 'engine', SUN],
      ['PENDING', 'STAGED', 'alice', SUN + 60_000],
      ['STAGED', 'APPROVED', 'engine', MON_OPEN],
      ['APPROVED', 'WORKING', 'engine', MON_OPEN],
    ]);
    expect(e.audit(id, 10)[2].reason).toBe('released at the open of 2026-12-07 (09:30 America/New_York): re-validated against the book');
    // the limit is 5 bp over Friday's 120.00: a tick at 120.10 fills it, dated in the session
    const r = e.applyTicks([{ symbol: 'AAA', priceMicro: 120_100_000, ts: MON_OPEN + 600_000, source: 'test' }], MON_OPEN + 600_000);
    expect(r).toMatchObject({ fills: 1, filled_intents: [id] });
    expect(e.listIntents('FILLED', 10, MON_OPEN + 600_000).map((x) => x.id)).toEqual([id]);
    expect(one('SELECT qty FROM positions WHERE symbol = ?', 'AAA')).toBe(980);
    expect(one('SELECT ts FROM fills WHERE intent_id = ?', id)).toBe(MON_OPEN + 600_000);
  });

  it('the position shrank overnight: the release clamps the order to it, with an audit row', () => {
    const { e, id } = stagedOnSunday(makeConfig({ band: { tolerance_days: 0, max_intents_per_cycle: 1, lot_size: 10 } }));
    outside('AAA', 'LT_LONG_DECREASE', 'SELL', 985, 120, SUN + 300_000); // AAA 1,000 → 15 (ZZZ keeps the band out)
    e.sync(SUN + 300_000);
    expect(e.listIntents('WORKING', 10, MON_OPEN + 5).map((x) => [x.id, x.qty])).toEqual([[id, 10]]);
    expect(e.audit(id, 10).slice(2).map((a) => [a.from, a.to, a.reason])).toEqual([
      ['STAGED', 'STAGED', 'qty clamped from 20 to 10 at release: LT AAA is 15 now, lot 10'],
      ['STAGED', 'APPROVED', 'released at the open of 2026-12-07 (09:30 America/New_York): re-validated against the book; qty clamped from 20 to 10 at release: LT AAA is 15 now, lot 10'],
      ['APPROVED', 'WORKING', 'order o-' + id.slice(2) + ' sent to paper'],
    ]);
    expect(one('SELECT qty FROM paper_orders WHERE intent_id = ?', id)).toBe(10);
  });

  it('the band came back over the weekend: SUPERSEDED at the open, nothing sent', () => {
    const { e, id } = stagedOnSunday();
    // the desk sold ZZZ elsewhere: LT long is back in its band (820,000 of 1,320,000: 62.1%)
    outside('ZZZ', 'LT_LONG_DECREASE', 'SELL', 13_000, 100, SUN + 300_000);
    e.sync(SUN + 300_000);
    expect(e.listIntents('SUPERSEDED', 10, MON_OPEN).map((x) => x.id)).toEqual([id]);
    expect(e.audit(id, 10).at(-1)).toMatchObject({ from: 'STAGED', to: 'SUPERSEDED', actor: 'engine', at: MON_OPEN });
    expect(e.audit(id, 10).at(-1)!.reason).toMatch(/^not released at the open of 2026-12-07 \(09:30 America\/New_York\): the band is back in range \(LT long \d+\.\d%, short \d+\.\d%\)$/);
    expect(one('SELECT COUNT(*) FROM paper_orders')).toBe(0);
  });

  it('the book grew past the cap: the increase goes back to PENDING with the reason; it can be approved once it fits', () => {
    // LT long 25% < 50%: the controller buys AAA (LT_LONG_INCREASE); gross 400,000 of a 500,000 cap
    setBook(db, [
      { symbol: 'AAA', qty: 1_000, avg: 100, tick: 100 },
      { symbol: 'SSS', qty: -3_000, avg: 100, tick: 100 },
    ]);
    const cfg = makeConfig({ equity: 500_000, cap: 100, band: { tolerance_days: 0, long_pct_range: [50, 70], short_pct_range: [0, 100], max_intents_per_cycle: 1 } });
    const e = engine(cfg);
    const [i] = e.evaluate(SUN).intents;
    expect(i).toMatchObject({ symbol: 'AAA', classification: 'LT_LONG_INCREASE', side: 'BUY', qty: 20, trading_date: '2026-12-07' });
    expect(e.approve([i.id], 'alice', SUN)[0].status).toBe('STAGED');
    // another desk adds gross overnight: 499,000 of 500,000, and AAA's 20 (2,000) no longer fit
    outside('MMX', 'MM_LONG_INCREASE', 'BUY', 990, 100, SUN + 300_000);
    e.applyTicks([{ symbol: 'MMX', priceMicro: 100_000_000, ts: SUN + 300_000, source: 'test' }], SUN + 300_000);
    expect(e.listIntents('PENDING', 10, MON_OPEN).map((x) => x.id)).toEqual([i.id]);
    const back = e.audit(i.id, 10).at(-1)!;
    expect(back).toMatchObject({ from: 'STAGED', to: 'PENDING', actor: 'engine', at: MON_OPEN });
    expect(back.reason).toBe(`not released at the open of 2026-12-07 (09:30 America/New_York): hard cap: approving ${i.id} would take gross to 100.20% > 100.0% at current ticks; back in the queue as PENDING`);
    // the other desk takes its gross back at 10:00: the trader approves again, inside the session: WORKING now
    outside('MMX', 'MM_LONG_DECREASE', 'SELL', 990, 100, NY('2026-12-07T10:00:00'));
    e.sync(NY('2026-12-07T10:00:00'));
    expect(e.approve([i.id], 'alice', NY('2026-12-07T10:01:00'))[0]).toMatchObject({ ok: true, status: 'WORKING' });
  });

  it('canceled before the open: CANCELED with the reason, never sent', () => {
    const { e, id } = stagedOnSunday();
    const [o] = e.cancel([id], 'bob', 'earnings on Monday', SUN + 600_000);
    expect(o).toMatchObject({ ok: true, status: 'CANCELED', message: 'canceled by bob before its release: earnings on Monday' });
    expect(e.listIntents('OPEN', 10, MON_OPEN + 60_000)).toEqual([]);
    expect(one('SELECT COUNT(*) FROM paper_orders')).toBe(0);
    // cancel --all takes staged ones too
    const { id: id2 } = stagedOnSunday();
    expect(e.cancel('all', 'bob', 'weekend news', SUN + 700_000).map((x) => [x.id, x.status])).toEqual([[id2, 'CANCELED']]);
  });

  it('HALT over the open holds it: released at the resume while the session lasts; a HALT through the close expires it', () => {
    const { e, id } = stagedOnSunday();
    e.halt('bob', 'news', NY('2026-12-07T09:00:00'));
    expect(e.listIntents('STAGED', 10, NY('2026-12-07T09:45:00')).map((x) => x.id)).toEqual([id]);
    expect(e.status(NY('2026-12-07T09:45:00'))).toMatchObject({ mode: 'HALTED', staged_intents: 1, orders_held: 1 });
    e.resume('bob', NY('2026-12-07T10:15:00'));
    expect(e.listIntents('WORKING', 10, NY('2026-12-07T10:15:00')).map((x) => x.id)).toEqual([id]);
    expect(one('SELECT created_at FROM paper_orders WHERE intent_id = ?', id)).toBe(NY('2026-12-07T10:15:00'));

    // the next weekend, staged again, and HALTED from before the open to after the close
    db.prepare("DELETE FROM intents WHERE status <> 'WORKING'").run();
    const sat = NY('2026-12-12T11:00:00');
    const e2 = engine(CFG);
    e2.cancel('all', 'bob', 'reset', sat);
    db.prepare('UPDATE ticks SET price_micro = 120000000').run();
    const [j] = e2.evaluate(sat).intents;
    expect(j.trading_date).toBe('2026-12-14');
    expect(e2.approve([j.id], 'alice', sat)[0].status).toBe('STAGED');
    e2.halt('bob', 'all day', NY('2026-12-14T08:00:00'));
    const tue = NY('2026-12-15T08:00:00');
    expect(e2.listIntents('EXPIRED', 10, tue).map((x) => x.id)).toEqual([j.id]);
    expect(e2.audit(j.id, 10).at(-1)).toMatchObject({
      from: 'STAGED',
      to: 'EXPIRED',
      at: NY('2026-12-14T16:00:00'),
      reason: 'its session closed (2026-12-14, 16:00 America/New_York) before it was released: the engine was HALTED',
    });
  });

  it('a console closed over the open releases at its next start; one closed over the whole session expires it', () => {
    const { id } = stagedOnSunday();
    // nothing runs between Sunday and 11:20 on Monday: the first read of the next start releases it, then
    const late = NY('2026-12-07T11:20:00');
    const e = engine(CFG);
    expect(e.status(late)).toMatchObject({ staged_intents: 0, working_intents: 1 });
    expect(e.audit(id, 10).at(-2)).toMatchObject({ from: 'STAGED', to: 'APPROVED', at: late });

    // staged for Tuesday, and the console next starts on Wednesday: expired at Tuesday's close, unsent
    db.prepare("UPDATE intents SET status = 'CANCELED' WHERE id = ?").run(id);
    db.prepare("UPDATE paper_orders SET status = 'CANCELED'").run();
    const [j] = e.evaluate(NY('2026-12-07T18:00:00')).intents;
    expect(j.trading_date).toBe('2026-12-08');
    expect(e.approve([j.id], 'alice', NY('2026-12-07T18:01:00'))[0].status).toBe('STAGED');
    const wed = engine(CFG);
    wed.tidy(NY('2026-12-09T09:00:00'));
    expect(wed.audit(j.id, 10).at(-1)).toMatchObject({
      to: 'EXPIRED',
      at: NY('2026-12-08T16:00:00'),
      reason: 'its session closed (2026-12-08, 16:00 America/New_York) before it was released: the console did not run during it',
    });
    expect(one('SELECT COUNT(*) FROM paper_orders WHERE intent_id = ?', j.id)).toBe(0);
  });

  it('with the Redis bridge, ev.intents hears of the order at the release, not at the approval', () => {
    const { e, id } = stagedOnSunday(CFG, { broker: new RedisBroker(db, 'ev.intents') });
    expect(one('SELECT COUNT(*) FROM stream_outbox')).toBe(0);
    e.tidy(MON_OPEN + 1_000);
    const row = db.prepare('SELECT idem_key, kind, created_at, payload FROM stream_outbox').get() as { idem_key: string; kind: string; created_at: number; payload: string };
    expect(row).toMatchObject({ idem_key: id, kind: 'order', created_at: MON_OPEN + 1_000 });
    const flat = JSON.parse(row.payload) as string[];
    const fields = Object.fromEntries(flat.flatMap((v, k) => (k % 2 === 0 ? [[v, flat[k + 1]]] : [])));
    expect(fields).toMatchObject({ idempotency_key: id, intent_id: id, side: 'SELL', qty: '20', approved_at: new Date(MON_OPEN + 1_000).toISOString() });
  });

  it('staged intents count as open: never proposed twice, and they use up max_open_intents', () => {
    const { e, id } = stagedOnSunday(makeConfig({ band: { tolerance_days: 0, max_intents_per_cycle: 3, max_open_intents: 3 } }));
    const again = e.evaluate(SUN + 3_600_000);
    expect(again.intents.map((x) => `${x.symbol} ${x.classification}`)).not.toContain('AAA LT_LONG_DECREASE');
    const open = e.listIntents('OPEN', 10, SUN + 3_600_000);
    expect(open.map((x) => x.id)).toContain(id);
    expect(open.length).toBe(3);
    const keys = open.map((x) => `${x.symbol} ${x.classification}`);
    expect(new Set(keys).size).toBe(keys.length);
    // the open-intent cap is reached with the staged one counted
    expect(e.evaluate(SUN + 7_200_000).message).toContain('open-intent cap reached: 3 band intents pending or working');
  });
});
