// Scenario through the real bandctl subprocess over several days, with a weekend and a holiday inside the
// tolerance: WATCH -> CORRECTING, dedup and the open-intent cap, approve (idempotent), reject, a paper fill,
// end-of-day expiry, refusals that name the state, and the kill switch.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bandctl, bandctlOk } from '../support/bandctl';
import { tempDir } from '../support/tmp';

let tmp: ReturnType<typeof tempDir>;
let DB: string;
let CFG: string;

beforeAll(() => {
  tmp = tempDir('engine-scn-');
  DB = join(tmp.dir, 'book.sqlite');
  CFG = join(tmp.dir, 'risk_rules.yaml');
  writeFileSync(
    CFG,
    ['account:', '  holidays: ["2024-01-15"]   # Martin Luther King Jr. Day', 'buckets:', '  LT:', '    band_drift:', '      tolerance_days: 2', ''].join('\n'),
  );
});
afterAll(() => {
  tmp.cleanup();
});

const ok = (args: string[], input?: string): string => bandctlOk(args, input);

interface EvalJson {
  mode: string;
  status: string;
  long_pct: number | null;
  short_pct: number | null;
  gross_pct: number;
  days_in_violation: number;
  intents: { id: string; symbol: string; classification: string; side: string; qty: number; order_type: string; limit_price: number | null; priority: number; reason: string }[];
}

const evaluate = (asOf: string): EvalJson =>
  JSON.parse(ok(['evaluate', '--db', DB, '--config', CFG, '--as-of', asOf, '--json'])) as EvalJson;
/** The queue as it stands at `asOf` (what has expired or ended by then shows so). */
const intents = (status: string, asOf: string) =>
  JSON.parse(ok(['intents', '--db', DB, '--status', status, '--as-of', asOf, '--json'])) as { id: string; symbol: string; status: string; filled_qty: number }[];

