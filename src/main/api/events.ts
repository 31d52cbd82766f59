// Push events (SPEC §11): one hub that turns the services' notifications into the contract's push events, so that
// Electron (webContents.send) and the browser host (SSE) deliver exactly the same stream.
import type { PushEvent, PushPayload } from '../../shared/contract';

export type PushListener = <E extends PushEvent>(event: E, payload: PushPayload<E>) => void;

export class EventHub {
  private listeners = new Set<PushListener>();

  emit<E extends PushEvent>(event: E, payload: PushPayload<E>): void {
    for (const l of [...this.listeners]) {
      try {
        l(event, payload);
      } catch {
        // one broken subscriber (a closed window, a dropped socket) never stops the others
      }
    }
  }

  subscribe(listener: PushListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }
}
