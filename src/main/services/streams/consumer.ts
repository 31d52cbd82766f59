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
import type { Redis } from 'ioredis';
import type { StreamStatus } from '../../../shared/types';
import type { Statement } from 'better-sqlite3';
import { hash53 } from '../ledger/hash';
import { safeStringify } from '../ledger/consumer';
import type { Db } from '../store/db';
import { backoffMs, connectRedis, redactUrl } from './connection';
import { decodeEntry, type DecodedEntry } from './entry';
import { compareIds } from './ids';
import { positionKey, readPosition, resetPosition, writePosition } from './positions';
import { DEFAULT_PUBLISH_MAXLEN, xaddOnce } from './publish';

export interface ApplyCounts {
  accepted: number;
  duplicates: number;
  rejected: number;
}

/** What the consumer needs of the ledger (LedgerConsumer satisfies it). */
export interface LedgerSink {
  applyBatch(events: Array<string | Record<string, unknown>>, source: string, inTx?: () => void): ApplyCounts;
}

export interface StreamConsumerOptions {
  db: Db;
  ledger: LedgerSink;
  /** redis://host:port[/db]; the consumer opens (and closes) its own connection. */
  url: string;
  stream: string;
  group: string;
  consumer: string;
  /** Entries per XREADGROUP and per transaction (default 500). */
  count?: number;
  /** XREADGROUP BLOCK in ms (default 1000). */
  blockMs?: number;
  /**
   * Pending entries idle this long belong to a dead consumer and are claimed (default 10000). Taking over from a
   * live but slow consumer is harmless: the position check stops a second apply.
   */
  claimIdleMs?: number;
  /** How often to run XAUTOCLAIM (default min(claimIdleMs / 2, 5000)). */
  claimEveryMs?: number;
  /** Where an entry goes once its apply failed maxAttempts times (default `<stream>.dead`). */
  deadStream?: string;
  /** Applies of one entry (alone) that may fail before it is dead-lettered (default 5). */
  maxAttempts?: number;
  /** `MAXLEN ~` on the dead-letter stream (default 100,000). */
  deadMaxlen?: number;
  /** First wait before an entry whose apply failed is tried again (default 100 ms), doubling up to retryMaxMs. */
  retryMinMs?: number;
  /** Longest wait between two attempts of one entry (default 5000 ms). */
  retryMaxMs?: number;
  /**
   * This many entries dead-lettered in a row (none applied between them) stop the consumer instead of a further
   * dead letter: the ledger, not the entries, is then likely at fault (default 10).
   */
  maxDeadInARow?: number;
  /** Forget this database's position in the stream and read it again from its start (after a reset). */
  acceptReset?: boolean;
  onStatus?: (s: StreamStatus) => void;
  onBatch?: (r: ApplyCounts & { entries: number; lastId: string; deadLettered?: number }) => void;
  onDeadLetter?: (d: DeadLetter) => void;
  log?: (line: string) => void;
  /** Fault injection for the crash tests: awaited after the commit, before XACK / before the apply. */
  faults?: {
    beforeApply?: (ids: string[]) => Promise<void>;
    beforeAck?: (ids: string[]) => Promise<void>;
  };
}

export interface ConsumerCounts extends ApplyCounts {
  /** Stream entries applied to this database (each once). */
  entries: number;
  /** Entries taken over from other consumers (XAUTOCLAIM / XCLAIM). */
  claimed: number;
  /** Entries at or before the position that arrived again (acknowledged, not applied). */
  redelivered: number;
  /** Entries whose apply failed maxAttempts times: sent to the dead-letter stream, quarantined, acknowledged. */
  deadLettered: number;
  /** Failed applies of an entry alone (each counts towards its maxAttempts). */
  failedAttempts: number;
}

export interface DeadLetter {
  /** The entry's id in the orders stream. */
  id: string;
  /** Its id in the dead-letter stream. */
  deadId: string;
  deadStream: string;
  attempts: number;
  reason: string;
}

/** The consumer stopped on purpose; run() rejects with it and it is not retried. */
export class FatalStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FatalStreamError';
  }
}

