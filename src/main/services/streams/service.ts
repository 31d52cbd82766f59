// The console's Redis Streams bridge (issue 6), started when `streams.redis_url` is set: the ledger consumer on
// the orders stream, the outbox publisher and RedisBroker for approved orders, and the ticks source when
// `streams.ticks_stream` is set. One combined status for the header. Nothing here ever blocks the caller: every
// Redis call runs in background loops that reconnect with backoff; approvals wait in the SQLite outbox.
import type { StreamStatus } from '../../../shared/types';
import { deadStreamOf, type RiskConfig } from '../config/schema';
import type { TickRow } from '../prices/ticks';
import { LedgerConsumer } from '../ledger/consumer';
import { openDb, type Db } from '../store/db';
import { redactUrl } from './connection';
import { StreamConsumer, type ApplyCounts, type LedgerSink } from './consumer';
import { OutboxPublisher, outboxPending, outboxRetrying, RedisBroker } from './outbox';
import { databaseGroup, defaultConsumerName } from './positions';
import { RedisTickSource } from './ticks';
import { errorMessage } from '../../../shared/errors';

export type StreamsConfig = RiskConfig['streams'];

export interface StreamsServiceOptions {
  /** The connection approvals run on: RedisBroker writes the outbox in the approval's transaction. */
  db: Db;
  /**
   * The connection the ledger consumer commits on (default `db`). Give it its own connection to the same file (and
   * build `ledger` on it) so the console's PRAGMA data_version watcher sees its commits like any other writer's.
   */
  consumerDb?: Db;
  config: StreamsConfig;
  ledger: LedgerSink;
  /** Header status changes (Engine.setStreamStatus). */
  onStatus?: (s: StreamStatus) => void;
  /** After each committed batch of order events (refresh positions / reports / intents). */
  onApplied?: (r: ApplyCounts & { entries: number; lastId: string }) => void;
  onTicks?: (rows: TickRow[]) => void;
  log?: (line: string) => void;
  claimIdleMs?: number;
}

export { deadStreamOf };

const STREAMS_OFF: StreamStatus = { state: 'off', detail: 'no Redis configured: paper broker, local prices' };

export class StreamsService {
  readonly broker: RedisBroker | null = null;
  readonly prices: RedisTickSource | null = null;
  readonly consumer: StreamConsumer | null = null;
  readonly publisher: OutboxPublisher | null = null;
  readonly group: string | null = null;
  private readonly parts = new Map<string, StreamStatus>();
  private last: StreamStatus = STREAMS_OFF;

  constructor(private readonly o: StreamsServiceOptions) {
    const c = o.config;
    if (!c.redis_url) return;
    const url = c.redis_url;
    const cdb = o.consumerDb ?? o.db;
    this.group = c.group ?? databaseGroup(cdb);
    const track = (part: string) => (s: StreamStatus) => {
      this.parts.set(part, s);
      this.emit();
    };
    this.consumer = new StreamConsumer({
      db: cdb,
      ledger: o.ledger,
      url,
      stream: c.orders_stream,
      group: this.group,
      consumer: c.consumer ?? defaultConsumerName(),
      claimIdleMs: o.claimIdleMs,
      deadStream: deadStreamOf(c),
      maxAttempts: c.max_attempts,
      deadMaxlen: c.publish_maxlen,
      onStatus: track('orders'),
      onBatch: (r) => {
        o.onApplied?.(r);
        this.emit();
      },
      log: o.log,
    });
    this.publisher = new OutboxPublisher({
      db: o.db,
      url,
      maxlen: c.publish_maxlen,
      onStatus: track('intents'),
      onPublished: () => this.emit(),
      onFailed: () => this.emit(),
      log: o.log,
    });
    const pub = this.publisher;
    this.broker = new RedisBroker(o.db, c.intents_stream, () => {
      pub.kick();
      this.emit();
    });
    if (c.ticks_stream) {
      this.prices = new RedisTickSource({
        db: cdb,
        url,
        stream: c.ticks_stream,
        onStatus: track('ticks'),
        onTicks: o.onTicks,
        log: o.log,
      });
    }
  }

  get enabled(): boolean {
    return this.consumer !== null;
  }

