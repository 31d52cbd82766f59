// The process clock (docs/spec.md §2, "Time"): every part that asks what time it is — engine cycles, approvals,
// expiry, the release of staged orders, day-order ends, the price simulator, the EOD file scheduler, retention,
// backups, the status the header shows — reads now() from here. Unset, it is the system clock. BAND_NOW=<instant>
// starts the process as if it were then and lets time flow on; BAND_NOW=<instant>@frozen holds it still.
//
// Worker threads and child processes inherit the anchor (BAND_CLOCK_ANCHOR: the spec and the system time it was
// read at), so a worker started a minute later agrees with its parent instead of starting over from BAND_NOW.
//
// Timeouts, backoffs and durations are not market time: they use timerNow() (the system clock, which a frozen
// clock does not stop), never now().
import { parseBandNow, type ClockSpec } from '../../../shared/clock';

const CLOCK_ENV = 'BAND_NOW';
const ANCHOR_ENV = 'BAND_CLOCK_ANCHOR';

export class ClockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClockError';
  }
}

type State = { kind: 'system' } | { kind: 'set'; spec: string; at: number; frozen: boolean; realAt: number };

let state: State | null = null;

function read(): State {
  const raw = process.env[CLOCK_ENV];
  if (raw === undefined || raw.trim() === '') return { kind: 'system' };
  const spec = raw.trim();
  const parsed = parseBandNow(spec);
  if ('error' in parsed) throw new ClockError(`${CLOCK_ENV}='${spec}': ${parsed.error}`);
  const { at, frozen } = parsed as ClockSpec;
  // the anchor of a parent process with the same spec: continue its time rather than start over
  const anchor = process.env[ANCHOR_ENV];
  let realAt = Date.now();
  if (anchor) {
    const cut = anchor.lastIndexOf('|');
    const base = Number(anchor.slice(cut + 1));
    if (cut > 0 && anchor.slice(0, cut) === spec && Number.isSafeInteger(base)) realAt = base;
  }
  process.env[ANCHOR_ENV] = `${spec}|${realAt}`;
  return { kind: 'set', spec, at, frozen, realAt };
}

function current(): State {
  state ??= read();
  return state;
}

/** What time it is for the console (epoch ms): the system clock, or BAND_NOW's. */
export function now(): number {
  const s = current();
  if (s.kind === 'system') return Date.now();
  return s.frozen ? s.at : s.at + (Date.now() - s.realAt);
}

/** The system clock, for timeouts, backoffs and durations only: never the market's time. */
export function timerNow(): number {
  return Date.now();
}

export interface ClockInfo {
  /** `system`, or `BAND_NOW` when the environment set the clock. */
  source: 'system' | 'BAND_NOW';
  frozen: boolean;
  /** The BAND_NOW value in force, or null. */
  spec: string | null;
}

export function clockInfo(): ClockInfo {
  const s = current();
  return s.kind === 'system' ? { source: 'system', frozen: false, spec: null } : { source: 'BAND_NOW', frozen: s.frozen, spec: s.spec };
}

/** Reads BAND_NOW now, so a bad value stops a process at its start with one clear line (ClockError). */
export function initClock(): ClockInfo {
  current();
  return clockInfo();
}

/** Forgets what was read (tests that set BAND_NOW in their own process): the next now() reads the environment again. */
export function reloadClock(): void {
  delete process.env[ANCHOR_ENV];
  state = null;
}
