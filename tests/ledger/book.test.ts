// Opening book import, positions view, fills by intent, exactly-once under hash collisions and two consumers, the
// EOD scheduler with catch-up, and precision of sums beyond 2^53 micro.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/main/services/config/load';
import { LedgerConsumer, filledQtyByIntent } from '../../src/main/services/ledger/consumer';
import { appendEvents } from '../../src/main/services/ledger/log';
import { importPositions, listPositions } from '../../src/main/services/ledger/positions';
import { reportCsv, reportJson, reportText, writeDueReports } from '../../src/main/services/reports';
import { openDb } from '../../src/main/services/store/db';
import { fill } from './helpers';
import { tempDir } from '../support/tmp';

const TZ = 'America/New_York';
const j = (o: Record<string, unknown>) => JSON.stringify(o);

describe('opening book and positions', () => {
  it('imports at average cost; fills then realize against it', () => {
    const db = openDb(':memory:');
    const r = importPositions(db, 'bucket,symbol,qty,avg_cost\nLT,AAPL,100,150.25\nMM,SPY,-10,500\n', 'test');
    expect(r).toEqual({ errors: [], rows: 2 });
    const c = new LedgerConsumer(db, { timezone: TZ });
    c.applyBatch([j(fill('a', 'AAPL', 'LT_LONG_DECREASE', 40, 151.25))], 'x');
    const aapl = listPositions(db).find((p) => p.symbol === 'AAPL');
    expect(aapl).toMatchObject({ qty: 60, avg_cost: 150.25, realized_pnl: 40 });
    // a later import while a consumer holds the book in memory: the consumer sees it
    expect(importPositions(db, 'bucket,symbol,qty,avg_cost\nLT,AAPL,10,100\n', 'again').rows).toBe(1);
    c.applyBatch([j(fill('b', 'AAPL', 'LT_LONG_DECREASE', 10, 101))], 'x');
    expect(listPositions(db).find((p) => p.symbol === 'AAPL')).toMatchObject({ qty: 0, realized_pnl: 50 });
    db.close();
  });

  it('returns every error with its line number and applies nothing', () => {
    const db = openDb(':memory:');
    const r = importPositions(
      db,
      'bucket,symbol,qty,avg_cost\nLT,AAPL,100,150\nLT,AAPL,5,1\nLT,MSFT,10\nLT,IBM,10,0\n\nLT,X,abc,1\n',
      'test',
    );
    expect(r.rows).toBe(0);
    expect(r.errors).toEqual([
      'line 3: LT AAPL already given on line 2',
      'line 4: expected 4 fields (bucket,symbol,qty,avg_cost), got 3',
      "line 5: avg_cost must be > 0 for an open position, got '0'",
      "line 7: qty must be a whole number, got 'abc'",
    ]);
    expect(importPositions(db, 'sym,qty\n', 't').errors[0]).toMatch(/^line 1: header must be/);
    expect(listPositions(db)).toEqual([]);
    db.close();
  });
});

