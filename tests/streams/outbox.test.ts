// The outbox under faults (issue 14), against the real local Redis: a row whose publish fails waits for its own
// next attempt (backoff) and never blocks the rows after it; what the console publishes is bounded (`MAXLEN ~`).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderRequest } from '../../src/main/services/execution/broker';
import { openDb } from '../../src/main/services/store/db';
import { enqueueOrders, OutboxPublisher, outboxPending, outboxRetrying, type OutboxRow } from '../../src/main/services/streams/outbox';
import { xaddOnce } from '../../src/main/services/streams/publish';
import { admin, REDIS_URL, uniqueStream } from './helpers';
import { tempDir } from '../support/tmp';
import { sleep, until } from '../support/wait';
import { timerNow } from '../../src/main/services/clock';

let r: Redis;
const keys: string[] = [];
const { dir } = tempDir('band-outbox-');

beforeAll(() => {
  r = admin();
});
afterAll(async () => {
  for (const k of keys) {
    const idem = await r.keys(`{${k}}:idem:*`);
    await r.del(k, ...idem);
  }
  r.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

function order(i: number): OrderRequest {
  return {
    intentId: `i-${i}`,
    symbol: 'AAPL',
    classification: 'LT_LONG_DECREASE',
    side: 'SELL',
    qty: 10 + i,
    orderType: 'MARKET',
    limitMicro: null,
  };
}

describe('outbox faults', () => {
  it('a row that fails is retried with backoff and never blocks the rows after it', async () => {
    const good = uniqueStream('outbox-good');
    const bad = uniqueStream('outbox-bad');
    keys.push(good, bad);
    await r.set(bad, 'not a stream'); // every XADD to it fails (WRONGTYPE) until the key is fixed
    const db = openDb(join(dir, 'retry.db'));
    const now = timerNow();
    db.transaction(() => {
      enqueueOrders(db, bad, [order(0)], now); // the first row: fails
      enqueueOrders(db, good, [order(1), order(2), order(3)], now);
    })();
    const failures: number[] = [];
    const pub = new OutboxPublisher({
      db,
      url: REDIS_URL,
      pollMs: 50,
      retryMinMs: 150,
      retryMaxMs: 600,
      onFailed: (f) => failures.push(f.next_attempt_at - timerNow()),
    });
    pub.start();
    try {
      await until(() => outboxPending(db) === 1, 10_000, 'the later rows published');
      expect((await r.xrange(good, '-', '+')).map(([, f]) => f[1])).toEqual(['i-1', 'i-2', 'i-3']);
      const row = () => db.prepare('SELECT * FROM stream_outbox WHERE stream = ?').get(bad) as OutboxRow;
      expect(row().sent_at).toBeNull();
      expect(row().last_error).toMatch(/WRONGTYPE/);
      expect(row().next_attempt_at).toBeGreaterThan(now);
      expect(outboxRetrying(db)).toEqual({ rows: 1, lastError: expect.stringMatching(/WRONGTYPE/) });
      // backoff: ~150, 300, 600, 600 ms... a second holds a handful of attempts, not hundreds
      await sleep(1000);
      const attempts = row().attempts;
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(attempts).toBeLessThanOrEqual(6);
      expect(failures[1]).toBeGreaterThan(failures[0]);
      // a row approved later still goes out at once
      db.transaction(() => enqueueOrders(db, good, [order(4)], timerNow()))();
      pub.kick();
      await until(async () => (await r.xlen(good)) === 4, 5000, 'a later approval published');
      // the cause fixed: the row goes out at its next attempt, once
      await r.del(bad);
      await until(() => outboxPending(db) === 0, 5000, 'the failed row published');
      expect(row().sent_at).not.toBeNull();
      expect(row().next_attempt_at).toBeNull();
      expect(await r.xlen(bad)).toBe(1);
      expect(outboxRetrying(db).rows).toBe(0);
    } finally {
      await pub.stop();
      db.close();
    }
  });

  it('an unreadable payload is one failing row, not a stuck outbox', async () => {
    const s = uniqueStream('outbox-payload');
    keys.push(s);
    const db = openDb(join(dir, 'payload.db'));
    db.transaction(() => enqueueOrders(db, s, [order(0), order(1)], timerNow()))();
    db.prepare("UPDATE stream_outbox SET payload = '{broken' WHERE idem_key = 'i-0'").run();
    const pub = new OutboxPublisher({ db, url: REDIS_URL, pollMs: 60_000 });
    pub.start();
    try {
      expect(await pub.flush()).toBe(1);
      expect(await pub.flush()).toBe(0); // the broken row waits for its next attempt
      expect((await r.xrange(s, '-', '+')).map(([, f]) => f[1])).toEqual(['i-1']);
      expect(pub.failed).toBe(1);
    } finally {
      await pub.stop();
      db.close();
    }
  });

  it('MAXLEN ~ bounds the intents stream (and every stream published through xaddOnce)', async () => {
    const s = uniqueStream('outbox-maxlen');
    keys.push(s);
    const db = openDb(join(dir, 'maxlen.db'));
    const n = 1500;
    db.transaction(() => enqueueOrders(db, s, Array.from({ length: n }, (_, i) => order(i)), timerNow()))();
    const pub = new OutboxPublisher({ db, url: REDIS_URL, pollMs: 60_000, batch: 500, maxlen: 200 });
    pub.start();
    try {
      // start() runs the publisher's own loop, which flushes too: count what the outbox holds, not what our calls sent
      const unsent = db.prepare('SELECT COUNT(*) FROM stream_outbox WHERE sent_at IS NULL').pluck();
      for (let i = 0; i < 20 && (unsent.get() as number) > 0; i++) await pub.flush();
      expect(unsent.get()).toBe(0);
      expect(pub.failed).toBe(0);
      const len = await r.xlen(s);
      expect(len).toBeGreaterThanOrEqual(200);
      expect(len).toBeLessThan(400); // `~`: whole nodes (100 entries) are dropped
      // the newest entries are kept
      const last = await r.xrevrange(s, '+', '-', 'COUNT', 1);
      expect(last[0][1][1]).toBe(`i-${n - 1}`);
    } finally {
      await pub.stop();
      db.close();
    }
    const d = uniqueStream('dead-maxlen');
    keys.push(d);
    for (let i = 0; i < 600; i++) await xaddOnce(r, d, `k-${i}`, ['i', String(i)], 100);
    expect(await r.xlen(d)).toBeLessThan(300);
    expect(await xaddOnce(r, d, 'k-599', ['i', 'again'], 100)).toBe((await r.xrevrange(d, '+', '-', 'COUNT', 1))[0][0]);
  });
});
