// Applying the entries a stream consumer (consumer.ts) holds, strictly in stream order, each once: the position
// check and the ledger's apply in one IMMEDIATE transaction, then XACK; redeliveries recognised; a failing entry
// narrowed down, retried with backoff and dead-lettered (see consumer.ts for the whole design).
import { isApplied, isQuarantined, quarantine } from '../ledger/quarantine';
import { safeStringify } from '../ledger/consumer';
import { backoffMs } from './connection';
import type { ConsumerGroup } from './consumer-group';
import type { HeldEntries } from './consumer-reads';
import { FatalStreamError, type ApplyCounts, type ConsumerCore, type Held, type RawEntry } from './consumer-core';
import { decodeEntry, type DecodedEntry } from './entry';
import { compareIds } from './ids';
import { readPosition, writePosition } from './positions';
import { xaddOnce } from './publish';
import { errorMessage } from '../../../shared/errors';
import { now as clockNow, timerNow } from '../clock';

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

const ENVIRONMENT_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CORRUPT|NOTADB|CANTOPEN|NOMEM|INTERRUPT|PROTOCOL|PERM|AUTH|NOLFS)/;

/**
 * A failure of the database itself (busy, disk full, I/O, read-only, closed), not of the entries being applied:
 * retried as it is, never counted against an entry (a full disk must not send fills to the dead letter).
 */
function isEnvironmentError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ENVIRONMENT_CODES.test(code)) return true;
  return /database connection is not open|database is locked|disk I\/O error/i.test(errorMessage(e));
}

/** The text the ledger would quarantine for the entry (also what a dead letter is listed with). */
export function entryText(fields: readonly string[] | null): string {
  const d = decodeEntry(fields);
  return typeof d === 'string' ? d : safeStringify(d);
}

export class StreamApplier {
  private readonly source: string;
  /** Entries whose apply failed alone: attempts so far and when to try again. */
  private readonly failures = new Map<string, Failure>();
  /** Largest batch to apply now: halved while a failing entry is narrowed down, `count` otherwise. */
  private limit: number;
  /** Last id of the batch that failed, while its failing entry is being narrowed down. */
  private suspectUntil: string | null = null;
  private deadInARow = 0;

  constructor(
    private readonly c: ConsumerCore,
    private readonly held: HeldEntries,
    private readonly group: ConsumerGroup,
    private readonly deadStream: string,
  ) {
    this.source = `redis:${c.o.stream}`;
    this.limit = c.o.count;
  }

  /** Forgets the failures counted so far (the consumer group was recreated: the entries are read again). */
  forgetFailures(): void {
    this.failures.clear();
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
    const db = this.c.o.db;
    if (typeof id === 'string' && isApplied(db, id)) return true;
    return isQuarantined(db, typeof d === 'string' ? d : safeStringify(d));
  }

