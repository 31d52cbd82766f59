// The first start shows the whole loop (issue 12): `init --demo` seeds a short history relative to today in the
// account calendar, so the first cycle of the day is CORRECTING and proposes intents, the band chart has its past
// and the EOD reports have fills. Checked on fixed dates, holidays and early closes included.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountCalendar } from '../../src/shared/calendar';
import { DEMO_BOOK, loadDemoBook } from '../../src/main/services/demo';
import { Engine } from '../../src/main/services/engine/engine';
import { reportBundle } from '../../src/main/services/reports';
import type { Db } from '../../src/main/services/store/db';
import { newDb } from './helpers';
import { fixedConfig, makeConfig } from '../support/config';
import { tempDir } from '../support/tmp';

const NYC = accountCalendar('America/New_York', { holidays: [] });
const at = (iso: string) => Date.parse(iso);

let tmp: ReturnType<typeof tempDir>;
let db: Db;
beforeEach(() => {
  tmp = tempDir('engine-demo-');
  db = newDb(tmp.dir);
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

const engine = (now: number) => new Engine({ db, config: fixedConfig(makeConfig()), actor: 'alice', now: () => now });
const fillsOn = (date: string) => reportBundle(db, date).json.totals.total_count_fills;
/** The New York dates of the band history (EST: these tests are all in winter). */
const historyDays = () => db.prepare("SELECT DISTINCT date(ts / 1000, 'unixepoch', '-5 hours') AS d FROM band_history ORDER BY d").pluck().all() as string[];

describe('init --demo: a history up to today', () => {
  it('the Friday after Thanksgiving (an early close): CORRECTING at the first cycle, with fills yesterday and today', () => {
    const now = at('2026-11-27T10:30:00-05:00');
    expect(loadDemoBook(db, now, { calendar: NYC })).toBe(true);
    // the violation started two trading days before today: Tue 24 (Thanksgiving, Thu 26, is no trading day)
    expect(db.prepare('SELECT start_date, ended_at FROM band_episodes').all()).toEqual([{ start_date: '2026-11-24', ended_at: null }]);
    const r = engine(now).evaluate(now);
    expect(r).toMatchObject({ status: 'CORRECTING', days_in_violation: 3 });
    expect(r.intents.length).toBe(3);
    // paper fills on the previous trading day (Wed 25) and earlier today; none on the holiday
    expect([fillsOn('2026-11-25'), fillsOn('2026-11-26'), fillsOn('2026-11-27')]).toEqual([3, 0, 2]);
    // the ledger, applying them, lands on the demo book
    const qty = new Map((db.prepare('SELECT bucket, symbol, qty FROM positions').all() as { bucket: string; symbol: string; qty: number }[]).map((p) => [`${p.bucket} ${p.symbol}`, p.qty]));
    for (const p of DEMO_BOOK) expect(qty.get(`${p.bucket} ${p.symbol}`), p.symbol).toBe(p.qty);
    // ten trading days of band history: nine seeded (4 points each), and today's first cycle
    const days = db.prepare("SELECT DISTINCT date(ts / 1000, 'unixepoch', '-5 hours') AS d FROM band_history ORDER BY d").pluck().all();
    expect(days).toEqual(['2026-11-13', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-23', '2026-11-24', '2026-11-25', '2026-11-27']);
    expect(db.prepare('SELECT COUNT(*) FROM band_history WHERE ts < ?').pluck().get(at('2026-11-27T00:00:00-05:00'))).toBe(36);
    expect(engine(now).status(now)).toMatchObject({ demo: true });
    // the early close: day orders end at 13:00 today
    expect(engine(now).status(now).market_close).toBe('13:00');
  });

  it('before the session opens: no fill is dated in the future; the first cycle corrects for the session ahead', () => {
    const now = at('2026-11-30T08:00:00-05:00');
    loadDemoBook(db, now, { calendar: NYC });
    // the latest session that opened is Friday's (an early close): its two fills, and the three of the one before
    expect([fillsOn('2026-11-25'), fillsOn('2026-11-27'), fillsOn('2026-11-30')]).toEqual([3, 2, 0]);
    expect(db.prepare('SELECT COUNT(*) FROM fills WHERE ts > ?').pluck().get(now)).toBe(0);
    const r = engine(now).evaluate(now);
    expect(r).toMatchObject({ status: 'CORRECTING', days_in_violation: 3, session: { phase: 'PRE_OPEN', date: '2026-11-30' } });
    expect(r.intents.map((i) => i.trading_date)).toEqual(['2026-11-30', '2026-11-30', '2026-11-30']);
    // the seeded chart runs to Friday, the last completed session; Monday's only point is this cycle's own
    expect(historyDays().slice(-2)).toEqual(['2026-11-27', '2026-11-30']);
    expect(db.prepare('SELECT COUNT(*) FROM band_history WHERE ts >= ?').pluck().get(at('2026-11-30T00:00:00-05:00'))).toBe(1);
    // the demo's ticks are the last close's (13:00 on Friday), and not stale before Monday's open
    expect(db.prepare('SELECT DISTINCT ts FROM ticks').pluck().all()).toEqual([at('2026-11-27T13:00:00-05:00')]);
    expect(r.stale_prices).toEqual([]);
  });

  it('on a weekend: CORRECTING, with intents for the next session (Monday), and the chart through Friday', () => {
    const sat = at('2026-11-28T12:00:00-05:00');
    loadDemoBook(db, sat, { calendar: NYC });
    // a weekend adds no violation day: Friday was the third (Wed 25, Fri 27 and Thanksgiving between them)
    expect(db.prepare('SELECT start_date FROM band_episodes').pluck().all()).toEqual(['2026-11-24']);
    const r = engine(sat).evaluate(sat);
    expect(r).toMatchObject({ status: 'CORRECTING', days_in_violation: 3, session: { phase: 'NO_SESSION', date: '2026-11-30' } });
    expect(r.intents.length).toBe(3);
    expect(r.intents.every((i) => i.trading_date === '2026-11-30')).toBe(true);
    expect(r.message).toContain('for the session of 2026-11-30 (opens 09:30 America/New_York)');
    // ten sessions of history, the last one Friday's (2 points: its early close at 13:00), Friday CORRECTING
    const days = historyDays();
    expect(days).toEqual(['2026-11-13', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-23', '2026-11-24', '2026-11-25', '2026-11-27', '2026-11-28']);
    const fri = db.prepare("SELECT status FROM band_history WHERE date(ts / 1000, 'unixepoch', '-5 hours') = '2026-11-27' ORDER BY ts").pluck().all();
    expect(fri).toEqual(['CORRECTING', 'CORRECTING']);
    // Friday's two fills and Wednesday's three: the EOD reports of the last two sessions have content
    expect([fillsOn('2026-11-25'), fillsOn('2026-11-27')]).toEqual([3, 2]);
  });

  it('after the close: the day just closed is in the history and the first cycle proposes for tomorrow', () => {
    const now = at('2026-12-07T17:30:00-05:00');
    loadDemoBook(db, now, { calendar: NYC });
    const r = engine(now).evaluate(now);
    expect(r).toMatchObject({ status: 'CORRECTING', days_in_violation: 3, session: { phase: 'CLOSED', date: '2026-12-08' } });
    expect(r.intents.map((i) => i.trading_date)).toEqual(['2026-12-08', '2026-12-08', '2026-12-08']);
    const days = historyDays();
    expect(days.slice(-2)).toEqual(['2026-12-04', '2026-12-07']);
    // today's four seeded points and the cycle's
    expect(db.prepare('SELECT COUNT(*) FROM band_history WHERE ts >= ?').pluck().get(at('2026-12-07T00:00:00-05:00'))).toBe(5);
    expect([fillsOn('2026-12-04'), fillsOn('2026-12-07')]).toEqual([3, 2]);
  });

  it('on a holiday (Christmas, a Friday): the chart through Christmas Eve, intents for Monday', () => {
    const now = at('2026-12-25T11:00:00-05:00');
    loadDemoBook(db, now, { calendar: NYC });
    const r = engine(now).evaluate(now);
    expect(r).toMatchObject({ status: 'CORRECTING', days_in_violation: 3, session: { phase: 'NO_SESSION', date: '2026-12-28' } });
    expect(historyDays().slice(-2)).toEqual(['2026-12-24', '2026-12-25']);
    expect(engine(now).status(now).session).toMatchObject({ phase: 'NO_SESSION', closed_for: 'holiday', date: '2026-12-28', last_date: '2026-12-24' });
  });

  it('--no-history: the book and its ticks only', () => {
    const now = at('2026-11-27T10:30:00-05:00');
    loadDemoBook(db, now, { calendar: NYC, history: false });
    expect(db.prepare('SELECT COUNT(*) FROM band_history').pluck().get()).toBe(0);
    expect(db.prepare('SELECT COUNT(*) FROM fills').pluck().get()).toBe(0);
    expect(engine(now).evaluate(now)).toMatchObject({ status: 'WATCH', days_in_violation: 1 });
  });
});
