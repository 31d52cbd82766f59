// End to end through bandctl: demo book -> evaluations over three trading days -> approve -> paper fill -> the
// fill in that day's EOD report and the position changed. No external system.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bandctlOk, bandctlTsx } from '../support/bandctl';
import { tempDir } from '../support/tmp';
import { SHIPPED_CONFIG } from '../support/config';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('engine-e2e-');
});
afterAll(() => {
  tmp.cleanup();
});

const ok = (args: string[], input?: string): string => bandctlOk(args, input);

describe('demo book to EOD report', () => {
  it('an approved corrective intent ends as a fill in the EOD report of its day', () => {
    const db = join(tmp.dir, 'e2e.sqlite');
    const cfg = SHIPPED_CONFIG;
    ok(['init', '--db', db, '--demo', '--no-history']);
    const days = ['2024-01-08', '2024-01-09', '2024-01-10'].map((d) =>
      JSON.parse(ok(['evaluate', '--db', db, '--config', cfg, '--as-of', `${d}T09:45:00-05:00`, '--json'])),
    );
    expect(days.map((d) => [d.status, d.days_in_violation, d.intents.length])).toEqual([
      ['WATCH', 1, 0],
      ['WATCH', 2, 0],
      ['CORRECTING', 3, 3],
    ]);
    const ids: string[] = days[2].intents.map((i: { id: string }) => i.id);
    const approved = ok(['approve', '--db', db, '--as-of', '2024-01-10T09:50:00-05:00', ...ids]);
    expect(approved.trim().split('\n').map((l) => l.split(' ')[1])).toEqual(['WORKING', 'WORKING', 'WORKING']);
    // (listed as of that morning: read later, the day orders would have ended at the close)
    expect(JSON.parse(ok(['intents', '--db', db, '--status', 'WORKING', '--as-of', '2024-01-10T09:51:00-05:00', '--json'])).length).toBe(3);
    // the afternoon's ticks reach every SELL limit (MSFT 415.21, AAPL 190.10, NVDA 120.06)
    const csv = [
      'symbol,price,ts',
      'MSFT,415.40,2024-01-10T14:30:00-05:00',
      'AAPL,190.20,2024-01-10T14:31:00-05:00',
      'NVDA,120.10,2024-01-10T14:32:00-05:00',
    ].join('\n');
    const p = JSON.parse(ok(['prices', '--db', db, '-'], csv));
    expect(p.fills).toBe(3);
    expect(JSON.parse(ok(['intents', '--db', db, '--status', 'FILLED', '--json'])).map((i: { id: string }) => i.id).sort()).toEqual([...ids].sort());

    const report = JSON.parse(ok(['report', '--db', db, '--date', '2024-01-10', '--format', 'json']));
    expect(report.totals).toEqual({
      total_filled_qty: 340,
      total_filled_notional: 69_735.8, // 60×415.21 + 160×190.10 + 120×120.06
      total_realized_pnl: 15_135.8, // (415.21−320)×60 + (190.10−150)×160 + (120.06−95)×120
      total_count_fills: 3,
      total_net_qty_change: -340,
    });
    expect(report.by_classification.LT_LONG_DECREASE.symbols).toEqual(['AAPL', 'MSFT', 'NVDA']);
    expect(report.by_symbol.MSFT).toMatchObject({ filled_qty: 60, filled_notional: 24_912.6, realized_pnl: 5_712.6 });
    // the day before has no fills
    expect(JSON.parse(ok(['report', '--db', db, '--date', '2024-01-09', '--format', 'json'])).totals.total_count_fills).toBe(0);
    // positions changed by exactly the fills
    const pos = JSON.parse(ok(['positions', '--db', db, '--json'])) as { bucket: string; symbol: string; qty: number }[];
    const qty = (s: string) => pos.find((x) => x.bucket === 'LT' && x.symbol === s)?.qty;
    expect([qty('MSFT'), qty('AAPL'), qty('NVDA'), qty('JPM')]).toEqual([2_940, 7_840, 5_880, 4_000]);
    // the text report, through tsx as `npm run bandctl` runs it, shows the same day
    const text = bandctlTsx(['report', '--db', db, '--date', '2024-01-10']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('END OF DAY REPORT - 2024-01-10');
    expect(text.stdout).toContain('$15,135.80');
    // and the next evaluation sees the smaller long side
    const after = JSON.parse(ok(['evaluate', '--db', db, '--config', cfg, '--as-of', '2024-01-10T15:00:00-05:00', '--json']));
    expect(after.long_pct).toBeLessThan(days[2].long_pct);
  });
});
