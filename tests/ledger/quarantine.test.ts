// Every kind of bad event in docs/spec.md §7 is quarantined with its raw text and a reason naming the field, counted, and
// the valid events around it are applied.
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/main/services/store/db';
import { LedgerConsumer } from '../../src/main/services/ledger/consumer';
import { listQuarantine } from '../../src/main/services/ledger/positions';
import { reportJson } from '../../src/main/services/reports';
import { fill } from './helpers';

const good = fill('x', 'AAPL', 'LT_LONG_INCREASE', 10, 100);
const bad = (patch: Record<string, unknown>, drop: string[] = []) => {
  const o: Record<string, unknown> = { ...good, ...patch };
  for (const k of drop) delete o[k];
  return JSON.stringify(o);
};

// [raw, field the reason must start with]
const CASES: [string, string][] = [
  ['{"event_id": "broken', 'json'],
  ['[1,2,3]', 'event'],
  ['"just a string"', 'event'],
  [bad({}, ['event_id']), 'event_id'],
  [bad({ event_id: '' }), 'event_id'],
  [bad({ event_id: 42 }), 'event_id'],
  [bad({ event_id: 'e-\uD800x' }), 'event_id'], // lone surrogate
  [bad({}, ['order_id']), 'order_id'],
  [bad({ intent_id: 7 }), 'intent_id'],
  [bad({}, ['event_type']), 'event_type'],
  [bad({ event_type: 'FILLED' }), 'event_type'],
  [bad({}, ['ts']), 'ts'],
  [bad({ ts: '2024-01-15T14:31:02' }), 'ts'], // no offset
  [bad({ ts: '2024-02-30T10:00:00Z' }), 'ts'],
  [bad({ ts: '15/01/2024' }), 'ts'],
  [bad({ ts: 1.5 }), 'ts'],
  [bad({ ts: -5 }), 'ts'],
  [bad({}, ['symbol']), 'symbol'],
  [bad({ symbol: 'aapl' }), 'symbol'],
  [bad({ symbol: 'TOO_LONG_SYMBOL_NAME' }), 'symbol'],
  [bad({ symbol: 'A B' }), 'symbol'],
  [bad({ symbol: '' }), 'symbol'],
  [bad({}, ['classification']), 'classification'],
  [bad({ classification: 'LT_LONG_SIDEWAYS' }), 'classification'],
  [bad({}, ['side']), 'side'],
  [bad({ side: 'HOLD' }), 'side'],
  [bad({ side: 'SELL' }), 'side'], // disagrees with LT_LONG_INCREASE
  [bad({}, ['fill_qty']), 'fill_qty'],
  [bad({ fill_qty: 0 }), 'fill_qty'],
  [bad({ fill_qty: -5 }), 'fill_qty'],
  [bad({ fill_qty: 1.5 }), 'fill_qty'],
  [bad({ fill_qty: '12x' }), 'fill_qty'],
  [bad({}, ['fill_price']), 'fill_price'],
  [bad({ fill_price: 0 }), 'fill_price'],
  [bad({ fill_price: -1 }), 'fill_price'],
  [bad({ fill_price: 'NaN' }), 'fill_price'],
  [bad({ fill_price: null }), 'fill_price'],
  [bad({ fill_price: '1e400' }), 'fill_price'],
  [bad({ fill_price: 7 }).replace('"fill_price":7', '"fill_price":1e999'), 'fill_price'], // parses to Infinity
];

describe('quarantine', () => {
  it('quarantines every bad kind with a reason naming the field; neighbours apply', () => {
    const db = openDb(':memory:');
    const c = new LedgerConsumer(db, { timezone: 'America/New_York' });
    const batch: string[] = [];
    CASES.forEach(([raw], i) => {
      batch.push(JSON.stringify(fill(`ok-${i}`, 'AAPL', 'LT_LONG_INCREASE', 1, 100)));
      batch.push(raw);
    });
    batch.push(JSON.stringify(fill('ok-last', 'AAPL', 'LT_LONG_INCREASE', 1, 100)));
    const counts = c.applyBatch(batch, 'test');
    expect(counts).toEqual({ accepted: CASES.length + 1, duplicates: 0, rejected: CASES.length });
    const q = listQuarantine(db, 1000).reverse();
    expect(q).toHaveLength(CASES.length);
    q.forEach((row, i) => {
      const [raw, field] = CASES[i];
      expect(row.raw).toBe(raw);
      expect(row.source).toBe('test');
      expect(row.reason.startsWith(`${field}:`), `${raw} -> ${row.reason}`).toBe(true);
    });
    expect(reportJson(db, '2024-01-15').totals.total_count_fills).toBe(CASES.length + 1);
    // the same bad bytes redelivered are counted as duplicates, not stored twice
    expect(c.applyBatch(CASES.map((x) => x[0]), 'again')).toEqual({ accepted: 0, duplicates: CASES.length, rejected: 0 });
    expect(listQuarantine(db, 1000)).toHaveLength(CASES.length);
    db.close();
  });

  it('accepts every valid timestamp form and string-typed numbers (stream fields)', () => {
    const db = openDb(':memory:');
    const c = new LedgerConsumer(db, { timezone: 'America/New_York' });
    const forms = [
      '2024-01-15T14:31:02.123-05:00',
      '2024-01-15T19:31:02Z',
      '2024-01-15T19:31Z',
      '2024-01-16T01:01:02.5+0530',
      1705347062123,
      '1705347062123',
    ];
    const evs = forms.map((ts, i) => fill(`t-${i}`, 'AAPL', 'LT_LONG_INCREASE', '5', '10.5', ts));
    expect(c.applyBatch(evs, 'redis')).toEqual({ accepted: forms.length, duplicates: 0, rejected: 0 });
    expect(reportJson(db, '2024-01-15').totals.total_filled_qty).toBe(5 * forms.length);
    db.close();
  });
});
