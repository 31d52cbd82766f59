// The entries a stream consumer (consumer.ts) holds: read from its consumer group (its own pending list, new
// entries, entries claimed from consumers that stopped acknowledging), kept until they are applied and acknowledged.
import type { ConsumerCore, Held, RawEntry } from './consumer-core';
import { compareIds } from './ids';

export class HeldEntries {
  private readonly map = new Map<string, Held>();
  private claimCursor = '0-0';

  constructor(private readonly c: ConsumerCore) {}

  get size(): number {
    return this.map.size;
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  get(id: string): Held | undefined {
    return this.map.get(id);
  }

  delete(id: string): void {
    this.map.delete(id);
  }

  clear(): void {
    this.map.clear();
  }

  private add(entries: RawEntry[], adjacent: boolean): number {
    let prev: string | null = null;
    let n = 0;
    for (const [id, fields] of entries) {
      if (!this.map.has(id)) {
        this.map.set(id, { id, fields, prev: adjacent ? prev : null });
        n++;
      }
      prev = id;
    }
    return n;
  }

  async readOwnPending(): Promise<number> {
    let from = '0';
    let n = 0;
    for (;;) {
      const res = (await this.c.r.call('XREADGROUP', [
        'GROUP', this.c.o.group, this.c.o.consumer, 'COUNT', String(this.c.o.count), 'STREAMS', this.c.o.stream, from,
      ])) as [string, RawEntry[]][] | null;
      const entries = res?.[0]?.[1] ?? [];
      if (entries.length === 0) return n;
      n += this.add(entries, false);
      from = entries[entries.length - 1][0];
    }
  }

  async readNew(blockMs: number): Promise<number> {
    const args = ['GROUP', this.c.o.group, this.c.o.consumer, 'COUNT', String(this.c.o.count)];
    if (blockMs > 0) args.push('BLOCK', String(Math.ceil(blockMs)));
    args.push('STREAMS', this.c.o.stream, '>');
    const res = (await this.c.r.call('XREADGROUP', args)) as [string, RawEntry[]][] | null;
    const entries = res?.[0]?.[1] ?? [];
    return this.add(entries, true);
  }

  /** One XAUTOCLAIM sweep: entries pending longer than claimIdleMs with any consumer become ours. */
  async autoClaim(): Promise<number> {
    let n = 0;
    for (let rounds = 0; rounds < 4; rounds++) {
      const res = (await this.c.r.call('XAUTOCLAIM', [
        this.c.o.stream, this.c.o.group, this.c.o.consumer, String(this.c.o.claimIdleMs), this.claimCursor,
        'COUNT', String(this.c.o.count),
      ])) as [string, RawEntry[], string[]?];
      const [next, entries, deleted] = res;
      const added = this.add(entries, false);
      n += added;
      this.c.counts.claimed += added;
      if (deleted && deleted.length) {
        // Entries deleted from the stream while pending: XAUTOCLAIM already removed them from the pending list.
        this.c.log(`stream ${this.c.o.stream}: ${deleted.length} pending entries were deleted from the stream before they were applied: ${deleted.slice(0, 5).join(', ')}`);
      }
      this.claimCursor = next;
      if (next === '0-0') break;
    }
    return n;
  }

  sorted(): Held[] {
    return [...this.map.values()].sort((a, b) => compareIds(a.id, b.id));
  }
}