  start(): void {
    if (!this.consumer) {
      this.o.onStatus?.(STREAMS_OFF);
      return;
    }
    void this.consumer.run().catch((e: unknown) => {
      this.parts.set('orders', { state: 'down', detail: `consumer stopped: ${errorMessage(e)}` });
      this.emit();
    });
    this.publisher?.start();
    this.prices?.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.consumer?.stop(), this.publisher?.stop(), this.prices?.stop()]);
  }

  status(): StreamStatus {
    return this.last;
  }

  private emit(): void {
    const c = this.o.config;
    if (!c.redis_url) return;
    const parts = [...this.parts.entries()];
    const down = parts.find(([, s]) => s.state === 'down');
    const connecting = parts.find(([, s]) => s.state === 'connecting');
    let pending = 0;
    let retrying: { rows: number; lastError: string | null } = { rows: 0, lastError: null };
    try {
      pending = outboxPending(this.o.db);
      if (pending > 0) retrying = outboxRetrying(this.o.db);
    } catch {
      /* a closed database during shutdown */
    }
    const failing = retrying.rows > 0 ? ` (${retrying.rows} failing, retried with backoff: ${retrying.lastError ?? 'unknown error'})` : '';
    const outbox = pending > 0 ? `; ${pending} approved order${pending === 1 ? '' : 's'} waiting in the outbox${failing}` : '';
    let next: StreamStatus;
    if (down) next = { state: 'down', detail: `${down[1].detail}${outbox}` };
    else if (connecting || parts.length === 0) next = { state: 'connecting', detail: `connecting to ${redactUrl(c.redis_url)}${outbox}` };
    else {
      const n = this.consumer?.counts.entries ?? 0;
      const dead = this.consumer?.counts.deadLettered ?? 0;
      const dl = dead > 0 ? `, ${dead} dead-lettered to ${this.consumer?.deadStream}` : '';
      next = {
        state: 'up',
        detail: `${redactUrl(c.redis_url)} ${c.orders_stream} (group ${this.group}, ${n} applied${dl})${outbox}`,
      };
    }
    if (next.state !== this.last.state || next.detail !== this.last.detail) {
      this.last = next;
      this.o.onStatus?.(next);
    }
  }
}

/** What the console needs from the bridge, ready to pass to `new Engine({ broker, prices })`. */
export interface ConsoleStreams {
  /** null when no Redis is configured. */
  service: StreamsService | null;
  /** RedisBroker when configured, else undefined (the engine's paper broker stays the default). */
  broker: RedisBroker | undefined;
  /** The Redis ticks source when `ticks_stream` is set, else undefined (keep the simulator). */
  prices: RedisTickSource | undefined;
  /** Shows the bridge's status in the engine's header status, then starts the loops. Call once, after new Engine. */
  start(engine: { setStreamStatus(s: StreamStatus): void }): void;
  stop(): Promise<void>;
}

/**
 * The bridge for the console (createServices): opens a second connection to `dbFile` for the ledger consumer and
 * the ticks (so the console's data_version watcher sees their commits like another writer's), builds the
 * LedgerConsumer on it with the account time zone, and wires the status into the Engine.
 */
export function openConsoleStreams(opts: {
  db: Db;
  dbFile: string;
  config: RiskConfig;
  /** Opens the second connection (default openDb; Electron passes its nativeBinding). */
  openDb?: (file: string) => Db;
  /** Default: the Daily Ledger's LedgerConsumer. */
  makeLedger?: (db: Db, timezone: string) => LedgerSink;
  log?: (line: string) => void;
}): ConsoleStreams {
  if (!opts.config.streams.redis_url) {
    return {
      service: null,
      broker: undefined,
      prices: undefined,
      start: (engine) => engine.setStreamStatus(STREAMS_OFF),
      stop: async () => {},
    };
  }
  const consumerDb = (opts.openDb ?? ((f: string) => openDb(f)))(opts.dbFile);
  const makeLedger = opts.makeLedger ?? ((db: Db, timezone: string) => new LedgerConsumer(db, { timezone }));
  let engine: { setStreamStatus(s: StreamStatus): void } | null = null;
  const service = new StreamsService({
    db: opts.db,
    consumerDb,
    config: opts.config.streams,
    ledger: makeLedger(consumerDb, opts.config.account.timezone),
    onStatus: (s) => engine?.setStreamStatus(s),
    log: opts.log,
  });
  return {
    service,
    broker: service.broker ?? undefined,
    prices: service.prices ?? undefined,
    start(e) {
      engine = e;
      e.setStreamStatus(service.status());
      service.start();
    },
    async stop() {
      await service.stop();
      consumerDb.close();
    },
  };
}
