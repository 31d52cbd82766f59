// Shared bits of the streams tests: a real local Redis (a unique stream key per test, deleted after), event streams
// and their reference ledger, and a loopback TCP proxy whose connections can be cut (temp dirs, bandctl and waiting:
// tests/support).
import { randomUUID } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { CLASSIFICATIONS, sideOf } from '../../src/shared/domain';
import { LedgerConsumer } from '../../src/main/services/ledger/consumer';
import { reportCsv, reportJson } from '../../src/main/services/reports';
import { openDb, type Db } from '../../src/main/services/store/db';
import { mulberry32 } from '../../src/main/services/prices/simulator';

export const REDIS_URL = process.env.BAND_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TZ = 'America/New_York';

export function uniqueStream(tag: string): string {
  return `test:band:${tag}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export function admin(url = REDIS_URL): Redis {
  return new Redis(url, { protocol: 2, lazyConnect: false, maxRetriesPerRequest: 3 });
}



const DATES = ['2024-01-15', '2024-01-16'];

/**
 * n order events over two trading days: fills of 6 symbols in every classification (positions grow, shrink and
 * cross zero, so realized PnL depends on the order of application), with a NEW and an ACK now and then.
 */
export function makeEvents(n: number, seed = 7, prefix = 'e'): Record<string, unknown>[] {
  const rand = mulberry32(seed); // seeded: every run sees the same events
  const syms = ['AAPL', 'MSFT', 'NVDA', 'BRK.B', 'TSLA', 'SPY'];
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const day = i < n / 2 ? 0 : 1;
    const ms = Date.UTC(2024, 0, 15 + day, 14, 30) + i * 1000;
    const cls = CLASSIFICATIONS[Math.floor(rand() * CLASSIFICATIONS.length)];
    const symbol = syms[Math.floor(rand() * syms.length)];
    const type = rand() < 0.08 ? (rand() < 0.5 ? 'NEW' : 'ACK') : rand() < 0.3 ? 'PARTIAL_FILL' : 'FILL';
    const ev: Record<string, unknown> = {
      event_id: `${prefix}-${i}`,
      order_id: `o-${Math.floor(i / 3)}`,
      ts: new Date(ms).toISOString(),
      symbol,
      classification: cls,
      side: sideOf(cls),
      event_type: type,
    };
    if (i % 5 === 0) ev.intent_id = `i-${i}`;
    if (type === 'FILL' || type === 'PARTIAL_FILL') {
      ev.fill_qty = 1 + Math.floor(rand() * 300);
      ev.fill_price = Math.round((50 + rand() * 150) * 100) / 100;
    }
    out.push(ev);
  }
  return out;
}

/** Stream fields for an event: one JSON field `event`, or flat fields (every third entry), both accepted. */
export function fieldsOf(ev: Record<string, unknown>, i: number): string[] {
  if (i % 3 === 2) {
    const f: string[] = [];
    for (const [k, v] of Object.entries(ev)) f.push(k, String(v));
    return f;
  }
  return ['event', JSON.stringify(ev)];
}

export async function xaddAll(r: Redis, stream: string, entries: string[][]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < entries.length; i += 500) {
    const p = r.pipeline();
    for (const f of entries.slice(i, i + 500)) p.xadd(stream, '*', ...f);
    const res = await p.exec();
    for (const [err, id] of res ?? []) {
      if (err) throw err;
      ids.push(String(id));
    }
  }
  return ids;
}

export interface Snapshot {
  reports: Record<string, { json: unknown; csv: string }>;
  positions: unknown[];
  fills: number;
  orderEvents: number;
  quarantine: number;
}

export function snapshot(db: Db): Snapshot {
  const reports: Snapshot['reports'] = {};
  for (const d of DATES) reports[d] = { json: reportJson(db, d), csv: reportCsv(db, d) };
  return {
    reports,
    positions: db.prepare('SELECT bucket, symbol, qty, cost_micro, realized_micro FROM positions ORDER BY 1, 2').all(),
    fills: db.prepare('SELECT COUNT(*) FROM fills').pluck().get() as number,
    orderEvents: db.prepare('SELECT COUNT(*) FROM order_events').pluck().get() as number,
    quarantine: db.prepare('SELECT COUNT(*) FROM ledger_quarantine').pluck().get() as number,
  };
}

/** The reference: the same events applied in order, once, straight through the ledger (no Redis). */
export function reference(events: Record<string, unknown>[], dir: string): Snapshot {
  const db = openDb(join(dir, `reference-${randomUUID().slice(0, 6)}.db`));
  try {
    const ledger = new LedgerConsumer(db, { timezone: TZ });
    for (let i = 0; i < events.length; i += 1000) {
      ledger.applyBatch(events.slice(i, i + 1000).map((e) => JSON.stringify(e)), 'reference');
    }
    return snapshot(db);
  } finally {
    db.close();
  }
}

export function fillCount(events: Record<string, unknown>[]): number {
  return events.filter((e) => e.event_type === 'FILL' || e.event_type === 'PARTIAL_FILL').length;
}

/** A loopback TCP proxy to Redis whose connections can be cut (and refused) while the shared server runs on. */
export class CutProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  connections = 0;

  constructor(private readonly target = new URL(REDIS_URL)) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((client) => {
      this.connections++;
      const upstream = createConnection({ host: this.target.hostname, port: Number(this.target.port || 6379) });
      this.sockets.add(client);
      this.sockets.add(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', end);
      upstream.on('error', end);
      client.on('close', end);
      upstream.on('close', end);
    });
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(this.port, '127.0.0.1', () => res());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Cuts every connection and refuses new ones until start(). */
  async cut(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    if (s) await new Promise<void>((res) => s.close(() => res()));
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}

/** The event_id of a decoded stream event (JSON text or flat object), if it has one. */
function eventIdOf(e: string | Record<string, unknown>): unknown {
  if (typeof e !== 'string') return e.event_id;
  try {
    return (JSON.parse(e) as Record<string, unknown>).event_id;
  } catch {
    return undefined;
  }
}

/**
 * A ledger whose apply throws for the batches that hold a poison event (by event_id), as a bug or a value the
 * database refuses would: the transaction rolls back. `aloneAttempts` counts the applies of a poison event alone.
 */
export class PoisonLedger {
  readonly aloneAttempts = new Map<string, number>();
  calls = 0;

  constructor(
    private readonly inner: { applyBatch(events: Array<string | Record<string, unknown>>, source: string, inTx?: () => void): { accepted: number; duplicates: number; rejected: number } },
    private readonly poison: (eventId: string) => boolean,
  ) {}

  applyBatch(events: Array<string | Record<string, unknown>>, source: string, inTx?: () => void) {
    this.calls++;
    for (const e of events) {
      const id = eventIdOf(e);
      if (typeof id === 'string' && this.poison(id)) {
        if (events.length === 1) this.aloneAttempts.set(id, (this.aloneAttempts.get(id) ?? 0) + 1);
        throw new TypeError(`cannot apply ${id}: simulated bug`);
      }
    }
    return this.inner.applyBatch(events, source, inTx);
  }
}

/** Stream fields [k1, v1, ...] as an object. */
export function fieldsObject(f: readonly string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < f.length; i += 2) o[f[i]] = f[i + 1];
  return o;
}
