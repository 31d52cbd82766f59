// The consumer group of a stream consumer (consumer.ts): created (retried with backoff), checked against this
// database's position (a missing group is a reset), reset on request (--accept-reset), left when the consumer ends.
import type { Redis } from 'ioredis';
import { backoffMs, redactUrl } from './connection';
import { compareIds } from './ids';
import { readPosition, resetPosition } from './positions';
import { FatalStreamError, StreamResetError, type ConsumerCore } from './consumer-core';
import { errorMessage } from '../../../shared/errors';

export class ConsumerGroup {
  private resetDone = false;

  constructor(private readonly c: ConsumerCore) {}

  /** A consumer that holds nothing leaves the group (XGROUP DELCONSUMER), so names do not pile up. */
  async leave(r: Redis | null, holding: number): Promise<void> {
    if (!r || r.status !== 'ready' || holding > 0) return;
    try {
      const mine = (await r.call('XPENDING', [
        this.c.o.stream, this.c.o.group, '-', '+', '1', this.c.o.consumer,
      ])) as unknown[];
      if (mine.length === 0) await r.call('XGROUP', ['DELCONSUMER', this.c.o.stream, this.c.o.group, this.c.o.consumer]);
    } catch {
      /* best effort */
    }
  }

  /**
   * ensure() until it succeeds, waiting with backoff (100 ms doubling to 5 s, with jitter) between attempts: a
   * Redis still loading its data, a read-only replica, an ACL without XGROUP all pass. A reset, or a key that is not
   * a stream (WRONGTYPE), stops the consumer.
   */
  async ensureRetrying(): Promise<void> {
    for (let attempt = 1; !this.c.stopped; attempt++) {
      try {
        await this.ensure();
        if (attempt > 1) {
          this.c.log(`stream ${this.c.o.stream}: consumer group ${this.c.o.group} ready after ${attempt} attempts`);
          this.c.o.onStatus?.({ state: 'up', detail: `${redactUrl(this.c.o.url)} ${this.c.o.stream}` });
        }
        return;
      } catch (e) {
        if (e instanceof FatalStreamError) throw e;
        if (this.c.stopped) return;
        const msg = `stream ${this.c.o.stream}: cannot create consumer group ${this.c.o.group}: ${errorMessage(e)}`;
        if (/WRONGTYPE/.test(errorMessage(e))) throw new FatalStreamError(msg);
        const wait = backoffMs(attempt, 100, 5000);
        this.c.log(`${msg}; retrying in ${wait} ms`);
        this.c.o.onStatus?.({ state: 'down', detail: `${msg}; retrying in ${wait} ms` });
        await this.c.pause(wait);
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
  async ensure(): Promise<void> {
    const { db, stream, group } = this.c.o;
    const pos = readPosition(db, this.c.posKey).lastId;
    if (this.c.o.acceptReset && !this.resetDone) {
      if (pos !== null) resetPosition(db, this.c.posKey, pos);
      try {
        await this.c.r.call('XGROUP', ['CREATE', stream, group, '0', 'MKSTREAM']);
      } catch (e) {
        if (!/BUSYGROUP/.test(errorMessage(e))) throw e;
        await this.c.r.call('XGROUP', ['SETID', stream, group, '0']);
      }
      this.resetDone = true;
      this.c.log(
        `stream ${stream}: reset accepted: position ${pos ?? '(none)'} forgotten, group ${group} reads the stream from its start`,
      );
      return;
    }
    if (pos === null) {
      try {
        await this.c.r.call('XGROUP', ['CREATE', stream, group, '0', 'MKSTREAM']);
      } catch (e) {
        if (!/BUSYGROUP/.test(errorMessage(e))) throw e;
      }
      return;
    }
    if (!(await this.exists())) {
      throw this.resetError(
        `consumer group ${group} no longer exists although this database has applied the stream up to ${pos} ` +
          '(the stream was deleted, or Redis restarted without its data)',
        pos,
      );
    }
    const info = (await this.c.r.call('XINFO', ['STREAM', stream])) as unknown[];
    const i = info.indexOf('last-generated-id');
    const lastGen = i >= 0 ? String(info[i + 1]) : null;
    if (lastGen && compareIds(lastGen, pos) < 0) {
      // Redis lost entries this database applied (an older snapshot, a lost AOF tail). New entries are checked as
      // they come: one at or before the position that this database never saw stops the consumer.
      this.c.log(`stream ${stream}: newest id ${lastGen} is before this database's position ${pos}: Redis lost entries already applied here`);
    }
  }

  private async exists(): Promise<boolean> {
    let groups: unknown[][];
    try {
      groups = (await this.c.r.call('XINFO', ['GROUPS', this.c.o.stream])) as unknown[][];
    } catch (e) {
      if (/no such key/i.test(errorMessage(e))) return false;
      throw e;
    }
    return groups.some((g) => {
      const i = g.indexOf('name');
      return i >= 0 && String(g[i + 1]) === this.c.o.group;
    });
  }

  resetError(what: string, pos: string): StreamResetError {
    return new StreamResetError(
      `stream ${this.c.o.stream} was reset: ${what}. Nothing was acknowledged and the consumer stopped. ` +
        `Check the stream, then run \`bandctl consume --accept-reset\` on this database to forget its position ` +
        'and read the stream again from its start (events already booked are recognised by their event_id)',
      this.c.o.stream,
      pos,
    );
  }
}
