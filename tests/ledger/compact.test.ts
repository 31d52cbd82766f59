// Bounded growth (issue 13): the raw text of applied events older than retention.raw_days is compacted away; event
// ids stay (a duplicate is still caught), and fills, aggregates, reports and the quarantine's raw text are kept.
// (`bandctl ingest` applies a file without copying it into the log; the log holds what producers inside the app
// append, e.g. the paper broker, and here the test's own appends.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LedgerConsumer } from '../../src/main/services/ledger/consumer';
import { appendEvents } from '../../src/main/services/ledger/log';
import { openDb } from '../../src/main/services/store/db';
import { bandctl } from '../support/bandctl';
import { ROOT } from '../support/paths';
import { tempDir } from '../support/tmp';

const EVENTS = join(ROOT, 'tests', 'fixtures', 'ledger', 'events_2024-01-15.jsonl');

describe('bandctl compact', () => {
  it('drops old applied raw text only; duplicates are still caught and the reports do not change', () => {
    const t = tempDir('ledger-compact-');
    const db = join(t.dir, 'band.db');
    expect(bandctl(['init', '--db', db]).code).toBe(0);
    // the events as producers inside the app write them: appended to the log, then applied
    const lines = readFileSync(EVENTS, 'utf8').trim().split('\n');
    const w = openDb(db);
    appendEvents(w, lines, 'paper');
    expect(new LedgerConsumer(w, { timezone: 'America/New_York' }).runToEnd()).toEqual({ accepted: 10, duplicates: 1, rejected: 1 });
    w.close();
    const report = bandctl(['report', '--db', db, '--date', '2024-01-15', '--format', 'csv']).stdout;

    // nothing is old enough yet
    expect(JSON.parse(bandctl(['compact', '--db', db, '--json']).stdout)).toMatchObject({ removed: 0, raw_days: 30 });
    // 40 days later (the log's append times moved back), and a second batch appended today
    const raw = new Database(db);
    raw.prepare('UPDATE event_log SET at = at - 40 * 86400000').run();
    raw.close();
    const fresh = JSON.stringify({ event_id: 'new-1', order_id: 'o-new', ts: '2024-01-16T15:00:00Z', symbol: 'AAPL', classification: 'LT_LONG_INCREASE', side: 'BUY', event_type: 'FILL', fill_qty: 5, fill_price: 150 });
    const w2 = openDb(db);
    appendEvents(w2, [fresh], 'paper');
    new LedgerConsumer(w2, { timezone: 'America/New_York' }).runToEnd();
    w2.close();

    const r = bandctl(['compact', '--db', db, '--json', '--vacuum']);
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout) as { removed: number; bytes_before: number; bytes_after: number };
    expect(c.removed).toBe(lines.length); // every old applied line; today's stays
    expect(c.bytes_after).toBeLessThanOrEqual(c.bytes_before);
    const after = new Database(db, { readonly: true });
    expect(after.prepare('SELECT COUNT(*) FROM event_log').pluck().get()).toBe(1);
    expect(after.prepare('SELECT COUNT(*) FROM ledger_quarantine').pluck().get()).toBe(1); // refused: its raw text stays
    after.close();

    // the same file again: every event is still a duplicate (ids live in fills, order_events and the quarantine)
    expect(bandctl(['ingest', '--db', db, EVENTS]).stdout).toBe('{"accepted":0,"duplicates":12,"rejected":0}\n');
    expect(bandctl(['report', '--db', db, '--date', '2024-01-15', '--format', 'csv']).stdout).toBe(report);
    t.cleanup();
  });
});
