// Push events (docs/spec.md §11): one hub that turns the services' notifications into the contract's push events, so that
// Electron (webContents.send) and the browser host (SSE) deliver exactly the same stream. Every event has an id
// (`<boot>-<seq>`), and the hub keeps the latest ones, so a browser that lost its connection gets what it missed
// when it comes back (SSE's Last-Event-ID), or is told to refetch everything when that is no longer possible.
import { randomBytes } from 'node:crypto';
import type { PushEvent, PushPayload } from '../../shared/contract';

type PushListener = <E extends PushEvent>(event: E, payload: PushPayload<E>, id: string) => void;

interface PushRecord {
  id: string;
  event: PushEvent;
  payload: unknown;
}

export class EventHub {
  private listeners = new Set<PushListener>();
  /** Changes at every start: an id from another run of the host can never be replayed from. */
  readonly boot = randomBytes(4).toString('hex');
  private seq = 0;
  private readonly recent: PushRecord[] = [];

  constructor(private readonly keep = 1000) {}

  emit<E extends PushEvent>(event: E, payload: PushPayload<E>): void {
    const id = `${this.boot}-${++this.seq}`;
    this.recent.push({ id, event, payload });
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    for (const l of [...this.listeners]) {
      try {
        l(event, payload, id);
      } catch {
        // one broken subscriber (a closed window, a dropped socket) never stops the others
      }
    }
  }

  subscribe(listener: PushListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * The events after `lastId`, oldest first; null when they cannot all be given (an id of another boot, or older
   * than what is kept): the client must then refetch its state.
   */
  since(lastId: string): PushRecord[] | null {
    const m = /^([0-9a-f]+)-(\d+)$/.exec(lastId);
    if (!m || m[1] !== this.boot) return null;
    const n = Number(m[2]);
    if (n > this.seq) return null;
    const first = this.recent.length ? Number(this.recent[0].id.split('-')[1]) : this.seq + 1;
    if (n + 1 < first) return null;
    return this.recent.filter((r) => Number(r.id.split('-')[1]) > n);
  }

  get lastId(): string {
    return `${this.boot}-${this.seq}`;
  }

  get size(): number {
    return this.listeners.size;
  }
}
