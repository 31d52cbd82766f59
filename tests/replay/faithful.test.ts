// Faithful (issue 16): a replay of the live config over days the console actually ran reproduces the recorded band
// history and intents. A recorded week through the real CLI — each trading day: ticks at 10:00, `evaluate --as-of`,
// the proposed intents approved, an 11:00 tick that reaches some limits — then `bandctl replay` of the same config
// over those days with no price file (the stored tick history): the same status, days in violation, intent count,
// fills and turnover per day. The replay starts from the book as it was at the open of the first day, so it must
// undo the week's fills on its copy exactly.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bandctlOk } from '../support/bandctl';
import { SHIPPED_CONFIG } from '../support/config';
import { tempDir, type TempDir } from '../support/tmp';
import { DEMO_TICKS, tickRows } from './helpers';

let tmp: TempDir;
beforeAll(() => {
  tmp = tempDir('replay-faithful-');
});
afterAll(() => tmp.cleanup());

const WEEK = ['2024-01-08', '2024-01-09', '2024-01-10', '2024-01-11', '2024-01-12'];
const LONGS = new Set(['AAPL', 'MSFT', 'NVDA', 'AMZN', 'JPM', 'XOM', 'BRK.B']);

/** Day k's 10:00 prices: longs drift down 0.3 % a day, everything else up 0.2 % (rounded to the cent). */
function pricesOf(k: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(DEMO_TICKS).map(([s, p]) => [s, Math.round(p * (LONGS.has(s) ? 1 - 0.003 * k : 1 + 0.002 * k) * 100) / 100]),
  );
}

interface Intent {
  id: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  limit_price: number;
}

describe('replay is faithful to the live engine', () => {
  it('a recorded week: same status, days in violation, intents, fills and turnover per day', () => {
    const db = join(tmp.dir, 'live.db');
    const cfg = SHIPPED_CONFIG; // tolerance 2: WATCH, WATCH, then CORRECTING
    bandctlOk(['init', '--db', db, '--demo', '--no-history']);
    const live: [string, string, number, number, number, number][] = [];
    WEEK.forEach((day, k) => {
      const at = `${day}T10:00:00-05:00`;
      const csv = join(tmp.dir, `${day}-10.csv`);
      writeFileSync(csv, ['symbol,price,ts', ...tickRows(pricesOf(k), at)].join('\n') + '\n');
      bandctlOk(['prices', '--db', db, '--config', cfg, '--as-of', at, csv]);
      const ev = JSON.parse(bandctlOk(['evaluate', '--db', db, '--config', cfg, '--as-of', at, '--json'])) as {
        status: string;
        days_in_violation: number;
        intents: Intent[];
      };
      if (ev.intents.length) {
        bandctlOk(['approve', '--db', db, '--config', cfg, '--as-of', at, ...ev.intents.map((i) => i.id)]);
        // 11:00: every limit is reached, except on the fourth day, when only the first one is (the others end
        // unfilled at the close)
        const reached = k === 3 ? ev.intents.slice(0, 1) : ev.intents;
        const rows = ev.intents.map((i) => {
          const px = reached.includes(i) ? i.limit_price : (pricesOf(k)[i.symbol] as number);
          return `${i.symbol},${px.toFixed(2)},${day}T11:00:00-05:00`;
        });
        const intraday = join(tmp.dir, `${day}-11.csv`);
        writeFileSync(intraday, ['symbol,price,ts', ...rows].join('\n') + '\n');
        bandctlOk(['prices', '--db', db, '--config', cfg, '--as-of', `${day}T11:00:00-05:00`, intraday]);
      }
      const report = JSON.parse(bandctlOk(['report', '--db', db, '--date', day, '--format', 'json'])) as {
        totals: { total_count_fills: number; total_filled_notional: number };
      };
      live.push([day, ev.status, ev.days_in_violation, ev.intents.length, report.totals.total_count_fills, report.totals.total_filled_notional]);
    });
    // the week did what the test means it to: two days of tolerance, then corrections with fills
    expect(live.map((d) => d[1])).toEqual(['WATCH', 'WATCH', 'CORRECTING', 'CORRECTING', 'CORRECTING']);
    expect(live.map((d) => d[3])).toEqual([0, 0, 3, 3, 3]);
    expect(live.map((d) => d[4])).toEqual([0, 0, 3, 1, 3]);

    const r = JSON.parse(bandctlOk(['replay', '--db', db, '--config', cfg, '--from', WEEK[0], '--to', WEEK[4], '--json'])) as {
      days: { date: string; status: string; days_in_violation: number; intents: number; fills: number; turnover_notional: number }[];
    };
    expect(r.days.map((d) => [d.date, d.status, d.days_in_violation, d.intents, d.fills, d.turnover_notional])).toEqual(live);

    // the live week created what the replay counted
    const audit = JSON.parse(bandctlOk(['audit', '--db', db, '--limit', '1000', '--json'])) as { to: string; from: string | null }[];
    expect(audit.filter((c) => c.from === null).length).toBe(9); // 9 intents created over the week
  });
});
