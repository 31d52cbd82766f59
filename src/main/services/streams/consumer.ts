// The ledger as a member of a Redis Streams consumer group on `ev.orders` (issue 6; faults: issue 14).
//
// Delivery: XREADGROUP '>' hands each entry to one consumer of the group; XAUTOCLAIM takes over the entries of a
// consumer that stopped acknowledging (crashed) once they have been idle `claimIdleMs`; after a reconnect the
// consumer re-reads its own pending list, so a reply lost with the connection loses nothing.
//
// Effectively exactly-once, in stream order: this database's position in the stream (stream_positions.last_id) is
// written in the same SQLite transaction as the entries it covers, and entries are applied strictly in stream order
// (average cost and realized PnL depend on the order of fills). A consumer applies the entries it holds once every
// earlier entry is applied; an earlier entry held by a live consumer is waited for, one held by a consumer idle past
// `claimIdleMs` is claimed, one pending for nobody (acknowledged by a consumer of another database sharing the
// group) is read with XRANGE and applied here. The position check and the apply run in one IMMEDIATE transaction,
// so two consumers of one database never apply the same entry. The commit is durable before XACK follows it (the
// consumer's connection runs with synchronous = FULL). Bad entries are quarantined by the ledger and acknowledged
// like the rest.
//
// Faults (issue 14):
// - An apply that throws (not the database itself failing: SQLITE_BUSY, _FULL, _IOERR... are retried without
//   counting) is narrowed down by halving the batch until the one entry that fails is applied alone. That entry is
//   tried again with backoff, up to `maxAttempts` applies; then it goes to the dead-letter stream (its fields, the
//   reason, the attempt count), is listed in the ledger's quarantine (source `redis:<stream> <entry id>`), the
//   position moves past it in the same transaction, and it is acknowledged. The entries after it then apply.
// - An entry at or before the position is a redelivery, acknowledged without applying, only if this database has
//   its event (event_id booked, or the same text quarantined). Otherwise the stream was reset (Redis lost its data,
//   or the stream was recreated with lower ids): the consumer stops with a StreamResetError and acknowledges
//   nothing. So does a missing consumer group while this database holds a position in the stream. `acceptReset`
//   (bandctl consume --accept-reset) forgets the position and reads the stream again from its start.
// - Creating the consumer group is retried with backoff (a Redis still loading, a replica, missing permissions).
//
// The parts: consumer-core.ts (options, counters, errors, the state the parts share), consumer-group.ts (the
// consumer group: create, check for a reset, leave), consumer-reads.ts (the entries held: read, claimed),
// consumer-apply.ts (applying them in order, retries, the dead letter).
import { connectRedis, redactUrl } from './connection';
import { StreamApplier } from './consumer-apply';
import { ConsumerCore, FatalStreamError, type ConsumerCounts, type ResolvedConsumerOptions, type StreamConsumerOptions } from './consumer-core';
import { ConsumerGroup } from './consumer-group';
import { HeldEntries } from './consumer-reads';
import { positionKey } from './positions';
import { DEFAULT_PUBLISH_MAXLEN } from './publish';
import { errorMessage } from '../../../shared/errors';
import { deadStreamOf } from '../config/schema';
import { timerNow } from '../clock';

export {
  FatalStreamError,
  StreamResetError,
  type ApplyCounts,
  type ConsumerCounts,
  type LedgerSink,
  type StreamConsumerOptions,
} from './consumer-core';
export { entryText } from './consumer-apply';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function isNoGroup(e: unknown): boolean {
  return /NOGROUP/.test(errorMessage(e));
}

export class StreamConsumer {
  readonly counts: ConsumerCounts;
  /** This database's position row for the stream on this server. */
  readonly posKey: string;
  readonly deadStream: string;
  private readonly o: ResolvedConsumerOptions;
  private readonly core: ConsumerCore;
  private readonly held: HeldEntries;
  private readonly group: ConsumerGroup;
  private readonly applier: StreamApplier;
  private needOwnPending = true;
  private nextClaimAt = 0;
  private running: Promise<void> | null = null;

  constructor(opts: StreamConsumerOptions) {
    const claimIdleMs = opts.claimIdleMs ?? 10_000;
    this.o = {
      count: 500,
      blockMs: 1000,
      claimEveryMs: Math.max(50, Math.min(Math.floor(claimIdleMs / 2), 5000)),
      maxAttempts: 5,
      deadMaxlen: DEFAULT_PUBLISH_MAXLEN,
      retryMinMs: 100,
      retryMaxMs: 5000,
      maxDeadInARow: 10,
      ...opts,
      claimIdleMs,
    };
    if (!(this.o.count >= 1)) throw new RangeError('count must be >= 1');
    if (!(Number.isInteger(this.o.maxAttempts) && this.o.maxAttempts >= 1)) throw new RangeError('maxAttempts must be >= 1');
    this.posKey = positionKey(opts.url, opts.stream);
    this.deadStream = deadStreamOf({ dead_stream: opts.deadStream ?? null, orders_stream: opts.stream });
    if (this.deadStream === opts.stream) throw new RangeError(`the dead-letter stream must differ from ${opts.stream}`);
    this.core = new ConsumerCore(this.o, this.posKey);
    this.counts = this.core.counts;
    this.held = new HeldEntries(this.core);
    this.group = new ConsumerGroup(this.core);
    this.applier = new StreamApplier(this.core, this.held, this.group, this.deadStream);
  }

