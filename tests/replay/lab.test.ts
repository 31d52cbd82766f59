// The replay service in process (docs/spec.md §16) on real SQLite files written by the real CLI: the book at the open
// of the first day (fills after it undone exactly, §8 backwards), progress and cancel between days, the simulator's
// seed, and the tick history every tick write keeps (bounded by retention.raw_days).
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTimeToEpoch } from '../../src/shared/calendar';
import { loadConfigFile } from '../../src/main/services/config/load';
import type { RiskConfig } from '../../src/main/services/config/schema';
import { replay, ReplayError } from '../../src/main/services/replay';
import { openCopy, rewindTo } from '../../src/main/services/replay/copy';
import { bandctlOk } from '../support/bandctl';
import { SHIPPED_CONFIG } from '../support/config';
import { tempDir, type TempDir } from '../support/tmp';
import { configWith } from './helpers';

let tmp: TempDir;
let shipped: RiskConfig;
beforeAll(() => {
  tmp = tempDir('replay-lab-');
  const r = loadConfigFile(SHIPPED_CONFIG);
  if (!r.ok) throw new Error('shipped config invalid');
  shipped = r.config;
});
afterAll(() => tmp.cleanup());

const fill = (id: string, ts: string, symbol: string, classification: string, side: string, qty: number, price: number) =>
  JSON.stringify({ event_id: id, order_id: `o-${id}`, ts, symbol, classification, side, event_type: 'FILL', fill_qty: qty, fill_price: price });

describe('the book at the open of the first day', () => {
  it('undoes the fills from then on exactly: through zero, partial closes and increases; keeps earlier fills', () => {
    const db = join(tmp.dir, 'rewind.db');
    bandctlOk(['init', '--db', db]);
    const opening = join(tmp.dir, 'opening.csv');
    writeFileSync(opening, 'bucket,symbol,qty,avg_cost\nLT,AAA,100,10\nLT,BBB,-50,20\n');
    bandctlOk(['import-positions', '--db', db, opening]);
    const events = join(tmp.dir, 'fills.jsonl');
    writeFileSync(
      events,
      [
        fill('f1', '2024-01-05T11:00:00-05:00', 'CCC', 'LT_LONG_INCREASE', 'BUY', 10, 5), // before the period: stays
        fill('f2', '2024-01-10T11:00:00-05:00', 'AAA', 'LT_LONG_DECREASE', 'SELL', 150, 12), // long 100 → short 50
        fill('f3', '2024-01-10T12:00:00-05:00', 'AAA', 'LT_SHORT_DECREASE', 'BUY', 20, 11),
        fill('f4', '2024-01-10T13:00:00-05:00', 'BBB', 'LT_SHORT_DECREASE', 'BUY', 20, 18),
        fill('f5', '2024-01-11T13:00:00-05:00', 'BBB', 'LT_SHORT_INCREASE', 'SELL', 10, 19),
      ].join('\n') + '\n',
    );
    expect(JSON.parse(bandctlOk(['ingest', '--db', db, events]))).toEqual({ accepted: 5, duplicates: 0, rejected: 0 });
    // by hand (§8): AAA −30 at cost 360 (realized 200 + 20), BBB −40 at cost 790 (realized 40), CCC 10 at 50
    const book = (d: Database.Database) =>
      d.prepare('SELECT symbol, qty, cost_micro, realized_micro FROM positions ORDER BY symbol').all() as {
        symbol: string;
        qty: number;
        cost_micro: number;
        realized_micro: number;
      }[];
    const live = new Database(db, { readonly: true });
    expect(book(live)).toEqual([
      { symbol: 'AAA', qty: -30, cost_micro: 360e6, realized_micro: 220e6 },
      { symbol: 'BBB', qty: -40, cost_micro: 790e6, realized_micro: 40e6 },
      { symbol: 'CCC', qty: 10, cost_micro: 50e6, realized_micro: 0 },
    ]);
    live.close();
    const copy = openCopy(db);
    try {
      rewindTo(copy, localTimeToEpoch('2024-01-08', '00:00', 'America/New_York'), '2024-01-08', 'America/New_York');
      expect(book(copy)).toEqual([
        { symbol: 'AAA', qty: 100, cost_micro: 1000e6, realized_micro: 0 },
        { symbol: 'BBB', qty: -50, cost_micro: 1000e6, realized_micro: 0 },
        { symbol: 'CCC', qty: 10, cost_micro: 50e6, realized_micro: 0 },
      ]);
      expect(copy.prepare('SELECT COUNT(*) FROM fills').pluck().get()).toBe(1);
    } finally {
      copy.close();
    }
    // the replay values that book: LT long 100×10 + 10×5 = 1,050 vs short 50×20 = 1,000 → 51.2195 %
    const prices = ['symbol,price,ts', 'AAA,10,2024-01-08T09:00:00-05:00', 'BBB,20,2024-01-08T09:00:00-05:00', 'CCC,5,2024-01-08T09:00:00-05:00'].join('\n');
    const r = replay(db, shipped, { from: '2024-01-08', to: '2024-01-08', pricesCsv: prices });
    expect(r.days[0]).toMatchObject({ long_pct: 51.2195, short_pct: 48.7805, status: 'WATCH', days_in_violation: 1 }); // tolerance 2
  });
});

