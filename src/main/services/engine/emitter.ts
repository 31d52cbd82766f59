// A small typed event emitter: on(event, cb) returns the unsubscribe function.
export class Emitter<E extends object> {
  private readonly handlers = new Map<keyof E, Set<(p: never) => void>>();

  on<K extends keyof E>(event: K, cb: (payload: E[K]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(cb as (p: never) => void);
    return () => void set.delete(cb as (p: never) => void);
  }

  has(event: keyof E): boolean {
    return (this.handlers.get(event)?.size ?? 0) > 0;
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const cb of [...set]) {
      try {
        (cb as (p: E[K]) => void)(payload);
      } catch {
        // A listener's failure never breaks the engine.
      }
    }
  }
}
