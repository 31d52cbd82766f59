// Approved orders for an external execution service (issue 6): `RedisBroker.place` writes each order into the
// SQLite outbox inside the approval's own transaction (so an approval is never lost, whatever Redis is doing), and
// the `OutboxPublisher` publishes the outbox to the intents stream in the background with the intent id as
// idempotency key (publish.ts: the XADD runs only if `{<stream>}:idem:<intent id>` is not set yet, so a publish
// repeated after a crash or a lost reply never adds a second entry), trimmed with `MAXLEN ~` (issue 14). A Redis
// outage only delays publication. A row whose publish fails is retried with its own backoff (next_attempt_at) and
// never blocks the rows after it.
import type { Statement } from 'better-sqlite3';
import type { Redis } from 'ioredis';
import type { StreamStatus } from '../../../shared/types';
import { orderIdFor, type Broker, type CancelRequest, type OrderRequest } from '../execution/broker';
import type { Db } from '../store/db';
import { backoffMs, connectRedis } from './connection';
import { DEFAULT_PUBLISH_MAXLEN, idemKey, xaddOnce } from './publish';
import { errorMessage } from '../../../shared/errors';
import { now as clockNow, timerNow } from '../clock';

export { idemKey };

/** The fields of one published order (flat, all strings). */
function orderFields(o: OrderRequest, orderId: string, now: number): string[] {
  const f = [
    'idempotency_key', o.intentId,
    'intent_id', o.intentId,
    'order_id', orderId,
    'symbol', o.symbol,
    'classification', o.classification,
    'side', o.side,
    'qty', String(o.qty),
    'order_type', o.orderType,
  ];
  if (o.limitMicro !== null) f.push('limit_price', (o.limitMicro / 1e6).toFixed(2));
  f.push('approved_at', new Date(now).toISOString(), 'source', 'band-console');
  return f;
}

/** The engine's kill switch, as stored (app_state engine.halted: non-empty while HALTED). */
function isHalted(db: Db): boolean {
  const v = db.prepare("SELECT value FROM app_state WHERE key = 'engine.halted'").pluck().get() as string | undefined;
  return !!v;
}

export interface OutboxRow {
  id: number;
  stream: string;
  idem_key: string;
  payload: string;
  created_at: number;
  attempts: number;
  last_error: string | null;
  sent_at: number | null;
  entry_id: string | null;
  kind: 'order' | 'cancel';
  dropped_at: number | null;
  drop_reason: string | null;
  next_attempt_at: number | null;
}

/** Writes orders to the outbox; run it inside the caller's transaction. Returns how many were new. */
export function enqueueOrders(db: Db, stream: string, orders: readonly OrderRequest[], now: number): number {
  const ins = db.prepare(
    `INSERT INTO stream_outbox (stream, idem_key, payload, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (stream, idem_key) DO NOTHING`,
  );
  let n = 0;
  for (const o of orders) {
    const fields = orderFields(o, orderIdFor(o.intentId), now);
    n += ins.run(stream, o.intentId, JSON.stringify(fields), now).changes;
  }
  return n;
}

/** Cancel requests for orders already published (or queued): `action: cancel` entries on the intents stream. */
function enqueueCancels(db: Db, stream: string, orders: readonly CancelRequest[], now: number, reason: string): number {
  const ins = db.prepare(
    `INSERT INTO stream_outbox (stream, idem_key, payload, created_at, kind) VALUES (?, ?, ?, ?, 'cancel')
     ON CONFLICT (stream, idem_key) DO NOTHING`,
  );
  let n = 0;
  for (const o of orders) {
    const key = `cancel:${o.intentId}`;
    const fields = [
      'idempotency_key', key,
      'action', 'cancel',
      'intent_id', o.intentId,
      'order_id', o.orderId,
      'reason', reason,
      'canceled_at', new Date(now).toISOString(),
      'source', 'band-console',
    ];
    n += ins.run(stream, key, JSON.stringify(fields), now).changes;
  }
  return n;
}

export function outboxPending(db: Db): number {
  return db.prepare('SELECT COUNT(*) FROM stream_outbox WHERE sent_at IS NULL AND dropped_at IS NULL').pluck().get() as number;
}