/**
 * The stream was reset under this database: its consumer group is gone, or it delivers an entry at or before the
 * position that this database never saw. Nothing was acknowledged.
 */
export class StreamResetError extends FatalStreamError {
  constructor(
    message: string,
    readonly stream: string,
    readonly position: string,
  ) {
    super(message);
    this.name = 'StreamResetError';
  }
}

interface Held {
  id: string;
  fields: string[] | null;
  /** Id of the entry delivered just before it in the same XREADGROUP '>' reply (they are adjacent in the stream). */
  prev: string | null;
}

type RawEntry = [string, string[] | null];

interface Entry {
  id: string;
  fields: string[] | null;
}

interface Failure {
  attempts: number;
  nextAt: number;
  lastError: string;
  /** It has used its attempts: it goes to the dead letter (again, if that failed half-way). */
  dead: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function messageOf(e: unknown): string {
  return String((e as Error)?.message ?? e);
}

function isNoGroup(e: unknown): boolean {
  return /NOGROUP/.test(messageOf(e));
}

const ENVIRONMENT_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CORRUPT|NOTADB|CANTOPEN|NOMEM|INTERRUPT|PROTOCOL|PERM|AUTH|NOLFS)/;

/**
 * A failure of the database itself (busy, disk full, I/O, read-only, closed), not of the entries being applied:
 * retried as it is, never counted against an entry (a full disk must not send fills to the dead letter).
 */
export function isEnvironmentError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ENVIRONMENT_CODES.test(code)) return true;
  return /database connection is not open|database is locked|disk I\/O error/i.test(messageOf(e));
}

/** The text the ledger would quarantine for the entry (also what a dead letter is listed with). */
export function entryText(fields: readonly string[] | null): string {
  const d = decodeEntry(fields);
  return typeof d === 'string' ? d : safeStringify(d);
}

