// BAND_NOW (docs/spec.md §2): `<ISO-8601 instant with an offset or Z>` starts a process as if it were then, and its
// time flows on from there; `<instant>@frozen` holds it still. Parsed here (pure); the process clock that reads the
// environment is src/main/services/clock.
import { DateTime } from 'luxon';

export interface ClockSpec {
  /** Epoch ms the process starts at. */
  at: number;
  frozen: boolean;
}

// date, time to the minute at least, then an offset: an instant, never a local time that depends on the machine
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

const BAND_NOW_EXAMPLE = '2026-12-07T10:00:00-05:00';

/** The spec of a BAND_NOW value, or the reason it is not one. */
export function parseBandNow(text: string): ClockSpec | { error: string } {
  const v = text.trim();
  const frozen = v.endsWith('@frozen');
  const instant = frozen ? v.slice(0, -'@frozen'.length) : v;
  if (instant.includes('@')) return { error: `only '@frozen' may follow the instant` };
  if (!INSTANT_RE.test(instant)) {
    return { error: `must be an ISO-8601 instant with an offset or Z (e.g. ${BAND_NOW_EXAMPLE}), optionally followed by @frozen` };
  }
  const dt = DateTime.fromISO(instant, { setZone: true });
  if (!dt.isValid) return { error: `not a real instant (${dt.invalidExplanation ?? dt.invalidReason ?? 'invalid'})` };
  const at = dt.toMillis();
  if (at < 0 || at > 253_402_300_799_999) return { error: 'must be within 1970-01-01 and 9999-12-31' };
  return { at, frozen };
}
