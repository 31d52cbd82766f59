// The Redis fault soak (issue 14): the ledger's consumer group member on a redis-server of its own (random loopback
// port, AOF with fsync at every write), fed in rounds by a producer while faults strike:
//   restart  kill -9 while the consumer is busy, then start again on the same data (AOF): nothing may be lost
//   poison   entries whose apply throws (a seeded few): each must land in the dead-letter stream and the quarantine,
//            once, while the rest of the stream applies in order
//   trim     XTRIM MINID at the consumer's position (only applied entries go)
//   flush    once the consumer has caught up, FLUSHALL: the consumer must stop with a StreamResetError (nothing
//            acknowledged); it is started again with acceptReset and reads the new stream from its start
// At the end: every event that is not poison is booked exactly once and the book equals a reference that applied
// them in order without Redis; every poison event is dead-lettered once; lost (events neither booked nor
// dead-lettered) must be 0.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { LedgerConsumer } from '../src/main/services/ledger/consumer';
import { openDb } from '../src/main/services/store/db';
import { StreamConsumer, StreamResetError } from '../src/main/services/streams/consumer';
import { databaseGroup, positionKey, readPosition } from '../src/main/services/streams/positions';
import { fieldsOf, makeEvents, PoisonLedger, reference, snapshot, xaddAll } from '../tests/streams/helpers';
import { REDIS_SERVER_MISSING, redisServerBinary, RedisServer } from '../tests/streams/redis-server';
import { Rng } from './rng';

export interface RedisSoakReport {
  counts: Record<string, number | string>;
  violations: string[];
  notes: string[];
}

const TZ = 'America/New_York';
const STREAM = 'ev.orders';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await cond()) return true;
    await sleep(25);
  }
  return false;
}

