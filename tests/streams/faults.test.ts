// Redis faults (issue 14) against a redis-server this file starts itself (random loopback port, AOF on): an entry
// whose apply throws goes to the dead letter after max_attempts while the rest of the stream applies; the database
// failing is retried without counting; a reset stream (FLUSHALL, a restart without data, ids at or below the
// position) stops the consumer with one clear error and acknowledges nothing, until the reset is accepted; a restart
// with its data (kill -9, AOF) and trims lose nothing; creating the group is retried; the commit before an XACK is
// durable (synchronous = FULL).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StreamStatus } from '../../src/shared/types';
import { LedgerConsumer } from '../../src/main/services/ledger/consumer';
import { listQuarantine } from '../../src/main/services/ledger/positions';
import { openDb, type Db } from '../../src/main/services/store/db';
import { entryText, FatalStreamError, StreamConsumer, StreamResetError } from '../../src/main/services/streams/consumer';
import { databaseGroup, positionKey, readPosition } from '../../src/main/services/streams/positions';
import { fieldsObject, fieldsOf, makeEvents, PoisonLedger, reference, snapshot, TZ, uniqueStream, xaddAll } from './helpers';
import { REDIS_SERVER_MISSING, redisServerBinary, RedisServer } from './redis-server';
import { spawnBandctl } from '../support/bandctl';
import { tempDir } from '../support/tmp';
import { sleep, until } from '../support/wait';

const haveServer = redisServerBinary() !== null;
const srv = haveServer ? new RedisServer() : null;
let r: Redis;
const dbs: Db[] = [];
const { dir } = tempDir('band-faults-');

function open(name: string): Db {
  const db = openDb(join(dir, name));
  dbs.push(db);
  return db;
}

type Opts = Partial<ConstructorParameters<typeof StreamConsumer>[0]>;

function consumer(db: Db, stream: string, name: string, extra: Opts = {}) {
  return new StreamConsumer({
    db,
    ledger: new LedgerConsumer(db, { timezone: TZ }),
    url: srv!.url,
    stream,
    group: extra.group ?? databaseGroup(db),
    consumer: name,
    count: 100,
    blockMs: 200,
    claimIdleMs: 2000,
    retryMinMs: 20,
    retryMaxMs: 200,
    ...extra,
  });
}

async function pendingCount(stream: string, group: string): Promise<number> {
  const p = (await r.call('XPENDING', [stream, group])) as [number, ...unknown[]];
  return Number(p[0]);
}

const pos = (db: Db, stream: string) => readPosition(db, positionKey(srv!.url, stream));

