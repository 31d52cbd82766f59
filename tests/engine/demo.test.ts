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

  it('before the session opens: no fill is dated in the future; the first cycle still corrects', () => {
    const now = at('2026-11-30T08:00:00-05:00');
    loadDemoBook(db, now, { calendar: NYC });
    expect(fillsOn('2026-11-30')).toBe(0);
    expect(fillsOn('2026-11-27')).toBe(3); // Friday's fills, all before its 13:00 close
    expect(db.prepare('SELECT COUNT(*) FROM fills WHERE ts > ?').pluck().get(now)).toBe(0);
    expect(engine(now).evaluate(now)).toMatchObject({ status: 'CORRECTING', days_in_violation: 3 });
  });

  it('on a weekend: CORRECTING, and nothing proposed until the next trading day', () => {
    const sat = at('2026-11-28T12:00:00-05:00');
    loadDemoBook(db, sat, { calendar: NYC });
    const r = engine(sat).evaluate(sat);
    expect(r.status).toBe('CORRECTING');
    expect(r.intents).toEqual([]);
    expect(r.message).toContain('2026-11-28 is not a trading day: no intents');
    const mon = at('2026-11-30T10:00:00-05:00');
    expect(engine(mon).evaluate(mon).intents.length).toBe(3);
  });

  it('--no-history: the book and its ticks only', () => {
    const now = at('2026-11-27T10:30:00-05:00');
    loadDemoBook(db, now, { calendar: NYC, history: false });
    expect(db.prepare('SELECT COUNT(*) FROM band_history').pluck().get()).toBe(0);
    expect(db.prepare('SELECT COUNT(*) FROM fills').pluck().get()).toBe(0);
    expect(engine(now).evaluate(now)).toMatchObject({ status: 'WATCH', days_in_violation: 1 });
  });
});
