// A `bandctl consume` worker killed with SIGKILL (a real subprocess): its pending entries are reclaimed by another
// consumer of the same database (XAUTOCLAIM after the idle time), and the EOD report equals the reference.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/main/services/store/db';
import { databaseGroup, positionKey, readPosition } from '../../src/main/services/streams/positions';
import { admin, fieldsOf, makeEvents, REDIS_URL, reference, snapshot, uniqueStream, xaddAll } from './helpers';
import { spawnBandctl } from '../support/bandctl';
import { tempDir } from '../support/tmp';
import { until } from '../support/wait';

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

async function pendingByConsumer(s: string, group: string): Promise<Record<string, number>> {
  const p = (await r.call('XPENDING', [s, group])) as [number, string | null, string | null, [string, string][] | null];
  return Object.fromEntries((p[3] ?? []).map(([c, n]) => [c, Number(n)]));
}

describe.each([
  ['before-ack', 'after its commit, before its XACK'],
  ['before-apply', 'holding entries it has not applied'],
])('bandctl consume killed with SIGKILL %s', (fault, what) => {
  it(`${what}: the other consumer reclaims its entries; the report equals the reference`, async () => {
    const s = uniqueStream(`kill-${fault}`);
    keys.push(s);
    const events = makeEvents(1500, fault === 'before-ack' ? 21 : 22);
    await xaddAll(r, s, events.map(fieldsOf));
    const file = join(dir, `${fault}.db`);
    const init = spawnBandctl(['init', '--db', file]);
    expect((await init.done).code).toBe(0);
    const db = openDb(file);
    const group = databaseGroup(db);

    const victim = spawnBandctl(
      ['consume', '--db', file, '--redis', REDIS_URL, '--stream', s, '--consumer', 'victim', '--count', '200'],
      { BAND_STREAMS_FAULT: fault },
    );
    await victim.waitStderr(/fault .*: holding 200 entries/);
    expect(await pendingByConsumer(s, group)).toEqual({ victim: 200 });
    victim.child.kill('SIGKILL');
    const v = await victim.done;
    expect(v.signal).toBe('SIGKILL');
    expect(readPosition(db, positionKey(REDIS_URL, s)).entries).toBe(fault === 'before-ack' ? 200 : 0);

    const heir = spawnBandctl([
      'consume', '--db', file, '--redis', REDIS_URL, '--stream', s, '--consumer', 'heir',
      '--claim-idle', '300', '--until-idle', '1500',
    ]);
    const h = await heir.done;
    expect(h.stderr).not.toMatch(/internal error/);
    expect(h.code).toBe(0);
    const counts = JSON.parse(h.stdout) as { accepted: number; duplicates: number; rejected: number };
    if (fault === 'before-ack') {
      // the victim's 200 were committed: the heir acknowledges them as duplicates and applies the other 1300
      expect(counts).toEqual({ accepted: 1300, duplicates: 200, rejected: 0 });
    } else {
      expect(counts).toEqual({ accepted: 1500, duplicates: 0, rejected: 0 });
    }
    expect(await pendingByConsumer(s, group)).toEqual({});
    expect(readPosition(db, positionKey(REDIS_URL, s)).entries).toBe(1500);
    expect(snapshot(db)).toEqual(reference(events, dir));
    db.close();
  });
});

describe('two bandctl consume processes on one database', () => {
  it('split the stream between them (one group), each fill applied once, the report equals the reference', async () => {
    const s = uniqueStream('two-procs');
    keys.push(s);
    const events = makeEvents(2000, 23);
    const file = join(dir, 'two-procs.db');
    expect((await spawnBandctl(['init', '--db', file]).done).code).toBe(0);
    const args = (name: string) => [
      'consume', '--db', file, '--redis', REDIS_URL, '--stream', s, '--consumer', name, '--count', '100',
      '--until-idle', '1500',
    ];
    const p1 = spawnBandctl(args('p1'));
    const p2 = spawnBandctl(args('p2'));
    await Promise.all([p1.waitStderr(/consumer p1/), p2.waitStderr(/consumer p2/)]);
    const db = openDb(file);
    const group = databaseGroup(db);
    // both are members of the group (blocked in XREADGROUP) before the first entry arrives
    await until(
      async () => {
        const cs = (await r.call('XINFO', ['CONSUMERS', s, group]).catch(() => [])) as string[][];
        return cs.length === 2;
      },
      30_000,
      'both consumers in the group',
    );
    for (let i = 0; i < events.length; i += 250) {
      await xaddAll(r, s, events.slice(i, i + 250).map((e, j) => fieldsOf(e, i + j)));
    }
    const [a, b] = await Promise.all([p1.done, p2.done]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const ca = JSON.parse(a.stdout) as { accepted: number; duplicates: number; rejected: number };
    const cb = JSON.parse(b.stdout) as { accepted: number; duplicates: number; rejected: number };
    expect(ca.accepted).toBeGreaterThan(0);
    expect(cb.accepted).toBeGreaterThan(0);
    expect(ca.accepted + cb.accepted).toBe(2000);
    expect(await pendingByConsumer(s, group)).toEqual({});
    expect(snapshot(db)).toEqual(reference(events, dir));
    db.close();
  });
});