beforeAll(async () => {
  if (!srv) return;
  await srv.start();
  r = srv.client();
});
afterEach(() => {
  while (dbs.length) dbs.pop()!.close();
});
afterAll(async () => {
  r?.disconnect();
  await srv?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!haveServer)(`Redis faults on a test-owned redis-server${haveServer ? '' : ` (skipped: ${REDIS_SERVER_MISSING})`}`, () => {
  it('a poison entry is tried max_attempts times, then dead-lettered with its fields, reason and attempts, and quarantined; the rest applies in order', async () => {
    const s = uniqueStream('poison');
    const events = makeEvents(600, 51);
    const poisonAt = [250, 251, 599]; // two adjacent ones, and the last entry
    const poisonIds = new Set(poisonAt.map((i) => String(events[i].event_id)));
    const fields = events.map(fieldsOf);
    const ids = await xaddAll(r, s, fields);
    const db = open('poison.db');
    const ledger = new PoisonLedger(new LedgerConsumer(db, { timezone: TZ }), (id) => poisonIds.has(id));
    const dead: string[] = [];
    const c = consumer(db, s, 'p', { ledger, maxAttempts: 3, onDeadLetter: (d) => dead.push(d.id) });
    await c.run(800);

    expect(c.counts).toMatchObject({ entries: 597, accepted: 597, deadLettered: 3, failedAttempts: 9, rejected: 0 });
    expect(dead).toEqual(poisonAt.map((i) => ids[i]));
    for (const id of poisonIds) expect(ledger.aloneAttempts.get(id)).toBe(3); // each poison applied alone 3 times
    // the rest of the stream is applied exactly as without the poison entries, in stream order
    const good = events.filter((_, i) => !poisonAt.includes(i));
    const got = snapshot(db);
    expect(got.quarantine).toBe(3);
    expect({ ...got, quarantine: 0 }).toEqual(reference(good, dir));
    // the dead-letter stream: the entry's own fields, then why, how often, from where
    const group = databaseGroup(db);
    const deadEntries = (await r.xrange(`${s}.dead`, '-', '+')).map(([, f]) => f);
    expect(deadEntries).toHaveLength(3);
    poisonAt.forEach((i, k) => {
      const f = deadEntries[k];
      expect(f.slice(0, fields[i].length)).toEqual(fields[i]);
      expect(fieldsObject(f)).toMatchObject({
        dead_stream: s,
        dead_entry_id: ids[i],
        dead_group: group,
        dead_consumer: 'p',
        dead_attempts: '3',
        dead_reason: `apply failed 3 times: cannot apply ${String(events[i].event_id)}: simulated bug`,
      });
    });
    // the quarantine view lists them for the trader: source redis:<stream> <entry id>, the reason with the attempts
    const q = listQuarantine(db, 10);
    expect(q.map((x) => x.source)).toEqual([...poisonAt].reverse().map((i) => `redis:${s} ${ids[i]}`));
    expect(q[0].reason).toMatch(new RegExp(`^dead-lettered to ${s.replace(/[.:]/g, '\\$&')}\\.dead \\(\\d+-\\d+\\) after 3 failed attempts to apply it: cannot apply`));
    expect(q[2].raw).toBe(entryText(fields[250]));
    // everything acknowledged; the position covers the dead letters too
    expect(await pendingCount(s, group)).toBe(0);
    expect(pos(db, s)).toEqual({ lastId: ids[599], entries: 600 });
    await r.del(s, `${s}.dead`);
  });

  it('the database failing (SQLITE_BUSY) is retried as it is: no attempt counted, nothing dead-lettered', async () => {
    const s = uniqueStream('busy');
    const events = makeEvents(200, 52);
    await xaddAll(r, s, events.map(fieldsOf));
    const db = open('busy.db');
    const group = databaseGroup(db);
    db.pragma('busy_timeout = 50');
    const locker = open('busy.db');
    locker.exec('BEGIN IMMEDIATE'); // another writer holds the database
    const c = consumer(db, s, 'b', { maxAttempts: 1, group });
    const run = c.run(1000);
    await sleep(800);
    expect(c.counts).toMatchObject({ entries: 0, failedAttempts: 0, deadLettered: 0 });
    locker.exec('COMMIT');
    await run;
    expect(c.counts).toMatchObject({ entries: 200, failedAttempts: 0, deadLettered: 0 });
    expect(snapshot(db)).toEqual(reference(events, dir));
    expect(await r.exists(`${s}.dead`)).toBe(0);
    await r.del(s);
  });

  it('a ledger that fails every entry stops the consumer after max-dead-in-a-row instead of emptying the stream', async () => {
    const s = uniqueStream('allbad');
    const ids = await xaddAll(r, s, makeEvents(20, 53).map(fieldsOf));
    const db = open('allbad.db');
    const ledger = new PoisonLedger(new LedgerConsumer(db, { timezone: TZ }), () => true);
    const c = consumer(db, s, 'x', { ledger, maxAttempts: 2, maxDeadInARow: 3 });
    const err = await c.run(800).then(() => null, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(FatalStreamError);
    expect(err!.message).toMatch(/3 entries in a row were dead-lettered and entry \S+ failed too/);
    expect(c.counts.deadLettered).toBe(3);
    expect(pos(db, s).lastId).toBe(ids[2]);
    expect(await pendingCount(s, databaseGroup(db))).toBe(17); // the rest waits, unacknowledged
    await r.del(s, `${s}.dead`);
  });

  it('FLUSHALL under a running consumer: one clear error, nothing acknowledged; bandctl consume --accept-reset reads the new stream', async () => {
    const s = uniqueStream('flush');
    const first = makeEvents(300, 54, 'a');
    const second = makeEvents(100, 55, 'b');
    await xaddAll(r, s, first.map(fieldsOf));
    const file = join(dir, 'flush.db');
    const db = open('flush.db');
    const c = consumer(db, s, 'f');
    // no idle exit: only the reset ends it; its outcome is taken at once (it may reject before the test awaits it)
    const run = c.run().then(() => null, (e: unknown) => e as Error);
    await until(() => c.counts.entries === 300, 15_000, 'first stream applied');
    await r.flushall();
    await xaddAll(r, s, second.map(fieldsOf)); // a producer goes on, on the empty server
    const err = await run;
    expect(err).toBeInstanceOf(StreamResetError);
    expect(err!.message).toMatch(/^stream \S+ was reset: consumer group band-\S+ no longer exists although this database has applied the stream up to \d+-\d+/);
    expect(err!.message).toMatch(/Nothing was acknowledged.*bandctl consume --accept-reset/);
    expect(c.counts.entries).toBe(300);
    expect(await r.call('XINFO', ['GROUPS', s])).toEqual([]); // no group created behind the trader's back

    const refused = await spawnBandctl(['consume', '--db', file, '--redis', srv!.url, '--stream', s, '--until-idle', '300']).done;
    expect(refused.code).toBe(1);
    const errors = refused.stderr.split('\n').filter((l) => l.startsWith('bandctl:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/was reset: consumer group .* no longer exists/);

    const accepted = await spawnBandctl([
      'consume', '--db', file, '--redis', srv!.url, '--stream', s, '--until-idle', '500', '--accept-reset',
    ]).done;
    expect(accepted.stderr).toMatch(/reset accepted/);
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout)).toEqual({ accepted: 100, duplicates: 0, rejected: 0 });
    expect(snapshot(db)).toEqual(reference([...first, ...second], dir));
    expect(await pendingCount(s, databaseGroup(db))).toBe(0);
    await r.del(s);
  });

  it('a restart without data stops the consumer; entries at or before the position it never saw are not acknowledged as redeliveries', async () => {
    const s = uniqueStream('wipe');
    const first = makeEvents(100, 56, 'w1');
    const second = makeEvents(50, 57, 'w2');
    const db = open('wipe.db');
    const group = databaseGroup(db);
    const c = consumer(db, s, 'w');
    const run = c.run().then(() => null, (e: unknown) => e as Error); // may reject before it is awaited
    for (let i = 0; i < first.length; i++) await r.xadd(s, `${2_000_000 + i}-0`, ...fieldsOf(first[i], i));
    await until(() => c.counts.entries === 100, 15_000, 'first stream applied');
    await srv!.restart({ wipe: true }); // kill -9, data gone, same port
    expect((await run)?.message).toMatch(/was reset: consumer group \S+ no longer exists .* up to 2000099-0/);

    // the stream comes back with lower ids (a producer with explicit ids), and something recreates the group
    for (let i = 0; i < second.length; i++) await r.xadd(s, `${10 + i}-0`, ...fieldsOf(second[i], i));
    await r.call('XGROUP', ['CREATE', s, group, '0']);
    const c2 = consumer(db, s, 'w2');
    await expect(c2.run(1000)).rejects.toThrow(
      /was reset: entry 10-0 is at or before this database's position 2000099-0 but this database never applied its event/,
    );
    expect(c2.counts).toMatchObject({ entries: 0, redelivered: 0, duplicates: 0 });
    const delivered = await pendingCount(s, group);
    expect(delivered).toBeGreaterThan(0); // delivered, held, not acknowledged
    expect(snapshot(db).fills + snapshot(db).orderEvents).toBe(100);

    const c3 = consumer(db, s, 'w3', { acceptReset: true });
    await c3.run(800);
    expect(c3.counts).toMatchObject({ entries: 50, accepted: 50 });
    expect(snapshot(db)).toEqual(reference([...first, ...second], dir));
    expect(pos(db, s)).toEqual({ lastId: '59-0', entries: 50 });
    expect(await pendingCount(s, group)).toBe(0);
    await r.del(s);
  });

  it('the group rewound (XGROUP SETID 0) is still only redeliveries: acknowledged, nothing applied twice', async () => {
    const s = uniqueStream('rewind');
    const events = makeEvents(200, 58);
    await xaddAll(r, s, [...events.map(fieldsOf), ['event', '{"event_id": "bad-1", "event_type": "FILL"}']]);
    const db = open('rewind.db');
    const ledger = new PoisonLedger(new LedgerConsumer(db, { timezone: TZ }), (id) => id === 'e-7');
    await consumer(db, s, 'a', { ledger, maxAttempts: 1 }).run(400);
    const before = snapshot(db);
    expect(before.quarantine).toBe(2); // the bad entry and the dead letter
    await r.call('XGROUP', ['SETID', s, databaseGroup(db), '0']);
    const again = consumer(db, s, 'b');
    await again.run(400);
    expect(again.counts).toMatchObject({ entries: 0, redelivered: 201, duplicates: 201 });
    expect(snapshot(db)).toEqual(before);
    await r.del(s, `${s}.dead`);
  });

  it('kill -9 and a restart on the same data (AOF) mid-stream: nothing lost, nothing applied twice, no reset', async () => {
    const s = uniqueStream('aof');
    const events = makeEvents(3000, 59);
    await xaddAll(r, s, events.slice(0, 2000).map(fieldsOf));
    const db = open('aof.db');
    const statuses: StreamStatus['state'][] = [];
    const c = consumer(db, s, 'k', { count: 10, onStatus: (st) => statuses.push(st.state) });
    const run = c.run(2000);
    await until(() => c.counts.entries >= 200, 15_000, 'consumer under way');
    await srv!.restart();
    expect(c.counts.entries).toBeLessThan(2000);
    await xaddAll(r, s, events.slice(2000).map((e, j) => fieldsOf(e, 2000 + j)));
    await run;
    expect(statuses).toContain('down');
    expect(c.counts.entries).toBe(3000);
    expect(c.counts.accepted).toBe(3000);
    expect(snapshot(db)).toEqual(reference(events, dir));
    expect(await pendingCount(s, databaseGroup(db))).toBe(0);
    await r.del(s);
  });

  it('trimming applied entries (XTRIM MINID, then MAXLEN 0) is no reset and loses nothing', async () => {
    const s = uniqueStream('trim');
    const events = makeEvents(1100, 60);
    const db = open('trim.db');
    const c = consumer(db, s, 't', { count: 50 });
    const run = c.run(1000);
    await xaddAll(r, s, events.slice(0, 500).map(fieldsOf));
    await until(() => c.counts.entries >= 300, 15_000, 'some applied');
    const at = pos(db, s).lastId!;
    const trimmed = Number(await r.call('XTRIM', [s, 'MINID', at]));
    expect(trimmed).toBeGreaterThan(0);
    await xaddAll(r, s, events.slice(500, 1000).map((e, j) => fieldsOf(e, 500 + j)));
    await run;
    expect(c.counts.entries).toBe(1000);
    await r.call('XTRIM', [s, 'MAXLEN', '0']);
    expect(await r.xlen(s)).toBe(0);
    await xaddAll(r, s, events.slice(1000).map((e, j) => fieldsOf(e, 1000 + j)));
    const c2 = consumer(db, s, 't2');
    await c2.run(500);
    expect(c2.counts.entries).toBe(100);
    expect(snapshot(db)).toEqual(reference(events, dir));
    await r.del(s);
  });

  it('creating the consumer group is retried with backoff until it succeeds (an ACL without XGROUP, then fixed)', async () => {
    const s = uniqueStream('acl');
    const events = makeEvents(50, 61);
    await xaddAll(r, s, events.map(fieldsOf));
    await r.call('ACL', ['SETUSER', 'band-test', 'on', '>pw', '~*', '&*', '+@all', '-xgroup']);
    try {
      const db = open('acl.db');
      const logs: string[] = [];
      const statuses: StreamStatus[] = [];
      const c = consumer(db, s, 'a', {
        url: `redis://band-test:pw@127.0.0.1:${srv!.port}`,
        log: (l) => logs.push(l),
        onStatus: (st) => statuses.push(st),
      });
      const run = c.run(800);
      await until(() => logs.filter((l) => /cannot create consumer group .*NOPERM/.test(l)).length >= 3, 15_000, 'retries');
      expect(c.counts.entries).toBe(0);
      expect(statuses.some((st) => st.state === 'down' && /cannot create consumer group/.test(st.detail))).toBe(true);
      const waits = logs.map((l) => /retrying in (\d+) ms/.exec(l)?.[1]).filter(Boolean).map(Number);
      expect(waits[2]).toBeGreaterThan(waits[0]); // backoff grows
      await r.call('ACL', ['SETUSER', 'band-test', '+xgroup']);
      await run;
      expect(c.counts.entries).toBe(50);
      expect(logs.some((l) => /consumer group \S+ ready after \d+ attempts/.test(l))).toBe(true);
      expect(snapshot(db)).toEqual(reference(events, dir));
    } finally {
      await r.call('ACL', ['DELUSER', 'band-test']);
      await r.del(s);
    }
  });

  it('the commit before each XACK is durable: synchronous = FULL on the consumer connection only', async () => {
    const s = uniqueStream('durable');
    await xaddAll(r, s, makeEvents(300, 62).map(fieldsOf));
    const db = open('durable.db');
    const other = open('durable.db'); // e.g. the console's own connection
    const seen: number[] = [];
    const c = consumer(db, s, 'd', {
      faults: {
        beforeAck: async () => {
          seen.push(db.pragma('synchronous', { simple: true }) as number);
        },
      },
    });
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL, as every connection opens
    await c.run(400);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen)).toEqual(new Set([2])); // FULL: the WAL is synced at each commit, before its XACK
    expect(other.pragma('synchronous', { simple: true })).toBe(1);
    await r.del(s);
  });
});
