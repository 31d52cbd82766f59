// Approved orders to ev.intents through the SQLite outbox (idempotent on the intent id), truth ticks from a stream,
// `bandctl consume` input errors, and the console's StreamsService.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderRequest } from '../../src/main/services/execution/broker';
import { readTicks } from '../../src/main/services/prices/ticks';
import { openDb } from '../../src/main/services/store/db';
import { idemKey, OutboxPublisher, outboxPending, RedisBroker } from '../../src/main/services/streams/outbox';
import { LedgerConsumer } from '../../src/main/services/ledger/consumer';
import { defaultConfig } from '../../src/main/services/config/load';
import { openConsoleStreams, StreamsService } from '../../src/main/services/streams/service';
import { Engine } from '../../src/main/services/engine/engine';
import { RedisTickSource } from '../../src/main/services/streams/ticks';
import type { StreamStatus } from '../../src/shared/types';
import { admin, CutProxy, fieldsOf, makeEvents, REDIS_URL, snapshot, reference, uniqueStream, xaddAll, TZ } from './helpers';
import { spawnBandctl } from '../support/bandctl';
import { tempDir } from '../support/tmp';
import { until } from '../support/wait';
import { timerNow } from '../../src/main/services/clock';

let r: Redis;
const keys: string[] = [];
const { dir } = tempDir();

beforeAll(() => {
  r = admin();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (keys.length) await r.del(...keys);
  r.disconnect();
});

function order(i: number): OrderRequest {
  return {
    intentId: `i-${i}`,
    symbol: 'AAPL',
    classification: 'LT_LONG_DECREASE',
    side: 'SELL',
    qty: 10 + i,
    orderType: i % 2 ? 'MARKET' : 'LIMIT',
    limitMicro: i % 2 ? null : 150_250_000,
  };
}

type Entry = [string, string[]];
const asObj = (f: string[]) => Object.fromEntries(f.flatMap((_, i) => (i % 2 ? [] : [[f[i], f[i + 1]]])));

describe('approved orders to ev.intents', () => {
  it('an approval never waits for Redis: it is kept in the outbox while Redis is unreachable and published once', async () => {
    const s = uniqueStream('intents');
    keys.push(s, ...[0, 1, 2, 3].map((i) => idemKey(s, `i-${i}`)));
    const db = openDb(join(dir, 'outbox.db'));
    const proxy = new CutProxy();
    await proxy.start();
    await proxy.cut(); // Redis unreachable from the start
    const states: string[] = [];
    const pub = new OutboxPublisher({ db, url: proxy.url, pollMs: 100, onStatus: (st) => states.push(st.state) });
    pub.start();
    const broker = new RedisBroker(db, s, () => pub.kick());

    const t0 = performance.now();
    const ids = db.transaction(() => broker.place([order(0), order(1), order(2)], Date.UTC(2024, 0, 15, 15)))();
    expect(performance.now() - t0).toBeLessThan(200); // synchronous, no Redis round trip
    expect(ids).toEqual(['o-0', 'o-1', 'o-2']);
    // a rolled-back approval leaves nothing behind
    expect(() =>
      db.transaction(() => {
        broker.place([order(3)], timerNow());
        throw new Error('cap exceeded');
      })(),
    ).toThrow('cap exceeded');
    expect(outboxPending(db)).toBe(3);
    await new Promise((res) => setTimeout(res, 400));
    expect(outboxPending(db)).toBe(3); // still waiting, nothing lost
    expect(await r.exists(s)).toBe(0);

    await proxy.start();
    await until(() => outboxPending(db) === 0, 15_000, 'outbox drained');
    const entries = (await r.call('XRANGE', [s, '-', '+'])) as Entry[];
    expect(entries.map((e) => asObj(e[1]).intent_id)).toEqual(['i-0', 'i-1', 'i-2']);
    expect(asObj(entries[0][1])).toMatchObject({
      idempotency_key: 'i-0',
      order_id: 'o-0',
      symbol: 'AAPL',
      classification: 'LT_LONG_DECREASE',
      side: 'SELL',
      qty: '10',
      order_type: 'LIMIT',
      limit_price: '150.25',
      approved_at: '2024-01-15T15:00:00.000Z',
    });
    expect(asObj(entries[1][1]).limit_price).toBeUndefined();

    // the same approval placed again, and a publish repeated after a crash before sent_at was written: no new entry
    db.transaction(() => broker.place([order(0)], timerNow()))();
    db.prepare('UPDATE stream_outbox SET sent_at = NULL, entry_id = NULL').run();
    expect(await pub.flush()).toBe(3);
    expect(await r.xlen(s)).toBe(3);
    const rows = db.prepare('SELECT idem_key, entry_id FROM stream_outbox ORDER BY id').all() as { entry_id: string }[];
    expect(rows.map((x) => x.entry_id)).toEqual(entries.map((e) => e[0]));
    expect(states).toContain('down');
    await pub.stop();
    await proxy.stop();
    db.close();
  });
});