describe('exactly-once', () => {
  it('the key is the exact event_id: near-identical ids are distinct events, one id is one event across kinds', () => {
    const db = openDb(':memory:');
    const c = new LedgerConsumer(db, { timezone: TZ });
    c.applyBatch([j(fill('first', 'AAPL', 'LT_LONG_INCREASE', 1, 10))], 'x');
    // differ in case, a trailing space, Unicode normalization (composed vs decomposed é): all new
    const near = ['First', 'first ', 'caf\u00e9', 'cafe\u0301'];
    expect(c.applyBatch(near.map((id) => j(fill(id, 'AAPL', 'LT_LONG_INCREASE', 2, 10))), 'x')).toEqual({
      accepted: 4,
      duplicates: 0,
      rejected: 0,
    });
    expect(c.applyBatch([j(fill('first', 'AAPL', 'LT_LONG_INCREASE', 1, 10))], 'x').duplicates).toBe(1);
    // an id already applied as a fill is a duplicate as a lifecycle event, and the other way round (also in one batch)
    const life = (id: string) => j({ ...fill(id, 'AAPL', 'LT_LONG_INCREASE', 1, 10), event_type: 'ACK' });
    expect(c.applyBatch([life('first'), life('ack-1')], 'x')).toEqual({ accepted: 1, duplicates: 1, rejected: 0 });
    expect(c.applyBatch([j(fill('ack-1', 'AAPL', 'LT_LONG_INCREASE', 5, 10))], 'x').duplicates).toBe(1);
    expect(c.applyBatch([life('both'), j(fill('both', 'AAPL', 'LT_LONG_INCREASE', 5, 10))], 'x')).toEqual({
      accepted: 1,
      duplicates: 1,
      rejected: 0,
    });
    expect(reportJson(db, '2024-01-15').totals.total_filled_qty).toBe(9);
    expect(db.prepare('SELECT COUNT(*) FROM order_events').pluck().get()).toBe(2);
    db.close();
  });

  it('two consumers on one file (e.g. app worker and CLI) never double-apply', () => {
    const t = tempDir();
    try {
      const f = join(t.dir, 'two.db');
      const a = openDb(f);
      const b = openDb(f);
      const ca = new LedgerConsumer(a, { timezone: TZ, batchSize: 3 });
      const cb = new LedgerConsumer(b, { timezone: TZ, batchSize: 3 });
      for (let i = 0; i < 20; i++) {
        appendEvents(a, [j(fill(`e${i}`, 'AAPL', i % 3 ? 'LT_LONG_INCREASE' : 'LT_LONG_DECREASE', 10, 10 + i))], 's');
        (i % 2 ? ca : cb).runToEnd();
        if (i % 5 === 0) cb.applyBatch([j(fill(`e${i}`, 'AAPL', 'LT_LONG_INCREASE', 10, 10))], 'redis'); // dup
      }
      const ref = openDb(':memory:');
      const cr = new LedgerConsumer(ref, { timezone: TZ });
      for (let i = 0; i < 20; i++) cr.applyBatch([j(fill(`e${i}`, 'AAPL', i % 3 ? 'LT_LONG_INCREASE' : 'LT_LONG_DECREASE', 10, 10 + i))], 's');
      const q = 'SELECT qty, cost_micro, realized_micro FROM positions';
      expect(a.prepare(q).get()).toEqual(ref.prepare(q).get());
      expect(reportText(a, '2024-01-15')).toBe(reportText(ref, '2024-01-15'));
      a.close();
      b.close();
      ref.close();
    } finally {
      t.cleanup();
    }
  });

  it('inTx runs inside the batch transaction: if it throws, nothing of the batch is applied', () => {
    const db = openDb(':memory:');
    const c = new LedgerConsumer(db, { timezone: TZ });
    expect(() =>
      c.applyBatch([j(fill('a', 'AAPL', 'LT_LONG_INCREASE', 1, 10))], 'x', () => {
        throw new Error('ack failed');
      }),
    ).toThrow('ack failed');
    expect(db.prepare('SELECT COUNT(*) FROM fills').pluck().get()).toBe(0);
    expect(c.applyBatch([j(fill('a', 'AAPL', 'LT_LONG_INCREASE', 1, 10))], 'x').accepted).toBe(1);
    expect(listPositions(db)[0].qty).toBe(1);
    db.close();
  });

  it('filledQtyByIntent sums fills per intent', () => {
    const db = openDb(':memory:');
    const c = new LedgerConsumer(db, { timezone: TZ });
    c.applyBatch(
      [
        j(fill('a', 'AAPL', 'LT_LONG_INCREASE', 3, 10, undefined, { intent_id: 'i-1' })),
        j(fill('b', 'AAPL', 'LT_LONG_INCREASE', 4, 10, undefined, { intent_id: 'i-1', event_type: 'PARTIAL_FILL' })),
        j({ ...fill('c', 'AAPL', 'LT_LONG_INCREASE', 9, 10, undefined, { intent_id: 'i-2' }), event_type: 'ACK' }),
        j(fill('d', 'AAPL', 'LT_LONG_INCREASE', 5, 10)),
      ],
      'x',
    );
    expect(filledQtyByIntent(db, ['i-1', 'i-2', 'i-3'])).toEqual(new Map([['i-1', 7], ['i-2', 0], ['i-3', 0]]));
    db.close();
  });

  it('sums beyond 2^53 micro keep every cent', () => {
    const db = openDb(':memory:');
    const c = new LedgerConsumer(db, { timezone: TZ });
    // 3 fills of 1,000,000,000 × $9.999999 ≈ $30bn = 3e16 micro > 2^53 (9.007e15)
    c.applyBatch(
      [1, 2, 3].map((i) => j(fill(`big${i}`, 'BRK.A', 'LT_LONG_INCREASE', 1_000_000_000, 9.999999))),
      'x',
    );
    expect(reportCsv(db, '2024-01-15')).toContain(',3000000000,29999997000.00,0.00,3,3000000000\n');
    expect(reportText(db, '2024-01-15')).toContain('  Total Filled Notional: $29,999,997,000.00\n');
    // closing 1 against a cost basis past 2^53: average cost to the micro, realized exact
    c.applyBatch([j(fill('big-sell', 'BRK.A', 'LT_LONG_DECREASE', 1, 10))], 'x');
    expect(db.prepare('SELECT qty, cost_micro, realized_micro FROM positions').safeIntegers(true).get()).toEqual({
      qty: 2_999_999_999n,
      cost_micro: 29_999_997_000_000_000n - 9_999_999n,
      realized_micro: 1n,
    });
    db.close();
  });

  it('rows below 2^53 micro whose totals pass it keep every cent too', () => {
    const db = openDb(':memory:');
    const c = new LedgerConsumer(db, { timezone: TZ });
    // each row 7,999,999,200 USD = 7.9999992e15 micro (safe); the total 1.59999984e16 is not
    c.applyBatch(['AA', 'BB'].map((s) => j(fill(`n-${s}`, s, 'LT_LONG_INCREASE', 800_000_000, 9.999999))), 'x');
    c.applyBatch([j(fill('n-r', 'AA', 'LT_LONG_DECREASE', 1, 10.000001))], 'x');
    const r = reportJson(db, '2024-01-15');
    expect(r.totals.total_filled_notional).toBe(15_999_998_410);
    expect(reportText(db, '2024-01-15')).toContain('  Total Filled Notional: $15,999,998,410.00\n  Total Realized P&L: $0.00\n');
    expect(r.by_classification.LT_LONG_DECREASE.realized_pnl).toBe(0); // 0.000002 USD
    db.close();
  });

  it('a total past 2^53 micro is exact to the micro before rounding to cents (no float sum)', () => {
    const db = openDb(':memory:');
    const c = new LedgerConsumer(db, { timezone: TZ });
    // 6e15 + 6e15 + 4,999 micro = 12,000,000,000,004,999 micro = $12,000,000,000.004999 -> $12,000,000,000.00;
    // as a double the sum is ...005,000, which would round to $12,000,000,000.01
    c.applyBatch(
      [
        j(fill('x-a', 'AAA', 'LT_LONG_INCREASE', 1_000_000_000, 6)),
        j(fill('x-b', 'BBB', 'LT_LONG_INCREASE', 1_000_000_000, 6)),
        j(fill('x-c', 'CCC', 'LT_LONG_INCREASE', 1, 0.004999)),
      ],
      'x',
    );
    const r = reportJson(db, '2024-01-15');
    expect(r.totals.total_filled_notional).toBe(12_000_000_000);
    expect(r.by_classification.LT_LONG_INCREASE.filled_notional).toBe(12_000_000_000);
    expect(reportText(db, '2024-01-15')).toContain(
      'TOTALS:\n  Total Filled Qty: 2,000,000,001\n  Total Filled Notional: $12,000,000,000.00\n',
    );
    db.close();
  });
});