/** Unsent rows whose last publish failed (each waits for its own next attempt), with the latest error. */
export function outboxRetrying(db: Db): { rows: number; lastError: string | null } {
  const r = db
    .prepare(
      `SELECT COUNT(*) AS n, (SELECT last_error FROM stream_outbox WHERE sent_at IS NULL AND dropped_at IS NULL
         AND next_attempt_at IS NOT NULL ORDER BY id DESC LIMIT 1) AS e
       FROM stream_outbox WHERE sent_at IS NULL AND dropped_at IS NULL AND next_attempt_at IS NOT NULL`,
    )
    .get() as { n: number; e: string | null };
  return { rows: r.n, lastError: r.e };
}

/** Orders queued but held back by the kill switch (HALTED): published on resume if still valid. */
export function outboxHeld(db: Db): number {
  return db
    .prepare("SELECT COUNT(*) FROM stream_outbox WHERE sent_at IS NULL AND dropped_at IS NULL AND kind = 'order'")
    .pluck()
    .get() as number;
}

/** The queued, unsent order rows (for the check on resume). */
export function queuedOrders(db: Db): { id: number; intent_id: string }[] {
  return db
    .prepare("SELECT id, idem_key AS intent_id FROM stream_outbox WHERE sent_at IS NULL AND dropped_at IS NULL AND kind = 'order' ORDER BY id")
    .all() as { id: number; intent_id: string }[];
}

/** Keeps an unsent row, with why, instead of publishing it. */
export function dropQueued(db: Db, id: number, reason: string, now: number): void {
  db.prepare('UPDATE stream_outbox SET dropped_at = ?, drop_reason = ? WHERE id = ? AND sent_at IS NULL').run(now, reason, id);
}

/** The Broker of the Redis bridge: orders go to the outbox (this transaction) and then to the intents stream. */
export class RedisBroker implements Broker {
  readonly name = 'redis';

  constructor(
    readonly db: Db,
    readonly stream: string,
    /** Called after place() (in a microtask, so after the caller's commit): wakes the publisher. */
    private readonly onEnqueued?: () => void,
  ) {}

  place(orders: readonly OrderRequest[], now: number): string[] {
    enqueueOrders(this.db, this.stream, orders, now);
    if (this.onEnqueued) queueMicrotask(this.onEnqueued);
    return orders.map((o) => orderIdFor(o.intentId));
  }

  cancel(orders: readonly CancelRequest[], now: number, opts: { reason: string; notify: boolean }): void {
    if (!opts.notify || orders.length === 0) return;
    // An order still queued (never published) is dropped rather than published and then canceled.
    const drop = this.db.prepare(
      "UPDATE stream_outbox SET dropped_at = ?, drop_reason = ? WHERE stream = ? AND idem_key = ? AND kind = 'order' AND sent_at IS NULL AND dropped_at IS NULL",
    );
    const published = orders.filter((o) => drop.run(now, opts.reason, this.stream, o.intentId).changes === 0);
    enqueueCancels(this.db, this.stream, published, now, opts.reason);
    if (this.onEnqueued) queueMicrotask(this.onEnqueued);
  }
}

export interface PublisherOptions {
  db: Db;
  url: string;
  /** Re-reads the outbox at least this often (default 1000 ms): rows written by another process get sent too. */
  pollMs?: number;
  batch?: number;
  /** `MAXLEN ~` on every stream the outbox publishes to (config streams.publish_maxlen; default 100,000). */
  maxlen?: number;
  /** A failed row is tried again after this delay, doubling per attempt (default 500 ms) up to retryMaxMs. */
  retryMinMs?: number;
  /** Longest wait between two attempts of one row (default 30,000 ms). */
  retryMaxMs?: number;
  onStatus?: (s: StreamStatus) => void;
  onPublished?: (rows: { idem_key: string; entry_id: string }[]) => void;
  /** After a row failed (it waits for its next attempt; later rows go on). */
  onFailed?: (row: { id: number; idem_key: string; attempts: number; error: string; next_attempt_at: number }) => void;
  log?: (line: string) => void;
}

export class OutboxPublisher {
  private redis: Redis | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private running: Promise<void> | null = null;
  published = 0;
  /** Failed publish attempts (each row retried with its own backoff). */
  failed = 0;

  /** flush()'s row updates, prepared on its first call. */
  private st: { mark: Statement; fail: Statement } | null = null;

  constructor(private readonly o: PublisherOptions) {}

