// The ledger as a member of a Redis Streams consumer group on `ev.orders` (issue 6).
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
// so two consumers of one database never apply the same entry. XACK follows the commit; an entry at or before the
// position (a redelivery) is acknowledged and counted as a duplicate, never applied again. Bad entries are
// quarantined by the ledger and acknowledged like the rest.
import type { Redis } from 'ioredis';
import type { StreamStatus } from '../../../shared/types';
import type { Db } from '../store/db';
import { connectRedis, redactUrl } from './connection';
import { decodeEntry, type DecodedEntry } from './entry';
import { compareIds } from './ids';
import { positionKey, readPosition, resetPosition, writePosition } from './positions';

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
  onStatus?: (s: StreamStatus) => void;
  onBatch?: (r: ApplyCounts & { entries: number; lastId: string }) => void;
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
}

interface Held {
  id: string;
  fields: string[] | null;
  /** Id of the entry delivered just before it in the same XREADGROUP '>' reply (they are adjacent in the stream). */
  prev: string | null;
}

type RawEntry = [string, string[] | null];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function isNoGroup(e: unknown): boolean {
  return /NOGROUP/.test(String((e as Error)?.message ?? e));
}

export class StreamConsumer {
  readonly counts: ConsumerCounts = { accepted: 0, duplicates: 0, rejected: 0, entries: 0, claimed: 0, redelivered: 0 };
  private readonly o: Required<Omit<StreamConsumerOptions, 'onStatus' | 'onBatch' | 'log' | 'faults'>> &
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

  constructor(opts: StreamConsumerOptions) {
    const claimIdleMs = opts.claimIdleMs ?? 10_000;
    this.o = {
      count: 500,
      blockMs: 1000,
      claimEveryMs: Math.max(50, Math.min(Math.floor(claimIdleMs / 2), 5000)),
      ...opts,
      claimIdleMs,
    };
    if (!(this.o.count >= 1)) throw new RangeError('count must be >= 1');
    this.source = `redis:${opts.stream}`;
    this.posKey = positionKey(opts.url, opts.stream);
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

  private async loop(untilIdleMs?: number): Promise<void> {
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
    try {
      await this.ensureGroup();
    } catch (e) {
      if (this.stopped) return;
      throw new Error(`stream ${this.o.stream}: cannot create consumer group ${this.o.group}: ${(e as Error).message}`, {
        cause: e,
      });
    }
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
          await sleep(Math.min(250, 25 * waits));
        } else {
          waits = 0;
        }
      } catch (e) {
        if (this.stopped) break;
        if (isNoGroup(e)) {
          this.log(`stream ${this.o.stream}: group ${this.o.group} missing (stream deleted?); creating it again`);
          await this.ensureGroup().catch(() => {});
          this.needOwnPending = true;
          continue;
        }
        this.log(`stream ${this.o.stream}: ${(e as Error).message}; retrying in ${errorDelay} ms`);
        failing = true;
        this.o.onStatus?.({ state: 'down', detail: `${this.o.stream}: ${(e as Error).message}` });
        await sleep(errorDelay);
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
   * XGROUP CREATE at 0 (a new database gets every fill in the stream); an existing group is kept. A stream whose
   * newest id is before this database's position was deleted and created again (a server restarted without its
   * data, a producer with explicit ids): the position is forgotten, so its entries are read instead of being taken
   * for redeliveries; events booked before are still recognised as duplicates by their event_id.
   */
  async ensureGroup(): Promise<void> {
    try {
      await this.r.call('XGROUP', ['CREATE', this.o.stream, this.o.group, '0', 'MKSTREAM']);
    } catch (e) {
      if (!/BUSYGROUP/.test(String((e as Error).message))) throw e;
    }
    const pos = readPosition(this.o.db, this.posKey).lastId;
    if (pos === null) return;
    const info = (await this.r.call('XINFO', ['STREAM', this.o.stream])) as unknown[];
    const i = info.indexOf('last-generated-id');
    const lastGen = i >= 0 ? String(info[i + 1]) : null;
    if (lastGen && compareIds(lastGen, pos) < 0 && resetPosition(this.o.db, this.posKey, pos)) {
      this.log(`stream ${this.o.stream}: newest id ${lastGen} is before this database's position ${pos}: the stream was recreated; reading it from its start`);
    }
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
    // Redeliveries: already applied to this database (by us or by another consumer of it).
    const stale = pos === null ? [] : held.filter((h) => compareIds(h.id, pos) <= 0);
    if (stale.length) {
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
    const batch: { id: string; fields: string[] | null }[] = [];
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
    await this.extend(batch);
    const n = await this.commit(pos, batch);
    return n === 0 ? stale.length : n + stale.length;
  }

  /**
   * Entries we hold that are not known to be adjacent (claimed ones, our own pending list): the stream listing after
   * the batch shows which of them come next, so they are applied in batches too, not one per transaction.
   */
  private async extend(batch: { id: string; fields: string[] | null }[]): Promise<void> {
    const room = this.o.count - batch.length;
    const last = batch[batch.length - 1].id;
    if (room <= 0 || !this.held.has(last)) return;
    const after = this.sortedHeld().filter((h) => compareIds(h.id, last) > 0);
    if (after.length === 0) return;
    const listing = (await this.r.call('XRANGE', [
      this.o.stream, `(${last}`, after[after.length - 1].id, 'COUNT', String(room),
    ])) as RawEntry[];
    for (const [id] of listing) {
      const h = this.held.get(id);
      if (!h) break; // an entry someone else holds: the next step deals with it
      batch.push(h);
    }
  }

  /** Appends held[i..] while each entry is known adjacent to the previous one, up to `count` entries. */
  private takeRun(held: Held[], i: number, batch: { id: string; fields: string[] | null }[]): void {
    if (i >= held.length || batch.length >= this.o.count) return;
    batch.push(held[i]);
    for (let j = i + 1; j < held.length && batch.length < this.o.count; j++) {
      if (held[j].prev !== held[j - 1].id) break;
      batch.push(held[j]);
    }
  }

  /** Applies the batch if the position is still `pos`, then acknowledges it. Returns entries applied (0: lost race). */
  private async commit(pos: string | null, batch: { id: string; fields: string[] | null }[]): Promise<number> {
    const { db, stream, ledger } = this.o;
    const ids = batch.map((b) => b.id);
    if (this.o.faults?.beforeApply) await this.o.faults.beforeApply(ids);
    const events: DecodedEntry[] = batch.map((b) => decodeEntry(b.fields));
    const lastId = ids[ids.length - 1];
    const tx = db.transaction((): ApplyCounts | null => {
      if (readPosition(db, this.posKey).lastId !== pos) return null; // another consumer of this database moved it
      return ledger.applyBatch(events, this.source, () => writePosition(db, this.posKey, lastId, ids.length));
    });
    const res = tx.immediate();
    if (res === null) return 0;
    this.counts.accepted += res.accepted;
    this.counts.duplicates += res.duplicates;
    this.counts.rejected += res.rejected;
    this.counts.entries += ids.length;
    if (this.o.faults?.beforeAck) await this.o.faults.beforeAck(ids);
    await this.r.call('XACK', [stream, this.o.group, ...ids]);
    for (const id of ids) this.held.delete(id);
    this.o.onBatch?.({ ...res, entries: ids.length, lastId });
    return ids.length;
  }
}
