// The ledger worker (node:worker_threads) on a real db file, started from a parent running under tsx/vitest.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/main/services/store/db';
import { appendEvents } from '../../src/main/services/ledger/log';
import { startLedgerWorker, type AppliedMessage } from '../../src/main/services/ledger/worker';
import { reportJson } from '../../src/main/services/reports';
import { fill } from './helpers';
import { tempDir } from '../support/tmp';

describe('ledger worker', () => {
  const t = tempDir('ledger-worker-');
  afterAll(() => t.cleanup());

  it('applies what the parent appends, off the main thread, and posts counts', async () => {
    const file = join(t.dir, 'w.db');
    const db = openDb(file);
    appendEvents(db, [JSON.stringify(fill('w-0', 'AAPL', 'LT_LONG_INCREASE', 5, 10))], 'broker'); // a backlog
    const w = startLedgerWorker(file, { timezone: 'America/New_York', pollMs: 50 });
    const seen: AppliedMessage[] = [];
    w.onApplied((m) => seen.push(m));
    await w.ready;
    appendEvents(
      db,
      [
        JSON.stringify(fill('w-1', 'AAPL', 'LT_LONG_INCREASE', 7, 11)),
        JSON.stringify(fill('w-1', 'AAPL', 'LT_LONG_INCREASE', 7, 11)),
        'not json',
      ],
      'broker',
    );
    const deadline = performance.now() + 20_000;
    const total = () => seen.reduce((a, m) => a + m.accepted + m.duplicates + m.rejected, 0);
    while (total() < 4 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await w.stop();
    const sum = (k: 'accepted' | 'duplicates' | 'rejected') => seen.reduce((a, m) => a + m[k], 0);
    expect({ accepted: sum('accepted'), duplicates: sum('duplicates'), rejected: sum('rejected') }).toEqual({
      accepted: 2,
      duplicates: 1,
      rejected: 1,
    });
    expect(seen[seen.length - 1].pos).toBe(4);
    expect(reportJson(db, '2024-01-15').totals.total_filled_qty).toBe(12);
    db.close();
  }, 60_000);

  it('reports a database it cannot open as an error instead of hanging', async () => {
    const w = startLedgerWorker(join(t.dir, 'no', 'such', 'dir', '\0bad.db'), { timezone: 'America/New_York' });
    await expect(w.ready).rejects.toThrow();
    await w.stop();
  }, 60_000);

  it('opens its connection with the given nativeBinding (Electron passes its own better-sqlite3 build)', async () => {
    const file = join(t.dir, 'nb.db');
    openDb(file).close();
    const addon = join(t.dir, 'no-such-addon.node');
    const w = startLedgerWorker(file, { timezone: 'America/New_York', nativeBinding: addon });
    await expect(w.ready).rejects.toThrow(/no-such-addon/);
    await w.stop();
  }, 60_000);
});