export class StreamConsumer {
  readonly counts: ConsumerCounts = {
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    entries: 0,
    claimed: 0,
    redelivered: 0,
    deadLettered: 0,
    failedAttempts: 0,
  };
  private readonly o: Required<
    Omit<StreamConsumerOptions, 'onStatus' | 'onBatch' | 'onDeadLetter' | 'log' | 'faults' | 'deadStream' | 'acceptReset'>
  > &
    StreamConsumerOptions;
  private redis: Redis | null = null;
  private held = new Map<string, Held>();
  private stopped = false;
  private needOwnPending = true;
  private nextClaimAt = 0;
  private claimCursor = '0-0';
  private running: Promise<void> | null = null;
  private readonly source: string;
  /** This database's position row for the stream on this server. */
  readonly posKey: string;
  readonly deadStream: string;
  /** Entries whose apply failed alone: attempts so far and when to try again. */
  private readonly failures = new Map<string, Failure>();
  /** Largest batch to apply now: halved while a failing entry is narrowed down, `count` otherwise. */
  private limit: number;
  /** Last id of the batch that failed, while its failing entry is being narrowed down. */
  private suspectUntil: string | null = null;
  private deadInARow = 0;
  private resetDone = false;
  private wakeSleep: (() => void) | null = null;
  private statements: { booked: Statement; quarantined: Statement; quarantine: Statement } | null = null;

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
    this.source = `redis:${opts.stream}`;
    this.posKey = positionKey(opts.url, opts.stream);
    this.deadStream = opts.deadStream ?? `${opts.stream}.dead`;
    if (this.deadStream === opts.stream) throw new RangeError(`the dead-letter stream must differ from ${opts.stream}`);
    this.limit = this.o.count;
  }

  /** Runs until stop(), or until nothing new arrived for `untilIdleMs` with nothing left to apply. */
  run(untilIdleMs?: number): Promise<void> {
    if (this.running) return this.running;
    this.running = this.loop(untilIdleMs).finally(() => {
      this.stopped = true;
      this.redis?.disconnect();
      this.redis = null;
    });
    return this.running;
  }

  /**
   * Stops the loop and resolves when it has ended: the current blocking read may finish first (at most blockMs);
   * a connection that is down is cut.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeSleep?.();
    if (!this.running) return;
    const ended = await Promise.race([
      this.running.then(() => true, () => true),
      sleep(this.o.blockMs + 500).then(() => false),
    ]);
    if (!ended) this.redis?.disconnect();
    await this.running.catch(() => {});
  }

  private log(line: string): void {
    this.o.log?.(line);
  }

  /** Waits ms, or less if the consumer is stopped meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((res) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        res();
      }
      this.wakeSleep = done;
    }).finally(() => {
      this.wakeSleep = null;
    });
  }

  private async loop(untilIdleMs?: number): Promise<void> {
    // The commit that precedes an XACK must survive a power loss: with WAL and synchronous = NORMAL the last commits
    // can be lost after Redis has forgotten the entries. FULL syncs the WAL at every commit of this connection.
    this.o.db.pragma('synchronous = FULL');
    const r = connectRedis(this.o.url, {
      name: `band:consume:${this.o.consumer}`,
      onStatus: (s) => {
        if (s.state === 'down') this.needOwnPending = true;
        if (!this.stopped) this.o.onStatus?.(s);
      },
    });
    this.redis = r;
    let lastActivity = Date.now();
    let errorDelay = 100;
    let failing = false;
    let waits = 0;
    await this.ensureGroupRetrying();
    while (!this.stopped) {
      try {
        let got = 0;
        if (this.needOwnPending) {
          this.needOwnPending = false;
          got += await this.readOwnPending();
        }
        if (Date.now() >= this.nextClaimAt) {
          got += await this.autoClaim();
          this.nextClaimAt = Date.now() + this.o.claimEveryMs;
        }
        if (this.held.size < this.o.count * 4) {
          const waiting = this.held.size > 0;
          let block = this.o.blockMs;
          if (untilIdleMs !== undefined) block = Math.min(block, Math.max(1, untilIdleMs - (Date.now() - lastActivity)));
          block = Math.min(block, Math.max(1, this.nextClaimAt - Date.now()));
          got += await this.readNew(waiting ? 0 : block);
        }
        const applied = await this.applyReady();
        errorDelay = 100;
        if (failing) {
          failing = false;
          this.o.onStatus?.({ state: 'up', detail: `${redactUrl(this.o.url)} ${this.o.stream}` });
        }
        if (got > 0 || applied > 0) lastActivity = Date.now();
        else if (
          untilIdleMs !== undefined &&
          this.held.size === 0 &&
          Date.now() - lastActivity >= untilIdleMs
        ) {
          break;
        }
        if (applied === 0 && this.held.size > 0) {
          // waiting for earlier entries another consumer holds: poll gently (25 ms, growing to 250 ms)
          waits++;
          await this.pause(Math.min(250, 25 * waits));
        } else {
          waits = 0;
        }
      } catch (e) {
        if (e instanceof FatalStreamError) throw e;
        if (this.stopped) break;
        if (isNoGroup(e)) {
          // With a position stored this is a reset (ensureGroup throws); a database that has applied nothing yet
          // creates the group again.
          this.log(`stream ${this.o.stream}: group ${this.o.group} missing (stream deleted?)`);
          this.held.clear();
          this.failures.clear();
          await this.ensureGroupRetrying();
          this.needOwnPending = true;
          continue;
        }
        this.log(`stream ${this.o.stream}: ${messageOf(e)}; retrying in ${errorDelay} ms`);
        failing = true;
        this.o.onStatus?.({ state: 'down', detail: `${this.o.stream}: ${messageOf(e)}` });
        await this.pause(errorDelay);
        errorDelay = Math.min(5000, errorDelay * 2);
      }
    }
    await this.leaveGroup();
  }

  /** A consumer that holds nothing leaves the group (XGROUP DELCONSUMER), so names do not pile up. */
  private async leaveGroup(): Promise<void> {
    const r = this.redis;
    if (!r || r.status !== 'ready' || this.held.size > 0) return;
    try {
      const mine = (await r.call('XPENDING', [
        this.o.stream, this.o.group, '-', '+', '1', this.o.consumer,
      ])) as unknown[];
      if (mine.length === 0) await r.call('XGROUP', ['DELCONSUMER', this.o.stream, this.o.group, this.o.consumer]);
    } catch {
      /* best effort */
    }
  }

  private get r(): Redis {
    if (!this.redis) throw new Error('consumer is not running');
    return this.redis;
  }

  /**
   * ensureGroup until it succeeds, waiting with backoff (100 ms doubling to 5 s, with jitter) between attempts: a
   * Redis still loading its data, a read-only replica, an ACL without XGROUP all pass. A reset, or a key that is not
   * a stream (WRONGTYPE), stops the consumer.
   */
  private async ensureGroupRetrying(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.ensureGroup();
        if (attempt > 1) {
          this.log(`stream ${this.o.stream}: consumer group ${this.o.group} ready after ${attempt} attempts`);
          this.o.onStatus?.({ state: 'up', detail: `${redactUrl(this.o.url)} ${this.o.stream}` });
        }
        return;
      } catch (e) {
        if (e instanceof FatalStreamError) throw e;
        if (this.stopped) return;
        const msg = `stream ${this.o.stream}: cannot create consumer group ${this.o.group}: ${messageOf(e)}`;
        if (/WRONGTYPE/.test(messageOf(e))) throw new FatalStreamError(msg);
        const wait = backoffMs(attempt, 100, 5000);
        this.log(`${msg}; retrying in ${wait} ms`);
        this.o.onStatus?.({ state: 'down', detail: `${msg}; retrying in ${wait} ms` });
        await this.pause(wait);
      }
    }
  }

  /**
   * A database that holds no position in the stream creates its group at 0 (a new database gets every fill in the
   * stream); an existing group is kept. A database that holds a position needs its group: without it the stream was
   * deleted (a server restarted without its data, FLUSHALL, DEL): a StreamResetError, nothing acknowledged. With
   * `acceptReset` the position is forgotten first and the group (re)set to 0: the stream is read again from its
   * start, and events booked before are recognised as duplicates by their event_id.
   */
  async ensureGroup(): Promise<void> {
    const { db, stream, group } = this.o;
    const pos = readPosition(db, this.posKey).lastId;
    if (this.o.acceptReset && !this.resetDone) {
      if (pos !== null) resetPosition(db, this.posKey, pos);
      try {
        await this.r.call('XGROUP', ['CREATE', stream, group, '0', 'MKSTREAM']);
      } catch (e) {
        if (!/BUSYGROUP/.test(messageOf(e))) throw e;
        await this.r.call('XGROUP', ['SETID', stream, group, '0']);
      }
      this.resetDone = true;
      this.log(
        `stream ${stream}: reset accepted: position ${pos ?? '(none)'} forgotten, group ${group} reads the stream from its start`,
      );
      return;
    }
    if (pos === null) {
      try {
        await this.r.call('XGROUP', ['CREATE', stream, group, '0', 'MKSTREAM']);
      } catch (e) {
        if (!/BUSYGROUP/.test(messageOf(e))) throw e;
      }
      return;
    }
    if (!(await this.groupExists())) {
      throw this.resetError(
        `consumer group ${group} no longer exists although this database has applied the stream up to ${pos} ` +
          '(the stream was deleted, or Redis restarted without its data)',
        pos,
      );
    }
    const info = (await this.r.call('XINFO', ['STREAM', stream])) as unknown[];
    const i = info.indexOf('last-generated-id');
    const lastGen = i >= 0 ? String(info[i + 1]) : null;
    if (lastGen && compareIds(lastGen, pos) < 0) {
      // Redis lost entries this database applied (an older snapshot, a lost AOF tail). New entries are checked as
      // they come: one at or before the position that this database never saw stops the consumer.
      this.log(`stream ${stream}: newest id ${lastGen} is before this database's position ${pos}: Redis lost entries already applied here`);
    }
  }

  private async groupExists(): Promise<boolean> {
    let groups: unknown[][];
    try {
      groups = (await this.r.call('XINFO', ['GROUPS', this.o.stream])) as unknown[][];
    } catch (e) {
      if (/no such key/i.test(messageOf(e))) return false;
      throw e;
    }
    return groups.some((g) => {
      const i = g.indexOf('name');
      return i >= 0 && String(g[i + 1]) === this.o.group;
    });
  }

  private resetError(what: string, pos: string): StreamResetError {
    return new StreamResetError(
      `stream ${this.o.stream} was reset: ${what}. Nothing was acknowledged and the consumer stopped. ` +
        `Check the stream, then run \`bandctl consume --accept-reset\` on this database to forget its position ` +
        'and read the stream again from its start (events already booked are recognised by their event_id)',
      this.o.stream,
      pos,
    );
  }

  private st() {
    if (!this.statements) {
      const db = this.o.db;
      this.statements = {
        booked: db
          .prepare(
            'SELECT EXISTS (SELECT 1 FROM fills WHERE event_id = ?) OR EXISTS (SELECT 1 FROM order_events WHERE event_id = ?)',
          )
          .pluck(),
        quarantined: db.prepare('SELECT raw FROM ledger_quarantine WHERE raw_h = ?').pluck(),
        quarantine: db.prepare('INSERT INTO ledger_quarantine (source, raw, reason, at, raw_h) VALUES (?, ?, ?, ?, ?)'),
      };
    }
    return this.statements;
  }

  /**
   * Whether this database already has the entry: its event_id is booked, or its text is in the quarantine (a bad
   * entry, a dead letter). An entry deleted from the stream while pending (no fields) comes from the group's pending
   * list, so it is a redelivery.
   */
  private known(fields: string[] | null): boolean {
    if (fields === null || fields.length === 0) return true;
    const d = decodeEntry(fields);
    let id: unknown;
    if (typeof d === 'string') {
      try {
        const o = JSON.parse(d) as unknown;
        if (typeof o === 'object' && o !== null && !Array.isArray(o)) id = (o as Record<string, unknown>).event_id;
      } catch {
        /* not JSON: only the quarantine can know it */
      }
    } else {
      id = d.event_id;
    }
    const st = this.st();
    if (typeof id === 'string' && st.booked.get(id, id)) return true;
    const text = typeof d === 'string' ? d : safeStringify(d);
    return (st.quarantined.all(hash53(text)) as string[]).includes(text);
  }

  private addHeld(entries: RawEntry[], adjacent: boolean): number {
    let prev: string | null = null;
    let n = 0;
    for (const [id, fields] of entries) {
      if (!this.held.has(id)) {
        this.held.set(id, { id, fields, prev: adjacent ? prev : null });
        n++;
      }
      prev = id;
    }
    return n;
  }

  private async readOwnPending(): Promise<number> {
    let from = '0';
    let n = 0;
    for (;;) {
      const res = (await this.r.call('XREADGROUP', [
        'GROUP', this.o.group, this.o.consumer, 'COUNT', String(this.o.count), 'STREAMS', this.o.stream, from,
      ])) as [string, RawEntry[]][] | null;
      const entries = res?.[0]?.[1] ?? [];
      if (entries.length === 0) return n;
      n += this.addHeld(entries, false);
      from = entries[entries.length - 1][0];
    }
  }

  private async readNew(blockMs: number): Promise<number> {
    const args = ['GROUP', this.o.group, this.o.consumer, 'COUNT', String(this.o.count)];
    if (blockMs > 0) args.push('BLOCK', String(Math.ceil(blockMs)));
    args.push('STREAMS', this.o.stream, '>');
    const res = (await this.r.call('XREADGROUP', args)) as [string, RawEntry[]][] | null;
    const entries = res?.[0]?.[1] ?? [];
    return this.addHeld(entries, true);
  }

  /** One XAUTOCLAIM sweep: entries pending longer than claimIdleMs with any consumer become ours. */
  private async autoClaim(): Promise<number> {
    let n = 0;
    for (let rounds = 0; rounds < 4; rounds++) {
      const res = (await this.r.call('XAUTOCLAIM', [
        this.o.stream, this.o.group, this.o.consumer, String(this.o.claimIdleMs), this.claimCursor,
        'COUNT', String(this.o.count),
      ])) as [string, RawEntry[], string[]?];
      const [next, entries, deleted] = res;
      const added = this.addHeld(entries, false);
      n += added;
      this.counts.claimed += added;
      if (deleted && deleted.length) {
        // Entries deleted from the stream while pending: XAUTOCLAIM already removed them from the pending list.
        this.log(`stream ${this.o.stream}: ${deleted.length} pending entries were deleted from the stream before they were applied: ${deleted.slice(0, 5).join(', ')}`);
      }
      this.claimCursor = next;
      if (next === '0-0') break;
    }
    return n;
  }

  private sortedHeld(): Held[] {
    return [...this.held.values()].sort((a, b) => compareIds(a.id, b.id));
  }

  /** Applies every entry that is next in stream order; returns how many entries were applied. */
  private async applyReady(): Promise<number> {
    let total = 0;
    for (let guard = 0; guard < 64 && !this.stopped; guard++) {
      const n = await this.applyStep();
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  private async applyStep(): Promise<number> {
    const { db, stream } = this.o;
    const pos = readPosition(db, this.posKey).lastId;
    let held = this.sortedHeld();
    // Redeliveries: already applied to this database (by us or by another consumer of it). An entry at or before
    // the position that this database does not have is no redelivery: the stream was reset under us.
    const stale = pos === null ? [] : held.filter((h) => compareIds(h.id, pos) <= 0);
    if (stale.length) {
      const unknown = stale.find((h) => !this.known(h.fields));
      if (unknown) {
        throw this.resetError(
          `entry ${unknown.id} is at or before this database's position ${pos} but this database never applied its ` +
            'event (Redis lost its data, or the stream was recreated with lower ids)',
          pos!,
        );
      }
      await this.r.call('XACK', [stream, this.o.group, ...stale.map((h) => h.id)]);
      for (const h of stale) this.held.delete(h.id);
      this.counts.redelivered += stale.length;
      this.counts.duplicates += stale.length;
      held = held.slice(stale.length);
    }
    if (held.length === 0) return stale.length;

    const start = pos === null ? '-' : `(${pos}`;
    const nextRes = (await this.r.call('XRANGE', [stream, start, '+', 'COUNT', '1'])) as RawEntry[];
    const next = nextRes[0]?.[0];
    const batch: Entry[] = [];
    if (next === undefined || compareIds(held[0].id, next) <= 0) {
      // Fast path: our first entry is the next one in the stream.
      this.takeRun(held, 0, batch);
    } else {
      // Entries before our first one are not applied yet: held by another consumer, or pending for nobody.
      const upto = held[0].id;
      const listing = (await this.r.call('XRANGE', [stream, start, upto, 'COUNT', String(this.o.count)])) as RawEntry[];
      const pend = (await this.r.call('XPENDING', [
        stream, this.o.group, start, upto, String(this.o.count),
      ])) as [string, string, number, number][];
      const owner = new Map(pend.map((p) => [p[0], { consumer: p[1], idle: Number(p[2]) }]));
      let reached = false;
      for (const [id, fields] of listing) {
        if (id === upto) {
          reached = true;
          break;
        }
        const p = owner.get(id);
        if (this.held.has(id) || !p || p.consumer === this.o.consumer) {
          batch.push({ id, fields }); // ours, or acknowledged by a consumer that is not of this database
          continue;
        }
        if (p.idle >= this.o.claimIdleMs) {
          const got = (await this.r.call('XCLAIM', [
            stream, this.o.group, this.o.consumer, String(this.o.claimIdleMs), id,
          ])) as RawEntry[];
          if (got.length && got[0][0] === id) {
            this.counts.claimed++;
            batch.push({ id, fields: got[0][1] ?? fields });
            continue;
          }
        }
        break; // a live consumer holds it: wait for it
      }
      if (reached || (listing.length < this.o.count && batch.length === listing.length)) {
        this.takeRun(held, 0, batch);
      }
    }
    if (batch.length === 0) return stale.length;
    if (batch.length > this.limit) batch.length = this.limit;
    const failed = this.failures.get(batch[0].id);
    if (failed?.dead) return (await this.deadLetter(pos, batch[0], failed.attempts, failed.lastError)) + stale.length;
    if (failed) {
      if (Date.now() < failed.nextAt) return stale.length; // waiting to try it again
      batch.length = 1; // an entry that failed is tried alone
    } else {
      await this.extend(batch);
    }
    const n = await this.commit(pos, batch);
    return n + stale.length;
  }

  /**
   * Entries we hold that are not known to be adjacent (claimed ones, our own pending list): the stream listing after
   * the batch shows which of them come next, so they are applied in batches too, not one per transaction.
   */
  private async extend(batch: Entry[]): Promise<void> {
    const room = this.limit - batch.length;
    const last = batch[batch.length - 1].id;
    if (room <= 0 || !this.held.has(last)) return;
    const after = this.sortedHeld().filter((h) => compareIds(h.id, last) > 0);
    if (after.length === 0) return;
    const listing = (await this.r.call('XRANGE', [
      this.o.stream, `(${last}`, after[after.length - 1].id, 'COUNT', String(room),
    ])) as RawEntry[];
    for (const [id] of listing) {
      const h = this.held.get(id);
      if (!h || this.failures.has(id)) break; // someone else holds it (the next step deals with it), or it failed
      batch.push(h);
    }
  }

  /** Appends held[i..] while each entry is known adjacent to the previous one, up to `limit` entries. */
  private takeRun(held: Held[], i: number, batch: Entry[]): void {
    if (i >= held.length || batch.length >= this.limit) return;
    batch.push(held[i]);
    for (let j = i + 1; j < held.length && batch.length < this.limit; j++) {
      if (held[j].prev !== held[j - 1].id || this.failures.has(held[j].id)) break;
      batch.push(held[j]);
    }
  }

  /**
   * Applies the batch if the position is still `pos`, then acknowledges it. Returns entries applied (0: lost race,
   * or an entry failed and waits for its next attempt). A batch whose apply throws is halved until the entry that
   * fails is alone; that entry counts an attempt, and is dead-lettered at maxAttempts.
   */
  private async commit(pos: string | null, entries: Entry[]): Promise<number> {
    const { db, stream, ledger } = this.o;
    let batch = entries;
    if (this.o.faults?.beforeApply) await this.o.faults.beforeApply(batch.map((b) => b.id));
    for (;;) {
      const ids = batch.map((b) => b.id);
      const lastId = ids[ids.length - 1];
      const events: DecodedEntry[] = batch.map((b) => decodeEntry(b.fields));
      const tx = db.transaction((): ApplyCounts | null => {
        if (readPosition(db, this.posKey).lastId !== pos) return null; // another consumer of this database moved it
        return ledger.applyBatch(events, this.source, () => writePosition(db, this.posKey, lastId, ids.length));
      });
      let res: ApplyCounts | null;
      try {
        res = tx.immediate();
      } catch (e) {
        if (this.stopped || isEnvironmentError(e)) throw e; // the database, not the entries: retried as it is
        if (batch.length > 1) {
          // narrow it down: the first half alone (the failing entry is in one of the halves)
          if (this.suspectUntil === null || compareIds(lastId, this.suspectUntil) > 0) this.suspectUntil = lastId;
          this.limit = Math.ceil(batch.length / 2);
          this.log(`stream ${stream}: applying ${batch.length} entries ${ids[0]}..${lastId} failed (${messageOf(e)}); trying ${this.limit}`);
          batch = batch.slice(0, this.limit);
          continue;
        }
        return this.failed(pos, batch[0], e);
      }
      if (res === null) return 0;
      this.counts.accepted += res.accepted;
      this.counts.duplicates += res.duplicates;
      this.counts.rejected += res.rejected;
      this.counts.entries += ids.length;
      this.deadInARow = 0;
      if (this.failures.delete(ids[0]) || (this.suspectUntil !== null && compareIds(lastId, this.suspectUntil) >= 0)) {
        this.limit = this.o.count;
        this.suspectUntil = null;
      }
      if (this.o.faults?.beforeAck) await this.o.faults.beforeAck(ids);
      await this.r.call('XACK', [stream, this.o.group, ...ids]);
      for (const id of ids) this.held.delete(id);
      this.o.onBatch?.({ ...res, entries: ids.length, lastId });
      return ids.length;
    }
  }

  /** One entry's apply failed alone: wait and try again, or dead-letter it once it has used its attempts. */
  private async failed(pos: string | null, entry: Entry, e: unknown): Promise<number> {
    const prev = this.failures.get(entry.id);
    const attempts = (prev?.attempts ?? 0) + 1;
    const lastError = messageOf(e).slice(0, 500);
    this.counts.failedAttempts++;
    if (attempts < this.o.maxAttempts) {
      const wait = backoffMs(attempts, this.o.retryMinMs, this.o.retryMaxMs);
      this.failures.set(entry.id, { attempts, nextAt: Date.now() + wait, lastError, dead: false });
      this.log(
        `stream ${this.o.stream}: entry ${entry.id} failed to apply (attempt ${attempts} of ${this.o.maxAttempts}): ${lastError}; next attempt in ${wait} ms`,
      );
      return 0;
    }
    this.failures.set(entry.id, { attempts, nextAt: 0, lastError, dead: true });
    return this.deadLetter(pos, entry, attempts, lastError);
  }

  /**
   * Sends the entry to the dead-letter stream (its fields, then dead_* fields: the reason, the attempt count, where
   * it came from), idempotent on the group and entry id; then, in one transaction, lists it in the ledger's
   * quarantine and moves the position past it; then acknowledges it. A crash in between repeats what is missing.
   */
  private async deadLetter(pos: string | null, entry: Entry, attempts: number, lastError: string): Promise<number> {
    const { db, stream, group } = this.o;
    if (this.deadInARow >= this.o.maxDeadInARow) {
      throw new FatalStreamError(
        `stream ${stream}: ${this.deadInARow} entries in a row were dead-lettered and entry ${entry.id} failed too ` +
          `(${lastError}): the ledger, not the entries, is likely at fault; the consumer stopped without ` +
          'dead-lettering more (fix the cause, then start it again: the entry is retried)',
      );
    }
    if (readPosition(db, this.posKey).lastId !== pos) {
      this.failures.delete(entry.id);
      return 0; // another consumer of this database moved on meanwhile
    }
    const reason = `apply failed ${attempts} time${attempts === 1 ? '' : 's'}: ${lastError}`;
    const fields = [
      ...(entry.fields ?? []),
      'dead_stream', stream,
      'dead_entry_id', entry.id,
      'dead_group', group,
      'dead_consumer', this.o.consumer,
      'dead_reason', reason,
      'dead_attempts', String(attempts),
      'dead_at', new Date().toISOString(),
    ];
    const deadId = await xaddOnce(this.r, this.deadStream, `${group} ${stream} ${entry.id}`, fields, this.o.deadMaxlen);
    const text = entryText(entry.fields);
    const st = this.st();
    const tx = db.transaction((): boolean => {
      if (readPosition(db, this.posKey).lastId !== pos) return false;
      st.quarantine.run(
        `redis:${stream} ${entry.id}`,
        text,
        `dead-lettered to ${this.deadStream} (${deadId}) after ${attempts} failed attempt${attempts === 1 ? '' : 's'} to apply it: ${lastError}`,
        Date.now(),
        hash53(text),
      );
      writePosition(db, this.posKey, entry.id, 1);
      return true;
    });
    const done = tx.immediate();
    this.failures.delete(entry.id);
    this.limit = this.o.count;
    this.suspectUntil = null;
    if (!done) return 0;
    this.counts.deadLettered++;
    this.deadInARow++;
    await this.r.call('XACK', [stream, group, entry.id]);
    this.held.delete(entry.id);
    this.log(`stream ${stream}: entry ${entry.id} dead-lettered to ${this.deadStream} as ${deadId}: ${reason}`);
    this.o.onDeadLetter?.({ id: entry.id, deadId, deadStream: this.deadStream, attempts, reason });
    this.o.onBatch?.({ accepted: 0, duplicates: 0, rejected: 0, entries: 1, lastId: entry.id, deadLettered: 1 });
    return 1;
  }
}