export async function runRedisSoak(opts: {
  dir: string;
  events: number;
  seed: number;
  maxAttempts?: number;
  log: (s: string) => void;
}): Promise<RedisSoakReport> {
  const violations: string[] = [];
  const notes: string[] = [];
  if (redisServerBinary() === null) {
    return { counts: { skipped: 'no redis-server' }, violations: [], notes: [REDIS_SERVER_MISSING] };
  }
  mkdirSync(opts.dir, { recursive: true });
  const rng = new Rng(opts.seed ^ 0x5eed);
  const n = opts.events;
  const events = makeEvents(n, opts.seed, 's');
  const poisonCount = Math.max(3, Math.round(n / 1000));
  const poison = new Set<string>();
  while (poison.size < poisonCount) poison.add(String(events[rng.int(0, n - 1)].event_id));
  const maxAttempts = opts.maxAttempts ?? 3;

  const srv = new RedisServer();
  await srv.start();
  const r: Redis = srv.client();
  const db = openDb(join(opts.dir, 'redis-soak.db'));
  const group = databaseGroup(db);
  const key = positionKey(srv.url, STREAM);
  const ledger = new PoisonLedger(new LedgerConsumer(db, { timezone: TZ }), (id) => poison.has(id));
  const totals = { redelivered: 0, claimed: 0, failedAttempts: 0, deadLettered: 0 };
  let resetsDetected = 0;
  let otherErrors = 0;
  let deadInRedis = 0; // dead-letter entries counted before each FLUSHALL, plus those there at the end

  let consumer: StreamConsumer;
  let running: Promise<void>;
  let stoppedBy: unknown = null;
  const startConsumer = (acceptReset: boolean) => {
    consumer = new StreamConsumer({
      db,
      ledger,
      url: srv.url,
      stream: STREAM,
      group,
      consumer: `soak-${srv.starts}-${resetsDetected}`,
      count: 200,
      blockMs: 200,
      claimIdleMs: 2000,
      maxAttempts,
      retryMinMs: 20,
      retryMaxMs: 200,
      acceptReset,
    });
    stoppedBy = null;
    running = consumer.run().catch((e: unknown) => {
      stoppedBy = e;
    });
  };
  const collect = () => {
    totals.redelivered += consumer.counts.redelivered;
    totals.claimed += consumer.counts.claimed;
    totals.failedAttempts += consumer.counts.failedAttempts;
    totals.deadLettered += consumer.counts.deadLettered;
  };

  let lastProduced = '';
  const caughtUp = async () => {
    if (readPosition(db, key).lastId !== lastProduced) return false;
    const p = (await r.call('XPENDING', [STREAM, group])) as [number, ...unknown[]];
    return Number(p[0]) === 0;
  };

  const faults = { restarts: 0, restarts_while_behind: 0, trims: 0, trimmed_entries: 0, flushes: 0 };
  const t0 = Date.now();
  try {
    startConsumer(false);
    const round = 500;
    for (let i = 0, k = 1; i < n; i += round, k++) {
      const ids = await xaddAll(r, STREAM, events.slice(i, i + round).map((e, j) => fieldsOf(e, i + j)));
      lastProduced = ids[ids.length - 1];
      const fault = k % 8 === 2 || k % 8 === 0 ? 'restart' : k % 8 === 4 ? 'trim' : k % 8 === 6 ? 'flush' : null;
      if (fault === 'restart') {
        await sleep(rng.int(0, 15)); // somewhere in the middle of the round's batches
        if (readPosition(db, key).lastId !== lastProduced) faults.restarts_while_behind++;
        await srv.restart();
        faults.restarts++;
      } else if (fault === 'trim') {
        await waitFor(() => readPosition(db, key).lastId !== null, 10_000);
        const at = readPosition(db, key).lastId;
        if (at) {
          faults.trimmed_entries += Number(await r.call('XTRIM', [STREAM, 'MINID', at]));
          faults.trims++;
        }
      } else if (fault === 'flush') {
        if (!(await waitFor(caughtUp, 60_000))) {
          violations.push(`round ${k}: the consumer did not catch up within 60 s before the flush`);
          break;
        }
        deadInRedis += await r.xlen(`${STREAM}.dead`);
        await r.flushall();
        faults.flushes++;
        // the consumer must stop with a reset, acknowledging nothing; then the reset is accepted
        if (!(await waitFor(() => stoppedBy !== null, 15_000))) {
          violations.push(`round ${k}: FLUSHALL did not stop the consumer within 15 s`);
          break;
        }
        await running!;
        collect();
        if (stoppedBy instanceof StreamResetError) resetsDetected++;
        else {
          otherErrors++;
          violations.push(`round ${k}: the consumer stopped with ${String((stoppedBy as Error)?.message ?? stoppedBy)}`);
        }
        startConsumer(true);
      }
      if (stoppedBy !== null) {
        otherErrors++;
        violations.push(`round ${k}: the consumer stopped: ${String((stoppedBy as Error)?.message ?? stoppedBy)}`);
        break;
      }
    }
    if (!(await waitFor(caughtUp, 60_000))) violations.push('the consumer did not catch up within 60 s at the end');
    await consumer!.stop();
    await running!;
    collect();
    deadInRedis += await r.xlen(`${STREAM}.dead`);
  } finally {
    r.disconnect();
    await srv.destroy();
  }

  // What the ledger holds against what was produced.
  const booked = new Set(
    db.prepare('SELECT event_id FROM fills UNION ALL SELECT event_id FROM order_events').pluck().all() as string[],
  );
  const bookedRows = (db.prepare('SELECT (SELECT COUNT(*) FROM fills) + (SELECT COUNT(*) FROM order_events)').pluck().get() as number);
  const deadRows = db
    .prepare("SELECT raw FROM ledger_quarantine WHERE source LIKE 'redis:%' AND reason LIKE 'dead-lettered to %'")
    .pluck()
    .all() as string[];
  const deadIds = deadRows.map((raw) => {
    try {
      return String((JSON.parse(raw) as Record<string, unknown>).event_id);
    } catch {
      return raw;
    }
  });
  const good = events.filter((e) => !poison.has(String(e.event_id)));
  const missing = good.filter((e) => !booked.has(String(e.event_id)));
  const deadMissing = [...poison].filter((id) => !deadIds.includes(id));
  const lost = missing.length + deadMissing.length;
  if (lost > 0) {
    violations.push(
      `lost ${lost}: ${missing.length} events never booked (${missing.slice(0, 5).map((e) => e.event_id).join(', ')}), ` +
        `${deadMissing.length} poison events never dead-lettered (${deadMissing.slice(0, 5).join(', ')})`,
    );
  }
  if (bookedRows !== booked.size) violations.push(`${bookedRows - booked.size} events booked twice`);
  if ([...poison].some((id) => booked.has(id))) violations.push('a poison event was booked');
  if (deadIds.length !== poison.size) violations.push(`${deadIds.length} dead letters in the quarantine for ${poison.size} poison events`);
  if (deadInRedis !== poison.size) violations.push(`${deadInRedis} entries in the dead-letter stream for ${poison.size} poison events`);
  if (resetsDetected !== faults.flushes) violations.push(`${faults.flushes} flushes but ${resetsDetected} resets detected`);
  for (const id of poison) {
    const a = ledger.aloneAttempts.get(id) ?? 0;
    if (a < maxAttempts) violations.push(`poison ${id} dead-lettered after ${a} attempts (max_attempts ${maxAttempts})`);
  }
  const got = snapshot(db);
  const ref = reference(good, opts.dir);
  if (JSON.stringify({ ...got, quarantine: 0 }) !== JSON.stringify(ref)) {
    violations.push('the book differs from the reference (the good events applied once, in order, without Redis)');
  }
  db.close();
  notes.push(
    `${faults.restarts} kill -9 restarts on the AOF (${faults.restarts_while_behind} with entries still to apply), ${faults.trims} trims (${faults.trimmed_entries} applied entries trimmed), ` +
      `${faults.flushes} FLUSHALLs, each stopped the consumer with a reset until accepted`,
  );
  return {
    counts: {
      events: n,
      poison: poison.size,
      applied: booked.size,
      dead_lettered: deadIds.length,
      lost,
      restarts: faults.restarts,
      restarts_while_behind: faults.restarts_while_behind,
      trims: faults.trims,
      flushes: faults.flushes,
      resets_detected: resetsDetected,
      redelivered: totals.redelivered,
      failed_attempts: totals.failedAttempts,
      other_stops: otherErrors,
      seconds: ((Date.now() - t0) / 1000).toFixed(1),
    },
    violations,
    notes,
  };
}
