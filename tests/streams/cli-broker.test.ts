// bandctl approve with streams.redis_url set: the order goes to the outbox (not the paper broker), and
// `bandctl consume` publishes it once to the configured intents stream, keyed by the intent id.
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { admin, REDIS_URL, uniqueStream } from './helpers';
import { spawnBandctl } from '../support/bandctl';
import { tempDir } from '../support/tmp';

const run = async (args: string[]) => {
  const r = spawnBandctl(args);
  const out = await r.done;
  if (out.code !== 0) throw new Error(`bandctl ${args[0]} exited ${out.code}: ${out.stderr}`);
  return out.stdout;
};

describe('approve through the Redis outbox', () => {
  const r = admin();
  const intents = uniqueStream('intents');
  const orders = uniqueStream('orders');
  afterAll(async () => {
    await r.del(intents, orders, `${intents}:idem:*`);
    const keys = await r.keys(`${intents}:idem:*`);
    if (keys.length) await r.del(...keys);
    r.disconnect();
  });

  it('queues the approval in SQLite and publishes it once', async () => {
    const { dir } = tempDir();
    const db = join(dir, 'book.db');
    const cfg = join(dir, 'risk_rules.yaml');
    writeFileSync(cfg, `streams:\n  redis_url: ${REDIS_URL}\n  intents_stream: ${intents}\n  orders_stream: ${orders}\n`);
    await run(['init', '--db', db, '--demo', '--no-history']);
    let created: { id: string }[] = [];
    for (const day of ['2024-01-08', '2024-01-09', '2024-01-10']) {
      created = JSON.parse(await run(['evaluate', '--db', db, '--config', cfg, '--as-of', `${day}T10:00:00-05:00`, '--json'])).intents;
    }
    expect(created.length).toBeGreaterThan(0);
    const id = created[0].id;
    await run(['approve', '--db', db, '--config', cfg, '--as-of', '2024-01-10T10:05:00-05:00', id]);
    await run(['approve', '--db', db, '--config', cfg, '--as-of', '2024-01-10T10:06:00-05:00', id]); // idempotent

    const raw = new Database(db, { readonly: true });
    const queued = raw.prepare('SELECT stream, idem_key, sent_at FROM stream_outbox').all();
    raw.close();
    expect(queued).toEqual([{ stream: intents, idem_key: id, sent_at: null }]);
    expect(await r.exists(intents)).toBe(0); // nothing leaves before a publisher runs

    await run(['consume', '--db', db, '--redis', REDIS_URL, '--stream', orders, '--config', cfg, '--until-idle', '300']);
    const entries = await r.xrange(intents, '-', '+');
    expect(entries).toHaveLength(1);
    const fields = Object.fromEntries(
      entries[0][1].reduce<string[][]>((acc, v, i, a) => (i % 2 ? acc : [...acc, [v, a[i + 1]]]), []),
    );
    expect(fields.idempotency_key).toBe(id);
    expect(fields.intent_id).toBe(id);

    // a second publisher run sends nothing again
    await run(['consume', '--db', db, '--redis', REDIS_URL, '--stream', orders, '--config', cfg, '--until-idle', '300']);
    expect(await r.xlen(intents)).toBe(1);
  });
});
