// The kill switch and the Redis outbox, against the real local Redis: while HALTED the publisher sends no order
// (cancels still go out); on resume the orders still valid are published, once, and the dropped ones never.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/services/engine/engine';
import { OutboxPublisher, RedisBroker } from '../../src/main/services/streams/outbox';
import { openDb, type Db } from '../../src/main/services/store/db';
import { setBook } from '../engine/helpers';
import { admin, REDIS_URL, uniqueStream } from './helpers';
import { fixedConfig, makeConfig } from '../support/config';
import { tempDir } from '../support/tmp';

const NY10 = Date.parse('2024-01-10T15:00:00Z'); // 10:00 in New York
const min = (m: number) => NY10 + m * 60_000;

let db: Db | null = null;
let pub: OutboxPublisher | null = null;
const streams: string[] = [];
afterEach(async () => {
  await pub?.stop();
  pub = null;
  db?.close();
  db = null;
  const r = admin();
  for (const s of streams.splice(0)) await r.del(s);
  await r.quit();
});

describe('HALT and the outbox (real Redis)', () => {
  it('holds orders while HALTED, sends cancels, and on resume publishes only what is still WORKING', async () => {
    db = openDb(join(tempDir().dir, 'halt.db'));
    const stream = uniqueStream('halt-intents');
    streams.push(stream);
    setBook(db, [
      { symbol: 'AAA', qty: 1_000, avg: 100, tick: 120 },
      { symbol: 'BBB', qty: 1_000, avg: 100, tick: 110 },
      { symbol: 'CCC', qty: 1_000, avg: 100, tick: 105 },
      { symbol: 'ZZZ', qty: 20_000, avg: 100, tick: 100 },
      { symbol: 'SSS', qty: -5_000, avg: 100, tick: 100 },
    ]);
    let now = NY10;
    const e = new Engine({ db, config: fixedConfig(makeConfig({ band: { tolerance_days: 0 } })), actor: 'alice', now: () => now, broker: new RedisBroker(db, stream) });
    const [a, b, c] = e.evaluate(now).intents.map((i) => i.id);
    pub = new OutboxPublisher({ db, url: REDIS_URL, pollMs: 60_000 });
    pub.start();
    const r = admin();
    const asObject = (f: string[]) => Object.fromEntries(f.flatMap((v, i) => (i % 2 ? [] : [[v, f[i + 1]]]))) as Record<string, string>;
    const entries = async () => (await r.xrange(stream, '-', '+')).map(([, f]) => asObject(f));
    try {
      // c is approved and published before the HALT
      e.approve([c], 'alice', (now = min(1)));
      expect(await pub.flush()).toBe(1);
      // a and b are approved, then the desk halts before the publisher runs
      e.approve([a, b], 'alice', (now = min(2)));
      e.halt('alice', 'desk review', (now = min(3)));
      expect(await pub.flush()).toBe(0);
      expect(e.status(now).orders_held).toBe(2);
      // while halted: b is canceled (never published: dropped), c is canceled (published: its cancel goes out)
      e.cancel([b, c], 'alice', 'not today', (now = min(4)));
      expect(await pub.flush()).toBe(1);
      expect(e.status(now).orders_held).toBe(1);
      e.resume('alice', (now = min(5)));
      expect(await pub.flush()).toBe(1);
      const got = await entries();
      expect(got.map((f) => [f.action ?? 'new', f.intent_id])).toEqual([
        ['new', c],
        ['cancel', c],
        ['new', a],
      ]);
      expect(got[1]).toMatchObject({ idempotency_key: `cancel:${c}`, order_id: `o-${c.slice(2)}`, reason: expect.stringMatching(/^canceled by alice: not today/) });
      // nothing more, however often the publisher runs
      expect(await pub.flush()).toBe(0);
      expect((await entries()).length).toBe(3);
    } finally {
      await r.quit();
    }
  });
});
