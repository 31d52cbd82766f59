// The engine's clock: a cycle now and then every engine.cycle_seconds (re-read each time) until stopped. A failed
// cycle is logged and the next one still runs.
import type { EngineContext } from './context';
import { accountCalendar } from '../../../shared/calendar';
import { nextSessionBoundary } from '../../../shared/session';
import { cycle } from './cycle';
import { hoursOf } from './snapshot';
import { errorMessage } from '../../../shared/errors';

export class CycleTimer {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastNow: number | null = null;

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

  /**
   * The next cycle: cycle_seconds on, or sooner at the next open or close (staged orders go out at the open, PENDING
   * intents expire and day orders end at the close), so those happen on time, not up to a cycle late.
   */
  private nextDelay(): number {
    const ctx = this.ctx;
    const every = ctx.book.effectiveConfig().engine.cycle_seconds * 1000;
    try {
      const now = ctx.now();
      // a clock that does not move (BAND_NOW=…@frozen) never reaches the boundary: the regular period then
      const still = now === this.lastNow;
      this.lastNow = now;
      if (still) return every;
      const boundary = nextSessionBoundary(now, accountCalendar(ctx.zone, ctx.book.effectiveConfig().account), hoursOf(ctx.book.effectiveConfig()));
      return Math.max(1, Math.min(every, boundary - now + 1));
    } catch {
      return every;
    }
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
      this.schedule(this.nextDelay());
    }, delayMs);
    this.timer.unref?.();
  }
}