describe('truth ticks from a stream', () => {
  it('seeds the newest tick per symbol, then applies new ones; bad ticks are skipped and counted', async () => {
    const s = uniqueStream('ticks');
    keys.push(s);
    const db = openDb(join(dir, 'ticks.db'));
    await r.xadd(s, '*', 'symbol', 'AAPL', 'price', '150.00');
    await r.xadd(s, '*', 'symbol', 'AAPL', 'price', '151.25', 'ts', '2024-01-15T15:00:00Z');
    await r.xadd(s, '*', 'tick', JSON.stringify({ symbol: 'MSFT', price: 400.5, ts: 1705330800000 }));
    const src = new RedisTickSource({ db, url: REDIS_URL, stream: s, blockMs: 100 });
    src.start();
    await until(() => readTicks(db).size === 2, 10_000, 'seeded ticks');
    expect(readTicks(db)).toEqual(new Map([['AAPL', 151_250_000], ['MSFT', 400_500_000]]));
    await r.xadd(s, '*', 'symbol', 'aapl', 'price', '1');
    await r.xadd(s, '*', 'symbol', 'NVDA', 'price', '-3');
    await r.xadd(s, '*', 'symbol', 'NVDA', 'price', '875.10');
    await until(() => readTicks(db).has('NVDA'), 10_000, 'a new tick');
    expect(readTicks(db).get('NVDA')).toBe(875_100_000);
    expect(readTicks(db).get('AAPL')).toBe(151_250_000);
    expect(src.bad).toBe(2);
    expect(src.lastBad).toMatch(/price: must be a finite number > 0/);
    const row = db.prepare("SELECT source, ts FROM ticks WHERE symbol = 'AAPL'").get();
    expect(row).toEqual({ source: 'redis', ts: Date.parse('2024-01-15T15:00:00Z') });
    await src.stop();
    db.close();
  });
});

describe('bandctl consume input', () => {
  it('refuses a missing or malformed Redis URL and bad numbers with exit 2 and one line', async () => {
    const file = join(dir, 'cli.db');
    const cases: [string[], RegExp][] = [
      [['consume', '--db', file], /--redis is required/],
      [['consume', '--db', file, '--redis', 'http://127.0.0.1:6379'], /unsupported scheme 'http:'/],
      [['consume', '--db', file, '--redis', REDIS_URL, '--until-idle', 'soon'], /--until-idle must be a whole number/],
      [['consume', '--db', file, '--redis', REDIS_URL, '--stream', 'bad stream'], /--stream must be/],
    ];
    const runs = await Promise.all(cases.map(([args]) => spawnBandctl(args).done));
    runs.forEach((res, i) => {
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(cases[i][1]);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
    });
  });
});