  /** Applies every entry that is next in stream order; returns how many entries were applied. */
  async applyReady(): Promise<number> {
    let total = 0;
    for (let guard = 0; guard < 64 && !this.c.stopped; guard++) {
      const n = await this.applyStep();
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  private async applyStep(): Promise<number> {
    const { db, stream } = this.c.o;
    const pos = readPosition(db, this.c.posKey).lastId;
    let held = this.held.sorted();
    // Redeliveries: already applied to this database (by us or by another consumer of it). An entry at or before
    // the position that this database does not have is no redelivery: the stream was reset under us.
    const stale = pos === null ? [] : held.filter((h) => compareIds(h.id, pos) <= 0);
    if (stale.length) {
      const unknown = stale.find((h) => !this.known(h.fields));
      if (unknown) {
        throw this.group.resetError(
          `entry ${unknown.id} is at or before this database's position ${pos} but this database never applied its ` +
            'event (Redis lost its data, or the stream was recreated with lower ids)',
          pos!,
        );
      }
      await this.c.r.call('XACK', [stream, this.c.o.group, ...stale.map((h) => h.id)]);
      for (const h of stale) this.held.delete(h.id);
      this.c.counts.redelivered += stale.length;
      this.c.counts.duplicates += stale.length;
      held = held.slice(stale.length);
    }
    if (held.length === 0) return stale.length;

    const start = pos === null ? '-' : `(${pos}`;
    const nextRes = (await this.c.r.call('XRANGE', [stream, start, '+', 'COUNT', '1'])) as RawEntry[];
    const next = nextRes[0]?.[0];
    const batch: Entry[] = [];
    if (next === undefined || compareIds(held[0].id, next) <= 0) {
      // Fast path: our first entry is the next one in the stream.
      this.takeRun(held, 0, batch);
    } else {
      // Entries before our first one are not applied yet: held by another consumer, or pending for nobody.
      const upto = held[0].id;
      const listing = (await this.c.r.call('XRANGE', [stream, start, upto, 'COUNT', String(this.c.o.count)])) as RawEntry[];
      const pend = (await this.c.r.call('XPENDING', [
        stream, this.c.o.group, start, upto, String(this.c.o.count),
      ])) as [string, string, number, number][];
      const owner = new Map(pend.map((p) => [p[0], { consumer: p[1], idle: Number(p[2]) }]));
      let reached = false;
      for (const [id, fields] of listing) {
        if (id === upto) {
          reached = true;
          break;
        }
        const p = owner.get(id);
        if (this.held.has(id) || !p || p.consumer === this.c.o.consumer) {
          batch.push({ id, fields }); // ours, or acknowledged by a consumer that is not of this database
          continue;
        }
        if (p.idle >= this.c.o.claimIdleMs) {
          const got = (await this.c.r.call('XCLAIM', [
            stream, this.c.o.group, this.c.o.consumer, String(this.c.o.claimIdleMs), id,
          ])) as RawEntry[];
          if (got.length && got[0][0] === id) {
            this.c.counts.claimed++;
            batch.push({ id, fields: got[0][1] ?? fields });
            continue;
          }
        }
        break; // a live consumer holds it: wait for it
      }
      if (reached || (listing.length < this.c.o.count && batch.length === listing.length)) {
        this.takeRun(held, 0, batch);
      }
    }
    if (batch.length === 0) return stale.length;
    if (batch.length > this.limit) batch.length = this.limit;
    const failed = this.failures.get(batch[0].id);
    if (failed?.dead) return (await this.deadLetter(pos, batch[0], failed.attempts, failed.lastError)) + stale.length;
    if (failed) {
      if (timerNow() < failed.nextAt) return stale.length; // waiting to try it again
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
    const after = this.held.sorted().filter((h) => compareIds(h.id, last) > 0);
    if (after.length === 0) return;
    const listing = (await this.c.r.call('XRANGE', [
      this.c.o.stream, `(${last}`, after[after.length - 1].id, 'COUNT', String(room),
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
    const { db, stream, ledger } = this.c.o;
    let batch = entries;
    if (this.c.o.faults?.beforeApply) await this.c.o.faults.beforeApply(batch.map((b) => b.id));
    for (;;) {
      const ids = batch.map((b) => b.id);
      const lastId = ids[ids.length - 1];
      const events: DecodedEntry[] = batch.map((b) => decodeEntry(b.fields));
      const tx = db.transaction((): ApplyCounts | null => {
        if (readPosition(db, this.c.posKey).lastId !== pos) return null; // another consumer of this database moved it
        return ledger.applyBatch(events, this.source, () => writePosition(db, this.c.posKey, lastId, ids.length));
      });
      let res: ApplyCounts | null;
      try {
        res = tx.immediate();
      } catch (e) {
        if (this.c.stopped || isEnvironmentError(e)) throw e; // the database, not the entries: retried as it is
        if (batch.length > 1) {
          // narrow it down: the first half alone (the failing entry is in one of the halves)
          if (this.suspectUntil === null || compareIds(lastId, this.suspectUntil) > 0) this.suspectUntil = lastId;
          this.limit = Math.ceil(batch.length / 2);
          this.c.log(`stream ${stream}: applying ${batch.length} entries ${ids[0]}..${lastId} failed (${errorMessage(e)}); trying ${this.limit}`);
          batch = batch.slice(0, this.limit);
          continue;
        }
        return this.failed(pos, batch[0], e);
      }
      if (res === null) return 0;
      this.c.counts.accepted += res.accepted;
      this.c.counts.duplicates += res.duplicates;
      this.c.counts.rejected += res.rejected;
      this.c.counts.entries += ids.length;
      this.deadInARow = 0;
      if (this.failures.delete(ids[0]) || (this.suspectUntil !== null && compareIds(lastId, this.suspectUntil) >= 0)) {
        this.limit = this.c.o.count;
        this.suspectUntil = null;
      }
      if (this.c.o.faults?.beforeAck) await this.c.o.faults.beforeAck(ids);
      await this.c.r.call('XACK', [stream, this.c.o.group, ...ids]);
      for (const id of ids) this.held.delete(id);
      this.c.o.onBatch?.({ ...res, entries: ids.length, lastId });
      return ids.length;
    }
  }

  /** One entry's apply failed alone: wait and try again, or dead-letter it once it has used its attempts. */
  private async failed(pos: string | null, entry: Entry, e: unknown): Promise<number> {
    const prev = this.failures.get(entry.id);
    const attempts = (prev?.attempts ?? 0) + 1;
    const lastError = errorMessage(e).slice(0, 500);
    this.c.counts.failedAttempts++;
    if (attempts < this.c.o.maxAttempts) {
      const wait = backoffMs(attempts, this.c.o.retryMinMs, this.c.o.retryMaxMs);
      this.failures.set(entry.id, { attempts, nextAt: timerNow() + wait, lastError, dead: false });
      this.c.log(
        `stream ${this.c.o.stream}: entry ${entry.id} failed to apply (attempt ${attempts} of ${this.c.o.maxAttempts}): ${lastError}; next attempt in ${wait} ms`,
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
    const { db, stream, group } = this.c.o;
    if (this.deadInARow >= this.c.o.maxDeadInARow) {
      throw new FatalStreamError(
        `stream ${stream}: ${this.deadInARow} entries in a row were dead-lettered and entry ${entry.id} failed too ` +
          `(${lastError}): the ledger, not the entries, is likely at fault; the consumer stopped without ` +
          'dead-lettering more (fix the cause, then start it again: the entry is retried)',
      );
    }
    if (readPosition(db, this.c.posKey).lastId !== pos) {
      this.failures.delete(entry.id);
      return 0; // another consumer of this database moved on meanwhile
    }
    const reason = `apply failed ${attempts} time${attempts === 1 ? '' : 's'}: ${lastError}`;
    const fields = [
      ...(entry.fields ?? []),
      'dead_stream', stream,
      'dead_entry_id', entry.id,
      'dead_group', group,
      'dead_consumer', this.c.o.consumer,
      'dead_reason', reason,
      'dead_attempts', String(attempts),
      'dead_at', new Date(clockNow()).toISOString(),
    ];
    const deadId = await xaddOnce(this.c.r, this.deadStream, `${group} ${stream} ${entry.id}`, fields, this.c.o.deadMaxlen);
    const text = entryText(entry.fields);
    const tx = db.transaction((): boolean => {
      if (readPosition(db, this.c.posKey).lastId !== pos) return false;
      quarantine(
        db,
        `redis:${stream} ${entry.id}`,
        text,
        `dead-lettered to ${this.deadStream} (${deadId}) after ${attempts} failed attempt${attempts === 1 ? '' : 's'} to apply it: ${lastError}`,
        clockNow(),
      );
      writePosition(db, this.c.posKey, entry.id, 1);
      return true;
    });
    const done = tx.immediate();
    this.failures.delete(entry.id);
    this.limit = this.c.o.count;
    this.suspectUntil = null;
    if (!done) return 0;
    this.c.counts.deadLettered++;
    this.deadInARow++;
    await this.c.r.call('XACK', [stream, group, entry.id]);
    this.held.delete(entry.id);
    this.c.log(`stream ${stream}: entry ${entry.id} dead-lettered to ${this.deadStream} as ${deadId}: ${reason}`);
    this.c.o.onDeadLetter?.({ id: entry.id, deadId, deadStream: this.deadStream, attempts, reason });
    this.c.o.onBatch?.({ accepted: 0, duplicates: 0, rejected: 0, entries: 1, lastId: entry.id, deadLettered: 1 });
    return 1;
  }
}
