// bandctl replay (docs/spec.md §10, §16) as a subprocess on real SQLite files. Expected values come from the demo
// book and the spec's rules worked by hand:
//   LT long gross  = 8000×190 + 3000×415 + 6000×120 + 5000×178 + 4000×198 + 6000×112 + 1500×410 = 6,454,000
//   LT short gross = 2500×240 + 20000×31 + 1800×205 + 3000×98                               = 1,883,000
//   long % = 6,454,000 / 8,337,000 = 77.4139 %, short % = 22.5861 % (out of 60–70 / 30–40)
//   MM gross = 2000×520 + 1000×450 + 1500×210 = 1,805,000; gross % = 10,142,000 / 10,000,000 = 101.42 %
//   Both bands out: the row whose first action decreases decides → LT_LONG_DECREASE (§5). Candidates with PnL ≥ 0
//   by PnL desc: MSFT 29.69 %, AAPL 26.67 %, NVDA 26.32 % (3 per cycle); 2 % sizes 60, 160, 120; SELL limits
//   tick × 1.0005 → 415.21, 190.10, 120.06. Filled at the limit by 11:00 ticks at those prices:
//   60×415.21 + 160×190.10 + 120×120.06 = 24,912.60 + 30,416.00 + 14,407.20 = 69,735.80 USD.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bandctl, bandctlOk } from '../support/bandctl';
import { tempDir, type TempDir } from '../support/tmp';
import { configWith, DEMO_TICKS, tickRows } from './helpers';

let tmp: TempDir;
let db: string;
let tol0: string;
let tol2: string;
let prices: string;
let day1Only: string;

beforeAll(() => {
  tmp = tempDir('replay-cli-');
  db = join(tmp.dir, 'book.db');
  bandctlOk(['init', '--db', db, '--demo', '--no-history']);
  tol0 = configWith(tmp.dir, 'tol0.yaml', { tolerance: 0 });
  tol2 = configWith(tmp.dir, 'tol2.yaml', { tolerance: 2 });
  prices = join(tmp.dir, 'jan8.csv');
  writeFileSync(
    prices,
    [
      'symbol,price,ts',
      ...tickRows(DEMO_TICKS, '2024-01-08T10:00:00-05:00'),
      'MSFT,415.21,2024-01-08T11:00:00-05:00',
      'AAPL,190.10,2024-01-08T11:00:00-05:00',
      'NVDA,120.06,2024-01-08T11:00:00-05:00',
    ].join('\n') + '\n',
  );
  day1Only = join(tmp.dir, 'open.csv');
  writeFileSync(day1Only, ['symbol,price,ts', ...tickRows(DEMO_TICKS, '2024-01-08T09:30:00-05:00')].join('\n') + '\n');
});
afterAll(() => tmp.cleanup());

const json = (args: string[]) => JSON.parse(bandctlOk(['replay', '--db', db, ...args, '--json']));

