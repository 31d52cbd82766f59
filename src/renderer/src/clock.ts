// The console's clock (docs/spec.md §2, "Time"): the main process's time, not the browser's. Every status carries
// the process's `now` (its system clock, or BAND_NOW's) and whether that clock is frozen; the renderer keeps the
// offset between the two clocks and shows process time everywhere (the header, ages, "down since"). The only module
// of the renderer that reads the browser's clock (lint: wallClock in eslint.config.mjs).
import type { AppStatus } from '../../shared/types';

/** The process's time minus the browser's, ms (0 until a status arrives). */
let offset = 0;
/** A frozen process clock (BAND_NOW=…@frozen): the instant it holds; null while time flows. */
let frozenAt: number | null = null;
/** Whether a status has set the offset yet. */
let synced = false;

/**
 * A status from the main process. `fresh`: the answer to a request (computed just before it arrived): it sets the
 * offset. A pushed status may be one the host replays after a reconnection, computed a while ago: it only ever moves
 * the clock forward (its `now` is a lower bound of the process's time on arrival).
 */
export function syncClock(status: Pick<AppStatus, 'now' | 'clock'>, fresh = true): void {
  if (status.clock?.frozen) {
    frozenAt = status.now;
    synced = true;
    return;
  }
  frozenAt = null;
  const candidate = status.now - Date.now();
  offset = fresh || !synced ? candidate : Math.max(offset, candidate);
  synced = true;
}

/** What time it is for the console (epoch ms): the process's time as the last status told it. */
export function processNow(): number {
  return frozenAt ?? Date.now() + offset;
}
