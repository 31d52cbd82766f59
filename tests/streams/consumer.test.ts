// The ledger on a Redis Streams consumer group (issue 6), against the real local Redis.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LedgerConsumer } from '../../src/main/services/ledger/consumer';
import { openDb, type Db } from '../../src/main/services/store/db';
import { StreamConsumer, StreamResetError } from '../../src/main/services/streams/consumer';
import { databaseGroup, positionKey, readPosition } from '../../src/main/services/streams/positions';
import { admin, CutProxy, fieldsOf, fillCount, makeEvents, REDIS_URL, reference, snapshot, TZ, uniqueStream, xaddAll } from './helpers';
import { tempDir } from '../support/tmp';
import { sleep, until } from '../support/wait';

let r: Redis;
const keys: string[] = [];
const dbs: Db[] = [];
const { dir } = tempDir();

function stream(tag: string): string {
  const k = uniqueStream(tag);
  keys.push(k);
  return k;
}

function open(name: string): Db {
  const db = openDb(join(dir, name));
  dbs.push(db);
  return db;
}

function consumer(db: Db, streamKey: string, name: string, extra: Partial<ConstructorParameters<typeof StreamConsumer>[0]> = {}) {
  return new StreamConsumer({
    db,
    ledger: new LedgerConsumer(db, { timezone: TZ }),
    url: REDIS_URL,
    stream: streamKey,
    group: databaseGroup(db),
    consumer: name,
    count: 100,
    blockMs: 200,
    claimIdleMs: 2000,
    ...extra,
  });
}

async function pending(streamKey: string, group: string): Promise<number> {
  const p = (await r.call('XPENDING', [streamKey, group])) as [number, ...unknown[]];
  return Number(p[0]);
}

beforeAll(() => {
  r = admin();
});
afterEach(async () => {
  while (dbs.length) dbs.pop()!.close();
  if (keys.length) await r.del(...keys.splice(0));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  r.disconnect();
});