describe('progress, cancel and the simulator', () => {
  let db: string;
  beforeAll(() => {
    db = join(tmp.dir, 'demo.db');
    bandctlOk(['init', '--db', db, '--demo', '--no-history']);
  });

  it('reports progress after each trading day and stops when canceled', () => {
    const seen: [number, number][] = [];
    const r = replay(db, shipped, { from: '2024-01-12', to: '2024-01-17' }, { onProgress: (d, t) => seen.push([d, t]) });
    // 2024-01-15 is Martin Luther King Jr. Day (NYSE closed): 12, 16, 17
    expect(r.days.map((d) => d.date)).toEqual(['2024-01-12', '2024-01-16', '2024-01-17']);
    expect(seen).toEqual([[1, 3], [2, 3], [3, 3]]);
    let asked = 0;
    let err: unknown;
    try {
      replay(db, shipped, { from: '2024-01-12', to: '2024-01-17' }, { isCancelled: () => asked++ === 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReplayError);
    expect((err as ReplayError).code).toBe('CANCELED');
    expect((err as ReplayError).message).toBe('replay canceled after 1 of 3 trading days');
  });

  it('loads the better-sqlite3 build it is given (the desktop app passes its Electron build)', () => {
    const nodeBuild = require.resolve('better-sqlite3/build/Release/better_sqlite3.node');
    const req = { from: '2024-01-12', to: '2024-01-17' };
    expect(replay(db, shipped, req, { nativeBinding: nodeBuild })).toEqual(replay(db, shipped, req));
    expect(() => replay(db, shipped, req, { nativeBinding: join(tmp.dir, 'no-such-build.node') })).toThrow(/no-such-build\.node/);
  });

  it('without a price file or history in the period, the seeded simulator: same seed, same replay', () => {
    const a = replay(db, shipped, { from: '2024-02-01', to: '2024-02-29', seed: 3 });
    expect(replay(db, shipped, { from: '2024-02-01', to: '2024-02-29', seed: 3 })).toEqual(a);
    expect(a.totals.trading_days).toBe(20); // February 2024: 21 weekdays less Washington's Birthday (the 19th)
    expect(replay(db, shipped, { from: '2024-02-01', to: '2024-02-29', seed: 4 }).days.map((d) => d.long_pct)).not.toEqual(a.days.map((d) => d.long_pct));
  });
});

describe('tick history', () => {
  it('every tick written is kept with its time; older than retention.raw_days before the newest is pruned', () => {
    const db = join(tmp.dir, 'history.db');
    bandctlOk(['init', '--db', db, '--demo', '--no-history']);
    const cfg = configWith(tmp.dir, 'raw5.yaml', { rawDays: 5 });
    // an evaluation stores the config the book runs on (its retention included)
    bandctlOk(['evaluate', '--db', db, '--config', cfg, '--as-of', '2024-01-02T10:00:00-05:00']);
    const csv = (rows: string[]) => `symbol,price,ts\n${rows.join('\n')}\n`;
    bandctlOk(['prices', '--db', db, '-'], csv(['AAPL,190,2024-01-02T10:00:00-05:00', 'AAPL,191,2024-01-02T11:00:00-05:00', 'MSFT,415,2024-01-02T10:00:00-05:00']));
    const rows = () => {
      const d = new Database(db, { readonly: true });
      try {
        return d.prepare('SELECT symbol, price_micro, ts, source FROM tick_history ORDER BY ts, id').all();
      } finally {
        d.close();
      }
    };
    const t = (iso: string) => Date.parse(iso);
    expect(rows()).toEqual([
      { symbol: 'AAPL', price_micro: 190e6, ts: t('2024-01-02T15:00:00Z'), source: 'csv' },
      { symbol: 'MSFT', price_micro: 415e6, ts: t('2024-01-02T15:00:00Z'), source: 'csv' },
      { symbol: 'AAPL', price_micro: 191e6, ts: t('2024-01-02T16:00:00Z'), source: 'csv' },
    ]);
    // 5 days and 1 hour later: the 10:00 ticks are past the 5 days kept, the 11:00 one is not
    bandctlOk(['prices', '--db', db, '-'], csv(['NVDA,120,2024-01-07T11:00:00-05:00']));
    expect(rows().map((r) => (r as { price_micro: number }).price_micro)).toEqual([191e6, 120e6]);
  });
});
