// `bandctl ingest` prints the counts of ITS input (docs/spec.md §10). Events another producer (a running console's paper
// broker) appended to the log and nobody applied yet are applied first, to keep the order, but are not counted.
// Seen in a CI run: a console's two paper fills turned a file of 7 good lines into "accepted": 9.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendEvents } from '../../src/main/services/ledger/log';
import { openDb } from '../../src/main/services/store/db';
import { bandctl } from '../support/bandctl';
import { tempDir } from '../support/tmp';

const fill = (id: string, symbol: string, qty: number, price: number) =>
  JSON.stringify({
    event_id: id, order_id: `o-${id}`, ts: '2024-01-15T14:31:02.123-05:00', symbol,
    classification: 'LT_LONG_INCREASE', side: 'BUY', event_type: 'FILL', fill_qty: qty, fill_price: price,
  });

describe('bandctl ingest counts', () => {
  it("counts only the file's lines; another producer's unapplied events are applied first, uncounted", () => {
    const { dir } = tempDir('band-ingest-counts-');
    const db = join(dir, 'book.db');
    expect(bandctl(['init', '--db', db]).code).toBe(0);
    const w = openDb(db);
    appendEvents(w, [fill('console-1', 'AAPL', 100, 190), fill('console-2', 'MSFT', 50, 410)], 'paper');
    w.close();
    const file = join(dir, 'in.jsonl');
    writeFileSync(file, `${[fill('f-1', 'AAPL', 10, 191), fill('f-2', 'JPM', 20, 198), '{"event_id":"bad"'].join('\n')}\n`);

    const r = bandctl(['ingest', '--db', db, file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ accepted: 2, duplicates: 0, rejected: 1 });

    const check = openDb(db);
    const positions = check.prepare('SELECT symbol, qty FROM positions ORDER BY symbol').all();
    check.close();
    // 100 (console) + 10 (file) AAPL; the console's MSFT was applied too, before the file
    expect(positions).toEqual([
      { symbol: 'AAPL', qty: 110 },
      { symbol: 'JPM', qty: 20 },
      { symbol: 'MSFT', qty: 50 },
    ]);
  });
});
