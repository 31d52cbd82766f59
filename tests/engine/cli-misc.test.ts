// bandctl subprocess: fallback to the second classification, DERISK suspension, and bad input (exit 2, one clear
// line that says what and where, nothing written).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bandctl, bandctlOk } from '../support/bandctl';
import { tempDir } from '../support/tmp';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('engine-cli-');
});
afterAll(() => {
  tmp.cleanup();
});

const ok = (args: string[], input?: string): string => bandctlOk(args, input);

function yaml(name: string, lines: string[]): string {
  const f = join(tmp.dir, name);
  writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
}

describe('bandctl engine commands', () => {
  it('falls back to LT_SHORT_INCREASE when no long is PnL-acceptable', () => {
    const db = join(tmp.dir, 'fallback.sqlite');
    const cfg = yaml('tol0.yaml', ['buckets:', '  LT:', '    band_drift:', '      tolerance_days: 0']);
    ok(['init', '--db', db, '--demo', '--no-history']);
    // every LT long under water; LT long stays ~73.7% > 70%
    const csv = ['AAPL,140', 'MSFT,300', 'NVDA,90', 'JPM,150', 'BRK.B,370'].join('\n');
    expect(JSON.parse(ok(['prices', '--db', db, '-'], csv))).toEqual({ ticks: 5, fills: 0, filled_intents: [] });
    const r = JSON.parse(ok(['evaluate', '--db', db, '--config', cfg, '--as-of', '2024-01-11T10:00:00-05:00', '--json']));
    expect(r).toMatchObject({ mode: 'NORMAL', status: 'CORRECTING', days_in_violation: 1 });
    expect(r.long_pct).toBeCloseTo(73.7, 1);
    expect(r.intents.map((i: { symbol: string; classification: string; side: string; qty: number; limit_price: number }) => [i.symbol, i.classification, i.side, i.qty, i.limit_price])).toEqual([
      ['INTC', 'LT_SHORT_INCREASE', 'SELL', 400, 31.02], // +18.4%
      ['TSLA', 'LT_SHORT_INCREASE', 'SELL', 50, 240.12], // +7.7%
      ['DIS', 'LT_SHORT_INCREASE', 'SELL', 60, 98.05], // +6.7%; BA is under water
    ]);
  });

  it('DERISK: gross over the cap suspends the controller', () => {
    const db = join(tmp.dir, 'derisk.sqlite');
    const cfg = yaml('small.yaml', ['account:', '  equity: 7000000', 'buckets:', '  LT:', '    band_drift:', '      tolerance_days: 0']);
    ok(['init', '--db', db, '--demo', '--no-history']);
    const r = JSON.parse(ok(['evaluate', '--db', db, '--config', cfg, '--as-of', '2024-01-11T10:00:00-05:00', '--json']));
    expect(r).toMatchObject({ mode: 'DERISK', status: 'SUSPENDED', days_in_violation: 1, intents: [] });
    expect(r.gross_pct).toBeCloseTo(144.89, 1);
    expect(ok(['intents', '--db', db])).toBe('no intents\n');
  });

  it('bad input: exit 2 with one line that says what and where; nothing is written', () => {
    const db = join(tmp.dir, 'bad.sqlite');
    ok(['init', '--db', db, '--demo', '--no-history']);
    const bad = yaml('bad.yaml', ['buckets:', '  LT:', '    band_drift:', '      tolerance_days: -1']);
    let r = bandctl(['evaluate', '--db', db, '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`bandctl: config ${bad} is invalid: buckets.LT.band_drift.tolerance_days (line 4): must not be negative\n`);
    r = bandctl(['prices', '--db', db, '-'], 'symbol,price\nAAPL,191\nMSFT,-3\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("bandctl: -: line 3: price '-3' of MSFT must be a number > 0\n");
    r = bandctl(['evaluate', '--db', db, '--as-of', 'yesterday']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bandctl: --as-of 'yesterday' must be ISO-8601/);
    r = bandctl(['evaluate', '--db', join(tmp.dir, 'missing.sqlite')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not exist; create it with: bandctl init/);
    r = bandctl(['intents', '--db', db, '--status', 'DONE']);
    expect(r.code).toBe(2);
    const d = new Database(db, { readonly: true });
    expect(d.prepare("SELECT price_micro FROM ticks WHERE symbol = 'AAPL'").pluck().get()).toBe(190_000_000);
    expect(d.prepare('SELECT COUNT(*) FROM band_history').pluck().get()).toBe(0);
    d.close();
  });
});
