// The engine's clock: a cycle now and then every engine.cycle_seconds (re-read each time) until stopped. A failed
// cycle is logged and the next one still runs.
import type { EngineContext } from './context';
import { cycle } from './cycle';
import { errorMessage } from '../../../shared/errors';

export class CycleTimer {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly ctx: EngineContext) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    const ctx = this.ctx;
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        cycle(ctx, ctx.now());
      } catch (e) {
        try {
          ctx.st.cycle.run(ctx.now(), 'NORMAL', 'SUSPENDED', `cycle failed: ${errorMessage(e)}`);
        } catch {
          // the database is gone; the next cycle will tell
        }
      }
      this.schedule(ctx.book.effectiveConfig().engine.cycle_seconds * 1000);
    }, delayMs);
    this.timer.unref?.();
  }
}