  /** Runs until stop(), or until nothing new arrived for `untilIdleMs` with nothing left to apply. */
  run(untilIdleMs?: number): Promise<void> {
    if (this.running) return this.running;
    this.running = this.loop(untilIdleMs).finally(() => {
      this.core.stopped = true;
      this.core.redis?.disconnect();
      this.core.redis = null;
    });
    return this.running;
  }

  /**
   * Stops the loop and resolves when it has ended: the current blocking read may finish first (at most blockMs);
   * a connection that is down is cut.
   */
  async stop(): Promise<void> {
    this.core.stopped = true;
    this.core.wake();
    if (!this.running) return;
    const ended = await Promise.race([
      this.running.then(() => true, () => true),
      sleep(this.o.blockMs + 500).then(() => false),
    ]);
    if (!ended) this.core.redis?.disconnect();
    await this.running.catch(() => {});
  }

  /** See ConsumerGroup.ensure(): creates or checks the consumer group (run() does it). */
  ensureGroup(): Promise<void> {
    return this.group.ensure();
  }

  private async loop(untilIdleMs?: number): Promise<void> {
    // The commit that precedes an XACK must survive a power loss: with WAL and synchronous = NORMAL the last commits
    // can be lost after Redis has forgotten the entries. FULL syncs the WAL at every commit of this connection.
    this.o.db.pragma('synchronous = FULL');
    const r = connectRedis(this.o.url, {
      name: `band:consume:${this.o.consumer}`,
      onStatus: (s) => {
        if (s.state === 'down') this.needOwnPending = true;
        if (!this.core.stopped) this.o.onStatus?.(s);
      },
    });
    this.core.redis = r;
    let lastActivity = timerNow();
    let errorDelay = 100;
    let failing = false;
    let waits = 0;
    await this.group.ensureRetrying();
    while (!this.core.stopped) {
      try {
        let got = 0;
        if (this.needOwnPending) {
          this.needOwnPending = false;
          got += await this.held.readOwnPending();
        }
        if (timerNow() >= this.nextClaimAt) {
          got += await this.held.autoClaim();
          this.nextClaimAt = timerNow() + this.o.claimEveryMs;
        }
        if (this.held.size < this.o.count * 4) {
          const waiting = this.held.size > 0;
          let block = this.o.blockMs;
          if (untilIdleMs !== undefined) block = Math.min(block, Math.max(1, untilIdleMs - (timerNow() - lastActivity)));
          block = Math.min(block, Math.max(1, this.nextClaimAt - timerNow()));
          got += await this.held.readNew(waiting ? 0 : block);
        }
        const applied = await this.applier.applyReady();
        errorDelay = 100;
        if (failing) {
          failing = false;
          this.o.onStatus?.({ state: 'up', detail: `${redactUrl(this.o.url)} ${this.o.stream}` });
        }
        if (got > 0 || applied > 0) lastActivity = timerNow();
        else if (
          untilIdleMs !== undefined &&
          this.held.size === 0 &&
          timerNow() - lastActivity >= untilIdleMs
        ) {
          break;
        }
        if (applied === 0 && this.held.size > 0) {
          // waiting for earlier entries another consumer holds: poll gently (25 ms, growing to 250 ms)
          waits++;
          await this.core.pause(Math.min(250, 25 * waits));
        } else {
          waits = 0;
        }
      } catch (e) {
        if (e instanceof FatalStreamError) throw e;
        if (this.core.stopped) break;
        if (isNoGroup(e)) {
          // With a position stored this is a reset (ensureGroup throws); a database that has applied nothing yet
          // creates the group again.
          this.core.log(`stream ${this.o.stream}: group ${this.o.group} missing (stream deleted?)`);
          this.held.clear();
          this.applier.forgetFailures();
          await this.group.ensureRetrying();
          this.needOwnPending = true;
          continue;
        }
        this.core.log(`stream ${this.o.stream}: ${errorMessage(e)}; retrying in ${errorDelay} ms`);
        failing = true;
        this.o.onStatus?.({ state: 'down', detail: `${this.o.stream}: ${errorMessage(e)}` });
        await this.core.pause(errorDelay);
        errorDelay = Math.min(5000, errorDelay * 2);
      }
    }
    await this.group.leave(this.core.redis, this.held.size);
  }
}