describe('bandctl replay', () => {
  it('one CORRECTING day of the demo book: three intents, filled at their limits by the 11:00 ticks', () => {
    const r = json(['--config', tol0, '--from', '2024-01-08', '--to', '2024-01-08', '--prices', prices]);
    expect(Object.keys(r)).toEqual(['from', 'to', 'config', 'days', 'totals']);
    expect(r.from).toBe('2024-01-08');
    expect(r.config).toMatchObject({ long_pct_range: [60, 70], short_pct_range: [30, 40], tolerance_days: 0, max_intents_per_cycle: 3, equity: 10_000_000, hard_cap_gross_pct: 130 });
    expect(r.days).toEqual([
      { date: '2024-01-08', status: 'CORRECTING', long_pct: 77.4139, short_pct: 22.5861, gross_pct: 101.42, days_in_violation: 1, intents: 3, fills: 3, turnover_notional: 69_735.8 },
    ]);
    expect(r.totals).toEqual({ trading_days: 1, days_out_of_band: 1, intents: 3, fills: 3, turnover_notional: 69_735.8, max_gross_pct: 101.42, cap_refusals: 0 });
  });

  it('--approve none proposes the same and fills nothing; pnl-positive approves all three (every PnL > 0)', () => {
    const base = ['--config', tol0, '--from', '2024-01-08', '--to', '2024-01-08', '--prices', prices];
    const none = json([...base, '--approve', 'none']);
    expect(none.days[0]).toMatchObject({ status: 'CORRECTING', intents: 3, fills: 0, turnover_notional: 0 });
    expect(none.totals).toMatchObject({ intents: 3, fills: 0, turnover_notional: 0 });
    expect(json([...base, '--approve', 'pnl-positive']).totals).toMatchObject({ intents: 3, fills: 3, turnover_notional: 69_735.8 });
  });

  it('--compare: tolerance 0 corrects from day 1, tolerance 2 watches two days first', () => {
    const r = json(['--config', tol0, '--compare', tol2, '--from', '2024-01-08', '--to', '2024-01-10', '--prices', day1Only, '--approve', 'none']);
    expect(Object.keys(r)).toEqual(['a', 'b']);
    const pick = (x: { days: { status: string; days_in_violation: number; intents: number }[] }) =>
      x.days.map((d) => [d.status, d.days_in_violation, d.intents]);
    // with nothing approved the book stays put: each day's PENDING intents expire and three are proposed again
    expect(pick(r.a)).toEqual([['CORRECTING', 1, 3], ['CORRECTING', 2, 3], ['CORRECTING', 3, 3]]);
    expect(pick(r.b)).toEqual([['WATCH', 1, 0], ['WATCH', 2, 0], ['CORRECTING', 3, 3]]);
    expect(r.a.totals).toEqual({ trading_days: 3, days_out_of_band: 3, intents: 9, fills: 0, turnover_notional: 0, max_gross_pct: 101.42, cap_refusals: 0 });
    expect(r.b.totals).toEqual({ trading_days: 3, days_out_of_band: 3, intents: 3, fills: 0, turnover_notional: 0, max_gross_pct: 101.42, cap_refusals: 0 });
    expect(r.a.config.tolerance_days).toBe(0);
    expect(r.b.config.tolerance_days).toBe(2);
  });

  it('text: the days and the totals, numbers right-aligned with thousands separators', () => {
    const out = bandctlOk(['replay', '--db', db, '--config', tol0, '--from', '2024-01-08', '--to', '2024-01-08', '--prices', prices]);
    const lines = out.split('\n');
    const head = lines.findIndex((l) => l.startsWith('date '));
    expect(lines[head]).toMatch(/^date +status +long% +short% +gross% +days +intents +fills +turnover$/);
    expect(lines[head + 1]).toMatch(/^2024-01-08 +CORRECTING +77\.41 +22\.59 +101\.42 +1 +3 +3 +69,735\.80$/);
    expect(lines[head + 1].length).toBe(lines[head].length); // right-aligned: the numbers end under their headers
    expect(out).toMatch(/\nturnover \(USD\) +69,735\.80\n/);
    expect(out).toMatch(/\ndays out of band +1\n/);
    const cmp = bandctlOk(['replay', '--db', db, '--config', tol0, '--compare', tol2, '--from', '2024-01-08', '--to', '2024-01-10', '--prices', day1Only, '--approve', 'none']);
    expect(cmp).toMatch(/\na: .*tol0\.yaml: .*tolerance 0 day/);
    expect(cmp).toMatch(/\nb: .*tol2\.yaml: .*tolerance 2 day/);
    expect(cmp).toMatch(/\ntotals +a +b\n/);
    expect(cmp).toMatch(/\nintents +9 +3\n/);
  });

  it('never writes to the live book: the file is byte-for-byte the same after a replay', () => {
    const sha = () => createHash('sha256').update(readFileSync(db)).digest('hex');
    const positions = bandctlOk(['positions', '--db', db, '--json']);
    const before = sha();
    json(['--config', tol0, '--from', '2024-01-08', '--to', '2024-01-10', '--prices', prices]);
    json(['--config', tol0, '--from', '2024-01-08', '--to', '2024-01-12']); // the simulator
    expect(sha()).toBe(before);
    expect(bandctlOk(['positions', '--db', db, '--json'])).toBe(positions);
    // and the next replay starts from the same book
    expect(json(['--config', tol0, '--from', '2024-01-08', '--to', '2024-01-08', '--prices', prices]).totals.turnover_notional).toBe(69_735.8);
  });

  it('bad input: exit 2 and one line saying what and where', () => {
    const bad = (args: string[], re: RegExp) => {
      const r = bandctl(['replay', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^bandctl: [^\n]+\n$/);
      expect(r.stderr).toMatch(re);
    };
    const base = ['--db', db, '--config', tol0];
    bad([...base, '--from', '2024-02-30', '--to', '2024-03-01'], /--from '2024-02-30' must be a calendar date YYYY-MM-DD/);
    bad([...base, '--from', '2024-01-10', '--to', '2024-1-12'], /--to '2024-1-12' must be a calendar date/);
    bad([...base, '--from', '2024-01-10', '--to', '2024-01-08'], /--from 2024-01-10 is after --to 2024-01-08/);
    bad([...base, '--from', '2024-01-13', '--to', '2024-01-15'.replace('15', '14')], /no trading day from 2024-01-13 to 2024-01-14/);
    bad([...base, '--from', '2024-01-08', '--to', '2024-01-08', '--at', '25:00'], /--at '25:00' must be HH:MM/);
    bad([...base, '--from', '2024-01-08', '--to', '2024-01-08', '--at', '16:00'], /--at '16:00' is at or after account.market_close \(16:00\): each day is evaluated before its close/);
    bad([...base, '--from', '2024-01-08', '--to', '2024-01-08', '--approve', 'some'], /--approve must be one of all, none, pnl-positive/);
    bad([...base, '--from', '2024-01-08', '--to', '2024-01-08', '--seed', '-1'], /--seed/);
    bad(['--db', join(tmp.dir, 'nope.db'), '--config', tol0, '--from', '2024-01-08', '--to', '2024-01-08'], /database .*nope\.db does not exist/);
    bad(['--db', db, '--from', '2024-01-08', '--to', '2024-01-08'], /--config is required/);

    const aaplOnly = join(tmp.dir, 'aapl.csv');
    writeFileSync(aaplOnly, 'symbol,price,ts\nAAPL,190,2024-01-08T10:00:00-05:00\n');
    bad([...base, '--from', '2024-01-08', '--to', '2024-01-09', '--prices', aaplOnly], /aapl\.csv: no price for AMZN at or before 2024-01-08 10:00 \(America\/New_York\).*the book holds AMZN/);
    const late = join(tmp.dir, 'late.csv');
    writeFileSync(late, ['symbol,price,ts', ...tickRows(DEMO_TICKS, '2024-01-08T10:30:00-05:00')].join('\n') + '\n');
    bad([...base, '--from', '2024-01-08', '--to', '2024-01-08', '--prices', late], /late\.csv: no price for AAPL at or before 2024-01-08 10:00/);
    const badCsv = join(tmp.dir, 'bad.csv');
    writeFileSync(badCsv, 'symbol,price,ts\nAAPL,190,2024-01-08T10:00:00-05:00\nMSFT,abc,2024-01-08T10:00:00-05:00\n');
    bad([...base, '--from', '2024-01-08', '--to', '2024-01-08', '--prices', badCsv], /bad\.csv: line 3: price 'abc' of MSFT must be a number > 0/);
    const noTs = join(tmp.dir, 'nots.csv');
    writeFileSync(noTs, 'symbol,price,ts\n\nAAPL,190,2024-01-08T10:00:00-05:00\nMSFT,415\n');
    bad([...base, '--from', '2024-01-08', '--to', '2024-01-08', '--prices', noTs], /nots\.csv: line 4: ts is required/);
    bad([...base, '--from', '2024-01-08', '--to', '2024-01-08', '--prices', join(tmp.dir, 'missing.csv')], /cannot read .*missing\.csv \(ENOENT\)/);

    const badCfg = join(tmp.dir, 'bad.yaml');
    writeFileSync(badCfg, readFileSync(tol0, 'utf8').replace(/tolerance_days: \d+/, 'tolerance_days: -1'));
    bad(['--db', db, '--config', badCfg, '--from', '2024-01-08', '--to', '2024-01-08'], /config .*bad\.yaml is invalid: buckets\.LT\.band_drift\.tolerance_days \(line 20\): must not be negative/);
    bad(['--db', db, '--config', tol0, '--compare', badCfg, '--from', '2024-01-08', '--to', '2024-01-08'], /bad\.yaml is invalid: .*tolerance_days \(line 20\)/);
    const london = configWith(tmp.dir, 'london.yaml', {});
    writeFileSync(london, readFileSync(london, 'utf8').replace(/timezone: \S+/, 'timezone: Europe/London'));
    bad(['--db', db, '--config', london, '--from', '2024-01-08', '--to', '2024-01-08'], /keeps its book in account time zone America\/New_York, but the replay config says Europe\/London/);
  });
});