describe('consumer group on ev.orders', () => {
  it('two consumers of one database split a stream and every fill is applied once, in stream order', async () => {
    const s = stream('split');
    const events = makeEvents(2000, 11);
    await xaddAll(r, s, events.map(fieldsOf));
    const file = 'split.db';
    const dbA = open(file);
    const dbB = open(file); // a second connection to the same file, as a second process would have
    const a = consumer(dbA, s, 'a');
    const b = consumer(dbB, s, 'b');
    await Promise.all([a.run(400), b.run(400)]);

    expect(a.counts.entries).toBeGreaterThan(0);
    expect(b.counts.entries).toBeGreaterThan(0);
    expect(a.counts.entries + b.counts.entries).toBe(2000); // each entry applied by exactly one of them
    expect(a.counts.accepted + b.counts.accepted).toBe(2000);
    expect(a.counts.rejected + b.counts.rejected).toBe(0);
    const got = snapshot(dbA);
    expect(got.fills).toBe(fillCount(events));
    expect(got).toEqual(reference(events, dir));
    expect(await pending(s, databaseGroup(dbA))).toBe(0);
    expect(readPosition(dbA, positionKey(REDIS_URL, s)).entries).toBe(2000);
  });

  it('two databases each get every fill (one consumer group per database)', async () => {
    const s = stream('twodb');
    const events = makeEvents(1200, 12);
    const db1 = open('one.db');
    const db2 = open('two.db');
    expect(databaseGroup(db1)).not.toBe(databaseGroup(db2));
    expect(databaseGroup(db1)).toMatch(/^band-[0-9a-f-]{36}$/);
    expect(databaseGroup(db1)).toBe(databaseGroup(db1)); // stored at first use
    const c1 = consumer(db1, s, 'c1');
    const c2 = consumer(db2, s, 'c2');
    const runs = Promise.all([c1.run(600), c2.run(600)]);
    // events arrive while both are consuming
    for (let i = 0; i < events.length; i += 300) {
      await xaddAll(r, s, events.slice(i, i + 300).map((e, j) => fieldsOf(e, i + j)));
      await sleep(30);
    }
    await runs;
    const ref = reference(events, dir);
    expect(snapshot(db1)).toEqual(ref);
    expect(snapshot(db2)).toEqual(ref);
    expect(c1.counts.entries).toBe(1200);
    expect(c2.counts.entries).toBe(1200);
    const groups = (await r.call('XINFO', ['GROUPS', s])) as unknown[][];
    expect(groups.length).toBe(2);
  });

  it('redelivery of applied entries changes nothing (group rewound, and the same events published again)', async () => {
    const s = stream('redeliver');
    const events = makeEvents(600, 13);
    await xaddAll(r, s, events.map(fieldsOf));
    await xaddAll(r, s, [['event', '{"event_id": "bad-1", "event_type": "FILL"}']]);
    const db = open('redeliver.db');
    const group = databaseGroup(db);
    const first = consumer(db, s, 'x');
    await first.run(300);
    expect(first.counts).toMatchObject({ accepted: 600, rejected: 1, duplicates: 0 });
    const before = snapshot(db);
    expect(before.quarantine).toBe(1);

    // 1) the group is rewound: every entry is delivered again (same entry ids)
    await r.call('XGROUP', ['SETID', s, group, '0']);
    const again = consumer(db, s, 'y');
    await again.run(300);
    expect(again.counts).toMatchObject({ accepted: 0, rejected: 0, duplicates: 601, redelivered: 601 });
    expect(snapshot(db)).toEqual(before);

    // 2) the producer publishes the same events again (new entry ids, same event ids)
    await xaddAll(r, s, events.map(fieldsOf));
    await xaddAll(r, s, [['event', '{"event_id": "bad-1", "event_type": "FILL"}']]);
    const third = consumer(db, s, 'z');
    await third.run(300);
    expect(third.counts).toMatchObject({ accepted: 0, rejected: 0, duplicates: 601, entries: 601 });
    expect(snapshot(db)).toEqual(before);
    expect(await pending(s, group)).toBe(0);
  });

  it('a bad entry is quarantined (raw text and reason) and acknowledged; JSON and flat entries are both accepted', async () => {
    const s = stream('bad');
    const db = open('bad.db');
    const good = makeEvents(4, 14);
    await xaddAll(r, s, [
      ['event', JSON.stringify(good[0])],
      ['json', JSON.stringify(good[1])],
      Object.entries(good[2]).flatMap(([k, v]) => [k, String(v)]),
      ['event', '{not json'],
      ['event_id', 'flat-bad', 'order_id', 'o-1', 'ts', '2024-01-15T10:00:00Z', 'symbol', 'AAPL',
        'classification', 'LT_LONG_INCREASE', 'side', 'SELL', 'event_type', 'FILL', 'fill_qty', '5', 'fill_price', '10'],
      ['event', JSON.stringify({ ...good[3], fill_qty: 1.5, event_type: 'FILL' })],
      ['event', JSON.stringify(good[3])],
    ]);
    const c = consumer(db, s, 'q');
    await c.run(300);
    expect(c.counts).toMatchObject({ accepted: 4, rejected: 3, entries: 7 });
    const q = db.prepare('SELECT source, raw, reason FROM ledger_quarantine ORDER BY id').all() as {
      source: string;
      raw: string;
      reason: string;
    }[];
    expect(q.map((x) => x.source)).toEqual([`redis:${s}`, `redis:${s}`, `redis:${s}`]);
    expect(q[0]).toMatchObject({ raw: '{not json' });
    expect(q[0].reason).toMatch(/^json: not valid JSON/);
    expect(q[1].reason).toMatch(/^side: SELL disagrees with classification LT_LONG_INCREASE/);
    expect(JSON.parse(q[1].raw)).toMatchObject({ event_id: 'flat-bad', side: 'SELL' });
    expect(q[2].reason).toMatch(/^fill_qty: must be a whole number/);
    expect(await pending(s, databaseGroup(db))).toBe(0); // acknowledged: never redelivered forever
    expect(snapshot(db).fills + snapshot(db).orderEvents).toBe(4);
  });

  it('a stream deleted and created again with lower ids stops the consumer (a reset); once accepted it is read from its start', async () => {
    const s = stream('recreated');
    const first = makeEvents(100, 16, 'first');
    const second = makeEvents(100, 17, 'second');
    const db = open('recreated.db');
    const c = consumer(db, s, 'r1', { claimIdleMs: 500 });
    const run = c.run(1500).then(() => null, (e: unknown) => e as Error); // may reject before it is awaited
    for (let i = 0; i < first.length; i++) await r.xadd(s, `${1_000_000 + i}-0`, ...fieldsOf(first[i], i));
    await until(() => c.counts.entries === 100, 10_000, 'first stream applied');
    await r.del(s); // the server lost the stream, its group and the pending list
    for (let i = 0; i < second.length; i++) await r.xadd(s, `${10 + i}-0`, ...fieldsOf(second[i], i));
    expect(await run).toBeInstanceOf(StreamResetError);
    expect(c.counts.entries).toBe(100);
    expect(c.counts.redelivered).toBe(0); // nothing of the new stream taken for a redelivery
    expect(readPosition(db, positionKey(REDIS_URL, s)).lastId).toBe('1000099-0');

    const after = consumer(db, s, 'r2', { acceptReset: true });
    await after.run(500);
    expect(after.counts.entries).toBe(100);
    expect(after.counts.accepted).toBe(100);
    expect(readPosition(db, positionKey(REDIS_URL, s)).lastId).toBe('109-0');
    expect(snapshot(db).fills).toBe(fillCount(first) + fillCount(second));
  });

  it('the connection cut mid-stream (and refused for a while) loses nothing', async () => {
    const s = stream('cut');
    const events = makeEvents(1500, 15);
    const proxy = new CutProxy();
    await proxy.start();
    const db = open('cut.db');
    const statuses: string[] = [];
    const c2 = consumer(db, s, 'cut', { url: proxy.url, count: 50, onStatus: (st) => statuses.push(st.state) });
    const run = c2.run(1500);
    let produced = 0;
    const producer = (async () => {
      for (let i = 0; i < events.length; i += 50) {
        await xaddAll(r, s, events.slice(i, i + 50).map((e, j) => fieldsOf(e, i + j)));
        produced = i + 50;
        await sleep(20);
      }
    })();
    await until(() => produced >= 300 && c2.counts.entries > 0, 20_000, 'first entries applied');
    await proxy.cut(); // every connection dropped, new ones refused; the producer goes on
    const atCut = c2.counts.entries;
    expect(produced).toBeLessThan(1500);
    await sleep(600);
    expect(c2.counts.entries).toBe(atCut); // nothing arrives while cut off
    await proxy.start(); // same port
    await producer;
    expect(produced).toBe(1500);
    await run;
    await proxy.stop();
    expect(statuses).toContain('down');
    expect(proxy.connections).toBeGreaterThan(1); // it reconnected
    expect(snapshot(db)).toEqual(reference(events, dir));
    expect(c2.counts.entries).toBe(1500);
    expect(await pending(s, databaseGroup(db))).toBe(0);
  });
});
