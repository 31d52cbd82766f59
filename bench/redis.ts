// The redis section of npm run bench (docs/spec.md §13): redis_consume_events_per_s — 200,000 order events read from a
// local Redis stream by the ledger's consumer group member (XREADGROUP, one SQLite transaction per batch with the
// stream position, XACK after commit) — beside the file ingest rate (`bandctl ingest` of the same events as JSONL)
// measured in the same run. REDIS_URL (default redis://127.0.0.1:6379) picks the server; the stream key is unique
// and deleted afterwards.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { commands as ledgerCommands } from '../src/main/cli/commands/ledger';
import { CLASSIFICATIONS, sideOf } from '../src/shared/domain';
import { LedgerConsumer } from '../src/main/services/ledger/consumer';
import { openDb } from '../src/main/services/store/db';
import { StreamConsumer } from '../src/main/services/streams/consumer';
import { databaseGroup } from '../src/main/services/streams/positions';
import { fmt, type BenchSection } from './lib';

const TZ = 'America/New_York';

function events(n: number): string[] {
  const syms = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOG', 'META', 'TSLA', 'SPY', 'QQQ', 'IWM'];
  const out: string[] = [];
  const t0 = Date.UTC(2024, 0, 15, 14, 30);
  for (let i = 0; i < n; i++) {
    const cls = CLASSIFICATIONS[i % CLASSIFICATIONS.length];
    out.push(
      JSON.stringify({
        event_id: `b-${i}`,
        order_id: `o-${i >> 1}`,
        ts: new Date(t0 + i * 50).toISOString(),
        symbol: syms[(i * 7) % syms.length],
        classification: cls,
        side: sideOf(cls),
        event_type: 'FILL',
        fill_qty: 1 + (i % 97),
        fill_price: 100 + ((i * 13) % 5000) / 100,
      }),
    );
  }
  return out;
}

export const section: BenchSection = {
  name: 'redis',
  async run({ quick, tmpDir, log }) {
    const n = quick ? 20_000 : 200_000;
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const raws = events(n);

    // Baseline: the file ingest of the same events (the real `bandctl ingest` command, in process).
    const jsonl = join(tmpDir, 'events.jsonl');
    writeFileSync(jsonl, `${raws.join('\n')}\n`);
    const ingest = ledgerCommands.find((c) => c.name === 'ingest');
    if (!ingest) throw new Error('the ledger has no ingest command yet');
    let out = '';
    const t0 = performance.now();
    const code = await ingest.run({
      values: { db: join(tmpDir, 'file.db') },
      positionals: [jsonl],
      io: { out: (t) => void (out += t), err: () => {}, stdin: process.stdin },
    });
    const fileMs = performance.now() - t0;
    if ((code ?? 0) !== 0 || JSON.parse(out).accepted !== n) throw new Error(`ingest failed: ${out}`);
    const filePerS = n / (fileMs / 1000);
    log(`  file ingest: ${fmt(n)} events in ${fmt(fileMs)} ms`);

    // Redis: produce (pipelined XADD, one JSON field per entry), then consume into a fresh database.
    const stream = `bench:band:orders:${randomUUID().slice(0, 8)}`;
    const r = new Redis(url, { protocol: 2, maxRetriesPerRequest: 3 });
    try {
      const tp = performance.now();
      for (let i = 0; i < n; i += 2000) {
        const p = r.pipeline();
        for (const raw of raws.slice(i, i + 2000)) p.xadd(stream, '*', 'event', raw);
        await p.exec();
      }
      const produceMs = performance.now() - tp;
      log(`  produced ${fmt(n)} entries in ${fmt(produceMs)} ms`);

      const db = openDb(join(tmpDir, 'redis.db'));
      db.pragma('wal_autocheckpoint = 20000');
      let lastBatchAt = 0;
      const tc = performance.now();
      const c = new StreamConsumer({
        db,
        ledger: new LedgerConsumer(db, { timezone: TZ }),
        url,
        stream,
        group: databaseGroup(db),
        consumer: 'bench',
        count: 2000,
        blockMs: 100,
        onBatch: () => (lastBatchAt = performance.now()),
      });
      await c.run(300);
      const consumeMs = lastBatchAt - tc;
      db.close();
      if (c.counts.accepted !== n) throw new Error(`redis consume applied ${c.counts.accepted} of ${n}`);
      const redisPerS = n / (consumeMs / 1000);
      log(`  redis consume: ${fmt(n)} entries in ${fmt(consumeMs)} ms`);
      return {
        figures: { redis_consume_events_per_s: Math.round(redisPerS) },
        rows: [
          ['redis_consume_events_per_s', fmt(redisPerS), `${fmt(n)} stream entries, XREADGROUP 2,000/batch, XACK after commit`],
          ['  file ingest (same run)', fmt(filePerS), `bandctl ingest of the same ${fmt(n)} events as JSONL`],
          ['  redis / file', fmt(redisPerS / filePerS, 2), 'ratio'],
          ['  redis produce (XADD)', fmt(n / (produceMs / 1000)), 'pipelined, 2,000 per round trip'],
        ],
      };
    } finally {
      await r.del(stream);
      r.disconnect();
    }
  },
};