describe('bandctl engine scenario (demo book, Jan 2024)', () => {
  it('runs the days, the queue, a fill, expiry and the kill switch', () => {
    expect(JSON.parse(ok(['init', '--db', DB, '--demo', '--no-history']))).toMatchObject({ demo_loaded: true });

    // Thu, Fri: WATCH; Sat and the Monday holiday do not count
    const thu = evaluate('2024-01-11T10:00:00-05:00');
    // docs/spec.md §10's keys, and stale_prices (issue 11): the symbols valued without a fresh tick
    expect(Object.keys(thu)).toEqual(['mode', 'status', 'long_pct', 'short_pct', 'gross_pct', 'days_in_violation', 'intents', 'stale_prices', 'session']);
    expect(thu).toMatchObject({ mode: 'NORMAL', status: 'WATCH', days_in_violation: 1, intents: [] });
    expect(thu.long_pct).toBeCloseTo(77.4139, 3);
    expect(thu.short_pct).toBeCloseTo(22.5861, 3);
    expect(thu.gross_pct).toBeCloseTo(101.42, 2);
    expect(evaluate('2024-01-12T10:00:00-05:00')).toMatchObject({ status: 'WATCH', days_in_violation: 2 });
    expect(evaluate('2024-01-13T10:00:00-05:00')).toMatchObject({ status: 'WATCH', days_in_violation: 2 });
    expect(evaluate('2024-01-15T10:00:00-05:00')).toMatchObject({ status: 'WATCH', days_in_violation: 2 });

    // Tue: the third trading day -> CORRECTING; the best-PnL longs are trimmed by 2%, SELL limits 5 bp above
    const tue = evaluate('2024-01-16T10:00:00-05:00');
    expect(tue).toMatchObject({ status: 'CORRECTING', days_in_violation: 3 });
    expect(tue.intents.map((i) => [i.symbol, i.classification, i.side, i.qty, i.order_type, i.limit_price, i.priority])).toEqual([
      ['MSFT', 'LT_LONG_DECREASE', 'SELL', 60, 'LIMIT', 415.21, 1],
      ['AAPL', 'LT_LONG_DECREASE', 'SELL', 160, 'LIMIT', 190.1, 1],
      ['NVDA', 'LT_LONG_DECREASE', 'SELL', 120, 'LIMIT', 120.06, 1],
    ]);
    expect(tue.intents[0].reason).toBe('LT long 77.4% > 70.0% for 3 trading days');
    expect(Object.keys(tue.intents[0])).toEqual(['id', 'symbol', 'classification', 'side', 'qty', 'order_type', 'limit_price', 'priority', 'reason', 'trading_date']);
    // the same day again: dedup; tops up to max_open_intents (5), then no more
    expect(evaluate('2024-01-16T10:01:00-05:00').intents.map((i) => [i.symbol, i.qty, i.limit_price])).toEqual([
      ['JPM', 80, 198.1],
      ['BRK.B', 30, 410.21],
    ]);
    expect(evaluate('2024-01-16T10:02:00-05:00').intents).toEqual([]);
    const text = ok(['evaluate', '--db', DB, '--config', CFG, '--as-of', '2024-01-16T10:03:00-05:00']);
    expect(text).toContain('open-intent cap reached: 5 band intents pending or working (max_open_intents 5)');
    const pending = intents('PENDING', '2024-01-16T10:04:00-05:00');
    expect(pending.length).toBe(5);
    const id = Object.fromEntries(pending.map((p) => [p.symbol, p.id]));

    // approve MSFT (twice: one order), reject AAPL, then approving AAPL is refused with its state
    const at = ['--as-of', '2024-01-16T10:05:00-05:00'];
    expect(ok(['approve', '--db', DB, ...at, id.MSFT])).toMatch(new RegExp(`^${id.MSFT}: WORKING - approved; order o-\\S+ working at paper\\n$`));
    expect(ok(['approve', '--db', DB, ...at, id.MSFT])).toContain('already WORKING; no second order sent');
    expect(ok(['reject', '--db', DB, ...at, '--reason', 'too early', id.AAPL])).toContain('REJECTED');
    const refused = bandctl(['approve', '--db', DB, ...at, id.AAPL, id.NVDA, 'i-nope']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain(`${id.NVDA}: WORKING`); // the batch applies to each independently
    expect(refused.stderr).toBe(`bandctl: ${id.AAPL}: intent ${id.AAPL} is REJECTED; cannot approve\nbandctl: i-nope: no intent i-nope\n`);
    {
      const db = new Database(DB, { readonly: true });
      expect(db.prepare("SELECT COUNT(*) FROM event_log WHERE raw LIKE ? AND raw LIKE '%\"NEW\"%'").pluck().get(`%${id.MSFT}%`)).toBe(1);
      const audit = db.prepare('SELECT from_status, to_status, actor, reason FROM intent_audit WHERE intent_id = ? ORDER BY id').all(id.AAPL) as { actor: string }[];
      expect(audit).toEqual([
        { from_status: null, to_status: 'PENDING', actor: 'engine', reason: 'LT long 77.4% > 70.0% for 3 trading days' },
        { from_status: 'PENDING', to_status: 'REJECTED', actor: expect.any(String), reason: 'too early' },
      ]);
      expect(audit[1].actor).not.toBe('engine');
      db.close();
    }

    // a tick at/above the SELL limit fills MSFT at its limit; NVDA's limit is not reached
    const csv = 'symbol,price,ts\nMSFT,415.30,2024-01-16T11:00:00-05:00\nNVDA,120.05,2024-01-16T11:00:00-05:00\n';
    expect(JSON.parse(ok(['prices', '--db', DB, '--as-of', '2024-01-16T11:00:00-05:00', '-'], csv))).toEqual({ ticks: 2, fills: 1, filled_intents: [id.MSFT] });
    expect(intents('FILLED', '2024-01-16T11:01:00-05:00')).toEqual([expect.objectContaining({ id: id.MSFT, filled_qty: 60 })]);
    // NVDA's order is a DAY order: still working in the afternoon, ended at the close (16:00 New York)
    expect(intents('WORKING', '2024-01-16T15:59:00-05:00').map((i) => i.symbol)).toEqual(['NVDA']);
    expect(intents('WORKING', '2024-01-16T16:00:00-05:00')).toEqual([]);
    expect(intents('CANCELED', '2024-01-16T16:00:00-05:00').map((i) => i.symbol)).toEqual(['NVDA']);

    // Wed: Tuesday's pending intents expired; approving one is refused with its state; new intents for Wed
    const wed = evaluate('2024-01-17T10:00:00-05:00');
    expect(wed).toMatchObject({ status: 'CORRECTING', days_in_violation: 4 });
    expect(intents('EXPIRED', '2024-01-17T10:00:30-05:00').map((i) => i.symbol).sort()).toEqual(['BRK.B', 'JPM']);
    const exp = bandctl(['approve', '--db', DB, '--as-of', '2024-01-17T10:01:00-05:00', id.JPM]);
    expect(exp.code).toBe(2);
    expect(exp.stderr).toBe(`bandctl: ${id.JPM}: intent ${id.JPM} is EXPIRED (its session 2024-01-16 closed); cannot approve\n`);
    // MSFT has filled, AAPL was rejected, NVDA's day order ended: all three are candidates again
    expect(wed.intents.map((i) => [i.symbol, i.qty, i.limit_price])).toEqual([
      ['MSFT', 58, 415.51],
      ['AAPL', 160, 190.1],
      ['NVDA', 120, 120.11], // 5 bp above Tuesday's last NVDA tick, 120.05
    ]);

    // the kill switch: nothing proposed, no order sent, until resume
    expect(JSON.parse(ok(['halt', '--db', DB, '--as-of', '2024-01-17T10:04:00-05:00', '--reason', 'desk review']))).toEqual({ mode: 'HALTED' });
    expect(evaluate('2024-01-17T10:05:00-05:00')).toMatchObject({ mode: 'HALTED', status: 'SUSPENDED', intents: [] });
    const h = bandctl(['approve', '--db', DB, '--as-of', '2024-01-17T10:06:00-05:00', wed.intents[0].id]);
    expect(h.code).toBe(2);
    expect(h.stderr).toContain('engine is HALTED: no order is sent');
    expect(JSON.parse(ok(['resume', '--db', DB, '--as-of', '2024-01-17T10:06:30-05:00']))).toEqual({ mode: 'NORMAL' });
    expect(evaluate('2024-01-17T10:07:00-05:00')).toMatchObject({ mode: 'NORMAL', status: 'CORRECTING' });
  });
});