  private statements(): { mark: Statement; fail: Statement } {
    if (!this.st) {
      const { db } = this.o;
      this.st = {
        mark: db.prepare(
          'UPDATE stream_outbox SET sent_at = ?, entry_id = ?, attempts = attempts + 1, next_attempt_at = NULL WHERE id = ?',
        ),
        fail: db.prepare(
          'UPDATE stream_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND sent_at IS NULL',
        ),
      };
    }
    return this.st;
  }

  start(): void {
    if (this.running) return;
    this.redis = connectRedis(this.o.url, { name: 'band:outbox', onStatus: (s) => !this.stopped && this.o.onStatus?.(s) });
    this.running = this.loop();
  }

  /** Publishes now instead of at the next poll (rows waiting for their next attempt still wait). */
  kick(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    this.redis?.disconnect();
    await this.running?.catch(() => {});
    this.running = null;
  }

  /**
   * Publishes every unsent row that is due once (used by the loop and by tests). Returns rows published. A row that
   * fails gets attempts + 1, its error and its next attempt time (backoff), and the rows after it are published
   * all the same: a failing row never blocks later ones.
   */
  async flush(): Promise<number> {
    const r = this.redis;
    if (!r) throw new Error('publisher not started');
    const { db } = this.o;
    const now = timerNow();
    // While HALTED no order is sent: order rows wait (held) and are checked again on resume; cancels still go out,
    // since they only take risk off.
    const halted = isHalted(db);
    const rows = db
      .prepare(
        `SELECT * FROM stream_outbox WHERE sent_at IS NULL AND dropped_at IS NULL ${halted ? "AND kind = 'cancel'" : ''}
           AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?`,
      )
      .all(now, this.o.batch ?? 200) as OutboxRow[];
    const done: { idem_key: string; entry_id: string }[] = [];
    const { mark, fail } = this.statements();
    const maxlen = this.o.maxlen ?? DEFAULT_PUBLISH_MAXLEN;
    for (const row of rows) {
      if (this.stopped) break;
      try {
        const fields = JSON.parse(row.payload) as string[];
        const id = await xaddOnce(r, row.stream, row.idem_key, fields, maxlen);
        mark.run(clockNow(), id, row.id);
        done.push({ idem_key: row.idem_key, entry_id: id });
      } catch (e) {
        if (this.stopped) break; // the connection was closed under the call: not the row's fault
        const attempts = row.attempts + 1;
        const error = errorMessage(e).slice(0, 500);
        const next = timerNow() + backoffMs(attempts, this.o.retryMinMs ?? 500, this.o.retryMaxMs ?? 30_000);
        fail.run(error, next, row.id);
        this.failed++;
        this.o.log?.(
          `outbox: ${row.kind} ${row.idem_key} to ${row.stream} failed (attempt ${attempts}): ${error}; next attempt in ${next - timerNow()} ms, later rows go on`,
        );
        this.o.onFailed?.({ id: row.id, idem_key: row.idem_key, attempts, error, next_attempt_at: next });
      }
    }
    this.published += done.length;
    if (done.length) this.o.onPublished?.(done);
    return done.length;
  }

  /** Epoch ms of the earliest row waiting for its next attempt, or null. */
  private nextDue(): number | null {
    return this.o.db
      .prepare('SELECT MIN(next_attempt_at) FROM stream_outbox WHERE sent_at IS NULL AND dropped_at IS NULL AND next_attempt_at IS NOT NULL')
      .pluck()
      .get() as number | null;
  }

  private async loop(): Promise<void> {
    let delay = 100;
    while (!this.stopped) {
      let n: number;
      let wait = this.o.pollMs ?? 1000;
      try {
        n = await this.flush();
        delay = 100;
        const due = this.nextDue();
        if (due !== null) wait = Math.max(10, Math.min(wait, due - timerNow()));
      } catch (e) {
        // the database (closed, busy) or the script itself: the whole flush waits, with backoff
        if (this.stopped) break;
        this.o.log?.(`outbox: ${errorMessage(e)}; retrying in ${delay} ms`);
        await new Promise((res) => setTimeout(res, delay));
        delay = Math.min(5000, delay * 2);
        continue;
      }
      if (n > 0) continue;
      await new Promise<void>((res) => {
        const t = setTimeout(res, wait);
        this.wake = () => {
          clearTimeout(t);
          res();
        };
      });
      this.wake = null;
    }
  }
}