describe('the console bridge (StreamsService)', () => {
  it('is off without a Redis URL: no broker, no consumer, status off', () => {
    const db = openDb(join(dir, 'off.db'));
    const seen: StreamStatus[] = [];
    const svc = new StreamsService({
      db,
      config: defaultConfig().streams,
      ledger: new LedgerConsumer(db, { timezone: TZ }),
      onStatus: (st) => seen.push(st),
    });
    svc.start();
    expect(svc.enabled).toBe(false);
    expect(svc.broker).toBeNull();
    expect(seen).toEqual([{ state: 'off', detail: expect.stringMatching(/no Redis configured/) }]);
    db.close();
  });

  it('books order events, publishes approvals and reads ticks, with one status for the header', async () => {
    const orders = uniqueStream('svc-orders');
    const intents = uniqueStream('svc-intents');
    const ticks = uniqueStream('svc-ticks');
    keys.push(orders, intents, ticks, idemKey(intents, 'i-0'));
    const db = openDb(join(dir, 'svc.db'));
    const consumerDb = openDb(join(dir, 'svc.db')); // its own connection, as the console gives it
    const version0 = db.pragma('data_version', { simple: true });
    const seen: StreamStatus[] = [];
    let appliedBatches = 0;
    const svc = new StreamsService({
      db,
      consumerDb,
      config: { ...defaultConfig().streams, redis_url: REDIS_URL, orders_stream: orders, intents_stream: intents, ticks_stream: ticks },
      ledger: new LedgerConsumer(consumerDb, { timezone: TZ }),
      onStatus: (st) => seen.push(st),
      onApplied: () => appliedBatches++,
    });
    const events = makeEvents(300, 31);
    await xaddAll(r, orders, events.map(fieldsOf));
    await r.xadd(ticks, '*', 'symbol', 'AAPL', 'price', '187.42');
    svc.start();
    db.transaction(() => svc.broker!.place([order(0)], timerNow()))();
    await until(() => svc.consumer!.counts.entries === 300, 15_000, 'orders booked');
    await until(() => (svc.prices?.applied ?? 0) > 0, 15_000, 'ticks read');
    await until(() => outboxPending(db) === 0, 15_000, 'approval published');
    expect(await r.xlen(intents)).toBe(1);
    await until(() => appliedBatches > 0, 5000, 'onApplied called after the XACK');
    expect(snapshot(db)).toEqual(reference(events, dir));
    expect(svc.group).toMatch(/^band-/);
    expect(seen[0].state).toBe('connecting');
    await until(() => svc.status().state === 'up', 5000, 'status up');
    expect(svc.status().detail).toContain(`${orders} (group band-`);
    expect(db.pragma('data_version', { simple: true })).not.toBe(version0); // the console's watcher sees the commits
    await svc.stop();
    consumerDb.close();
    db.close();
  });
});

describe('openConsoleStreams (the console wiring)', () => {
  it('gives the Engine a RedisBroker and the Redis ticks, and its header status follows the connection', async () => {
    const orders = uniqueStream('con-orders');
    const intents = uniqueStream('con-intents');
    const ticks = uniqueStream('con-ticks');
    keys.push(orders, intents, ticks);
    const file = join(dir, 'console.db');
    const db = openDb(file);
    const base = defaultConfig();
    const config = {
      ...base,
      streams: { ...base.streams, redis_url: REDIS_URL, orders_stream: orders, intents_stream: intents, ticks_stream: ticks },
    };
    const cs = openConsoleStreams({ db, dbFile: file, config });
    const engine = new Engine({ db, config: () => ({ config, valid: true, messages: [] }), broker: cs.broker, prices: cs.prices });
    expect(engine.broker.name).toBe('redis');
    expect(engine.prices.name).toBe('redis');
    cs.start(engine);
    await xaddAll(r, orders, makeEvents(50, 41).map(fieldsOf));
    await until(() => engine.status().stream.state === 'up', 10_000, 'header status up');
    await until(() => (cs.service?.consumer?.counts.entries ?? 0) === 50, 10_000, 'orders booked');
    expect(engine.status().stream.detail).toContain(orders);
    await cs.stop();
    db.close();

    const offDb = openDb(join(dir, 'console-off.db'));
    const off = openConsoleStreams({ db: offDb, dbFile: join(dir, 'console-off.db'), config: base });
    expect(off.broker).toBeUndefined();
    const paper = new Engine({ db: offDb, config: () => ({ config: base, valid: true, messages: [] }), broker: off.broker });
    off.start(paper);
    expect(paper.broker.name).toBe('paper');
    expect(paper.status().stream.state).toBe('off');
    await off.stop();
    offDb.close();
  });
});