describe('scheduled EOD reports', () => {
  const t = tempDir('ledger-eod-');
  afterAll(() => t.cleanup());

  it('writes after eod_time on trading days and catches up missed days', () => {
    const db = openDb(join(t.dir, 'eod.db'));
    const cfg = defaultConfig();
    cfg.account.holidays = ['2024-01-15'];
    const out = join(t.dir, 'reports');
    const ny = (iso: string) => Date.parse(iso);
    // first run: Thursday 2024-01-11 10:00 NY: nothing due yet, the schedule starts today
    expect(writeDueReports(db, cfg, ny('2024-01-11T10:00:00-05:00'), out)).toEqual([]);
    expect(existsSync(out)).toBe(false);
    new LedgerConsumer(db, { timezone: TZ }).applyBatch([j(fill('a', 'AAPL', 'LT_LONG_INCREASE', 5, 10, '2024-01-11T15:00:00Z'))], 'x');
    // 16:20 the same day: due
    const w1 = writeDueReports(db, cfg, ny('2024-01-11T16:20:00-05:00'), out);
    expect(w1.map((f) => f.slice(out.length + 1))).toEqual([
      'eod_report_2024-01-11.txt',
      'eod_report_2024-01-11.json',
      'eod_report_2024-01-11.csv',
    ]);
    expect(readFileSync(join(out, 'eod_report_2024-01-11.txt'), 'utf8')).toBe(reportText(db, '2024-01-11'));
    expect(JSON.parse(readFileSync(join(out, 'eod_report_2024-01-11.json'), 'utf8'))).toEqual(reportJson(db, '2024-01-11'));
    expect(writeDueReports(db, cfg, ny('2024-01-11T17:00:00-05:00'), out)).toEqual([]); // once
    // the app was closed until Tuesday 2024-01-16 09:00: catch up Fri 12th; weekend and the holiday skipped;
    // the 16th is not due before 16:15
    const w2 = writeDueReports(db, cfg, ny('2024-01-16T09:00:00-05:00'), out);
    expect(w2.map((f) => f.slice(out.length + 1))).toEqual([
      'eod_report_2024-01-12.txt',
      'eod_report_2024-01-12.json',
      'eod_report_2024-01-12.csv',
    ]);
    expect(writeDueReports(db, cfg, ny('2024-01-16T16:15:00-05:00'), out)).toHaveLength(3);
    expect(readdirSync(out).sort()).toHaveLength(9);
    db.close();
  });
});
