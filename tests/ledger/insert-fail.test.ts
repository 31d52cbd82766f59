// The fills INSERT is OR FAIL (apply.ts: no statement journal for ids that interleave in the event_id index). FAIL
// keeps the rows a failing statement wrote before it failed, so what must hold is that a failure anywhere in a
// batch rolls its whole transaction back — earlier statements, the failing one's first rows, positions,
// aggregates, the log position — and that the consumer is right afterwards. The failure is a trigger that raises
// FAIL at one fill in the middle of a 32-row statement (the 41st of 80: the second statement's ninth row).
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/main/services/store/db';
import { LedgerConsumer } from '../../src/main/services/ledger/consumer';
import { appendEvents } from '../../src/main/services/ledger/log';
import { openDb } from '../../src/main/services/store/db';
import { newDb } from '../engine/helpers';
import { bandctl } from '../support/bandctl';
import { tempDir } from '../support/tmp';
import { fill } from './helpers';

const CLASSES = ['LT_LONG_INCREASE', 'LT_LONG_DECREASE', 'MM_SHORT_INCREASE', 'LT_SHORT_INCREASE'];
const SYMS = ['AAPL', 'MSFT', 'NVDA'];

/** n fill lines with ids p-0 … p-(n-1): buys and sells of three symbols, prices that move. */
function lines(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify(fill(`${prefix}-${i}`, SYMS[i % 3], CLASSES[(i >> 1) % 4], 10 + (i % 7), (100 + i * 0.25).toFixed(2))),
  );
}

const FAIL_AT = 'p-40';
const trigger = (db: Db) =>
  db.exec(`CREATE TRIGGER fail_one BEFORE INSERT ON fills WHEN NEW.event_id = '${FAIL_AT}'
    BEGIN SELECT RAISE(FAIL, 'test: refused ${FAIL_AT}'); END`);

/** Everything the ledger writes, as rows. */
function state(db: Db): Record<string, unknown[]> {
  const all = (sql: string) => db.prepare(sql).all();
  return {
    fills: all('SELECT * FROM fills ORDER BY id'),
    order_events: all('SELECT * FROM order_events ORDER BY id'),
    positions: all('SELECT bucket, symbol, qty, cost_micro, realized_micro FROM positions ORDER BY bucket, symbol'),
    daily_agg: all('SELECT * FROM daily_agg ORDER BY trading_date, symbol, classification'),
    quarantine: all('SELECT source, raw, reason FROM ledger_quarantine ORDER BY id'),
    consumers: all('SELECT * FROM ledger_consumers ORDER BY name'),
  };
}

describe('a fills INSERT that fails mid-statement', () => {
  const tz = { timezone: 'America/New_York' };

  it('applyBatch: nothing of the batch stays; after the cause is gone the same batch applies once', () => {
    const t = tempDir('ledger-fail-');
    const db = newDb(t.dir);
    const ref = newDb(t.dir, 'ref.sqlite');
    const c = new LedgerConsumer(db, tz);
    const r = new LedgerConsumer(ref, tz);
    for (const x of [c, r]) expect(x.applyBatch(lines('a', 10), 't')).toEqual({ accepted: 10, duplicates: 0, rejected: 0 });
    const before = state(db);
    trigger(db);
    const batch = [...lines('p', 80), '{"not json', lines('a', 1)[0]];
    expect(() => c.applyBatch(batch, 't')).toThrow(`test: refused ${FAIL_AT}`);
    expect(state(db)).toEqual(before); // the first statement's 32 rows and the failing one's 8 included
    db.exec('DROP TRIGGER fail_one');
    const want = { accepted: 80, duplicates: 1, rejected: 1 };
    expect(c.applyBatch(batch, 't')).toEqual(want);
    expect(r.applyBatch(batch, 't')).toEqual(want);
    expect(state(db)).toEqual(state(ref));
    expect(db.prepare('SELECT COUNT(DISTINCT event_id) FROM fills').pluck().get()).toBe(90);
    db.close();
    ref.close();
    t.cleanup();
  });

  it('the event log: the consumer position does not move; the next run applies the events once', () => {
    const t = tempDir('ledger-fail-log-');
    const db = newDb(t.dir);
    const c = new LedgerConsumer(db, tz);
    appendEvents(db, lines('a', 10), 'log');
    expect(c.runToEnd()).toEqual({ accepted: 10, duplicates: 0, rejected: 0 });
    appendEvents(db, lines('p', 80), 'log');
    const before = state(db);
    trigger(db);
    expect(() => c.runToEnd()).toThrow(`test: refused ${FAIL_AT}`);
    expect(state(db)).toEqual(before);
    db.exec('DROP TRIGGER fail_one');
    expect(c.runToEnd()).toEqual({ accepted: 80, duplicates: 0, rejected: 0 });
    expect(db.prepare('SELECT COUNT(*) FROM fills').pluck().get()).toBe(90);
    db.close();
    t.cleanup();
  });

  it('bandctl ingest: exits non-zero with the error, applies nothing of it; a re-run applies every line once', () => {
    const t = tempDir('ledger-fail-cli-');
    const dbFile = join(t.dir, 'band.db');
    const file = join(t.dir, 'day.jsonl');
    writeFileSync(file, `${lines('p', 80).join('\n')}\n`);
    expect(bandctl(['init', '--db', dbFile]).code).toBe(0);
    const db = openDb(dbFile);
    const before = state(db);
    trigger(db);
    db.close();
    const r = bandctl(['ingest', '--db', dbFile, file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`test: refused ${FAIL_AT}`);
    const after = openDb(dbFile);
    expect(state(after)).toEqual(before);
    after.exec('DROP TRIGGER fail_one');
    after.close();
    const again = bandctl(['ingest', '--db', dbFile, file]);
    expect(again.stdout).toBe('{"accepted":80,"duplicates":0,"rejected":0}\n');
    t.cleanup();
  });
});
