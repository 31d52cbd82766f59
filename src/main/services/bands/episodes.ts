// Violation episodes (docs/spec.md §4): one starts at the first evaluation that finds a violation and ends at the first
// that finds none; stored, so days_in_violation survives restarts.
import { tradingDaysBetween, type Calendar } from '../../../shared/calendar';
import type { Db } from '../store/db';
import { stmt } from '../engine/stmt';

export interface Episode {
  id: number;
  started_at: number;
  start_date: string;
  violation: string;
}

export function openEpisode(db: Db): Episode | undefined {
  return stmt(db, 'SELECT id, started_at, start_date, violation FROM band_episodes WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1').get() as
    | Episode
    | undefined;
}

export function startEpisode(db: Db, at: number, date: string, violation: string): Episode {
  const id = Number(
    stmt(db, 'INSERT INTO band_episodes (started_at, start_date, violation) VALUES (?, ?, ?)').run(at, date, violation).lastInsertRowid,
  );
  return { id, started_at: at, start_date: date, violation };
}

export function endEpisode(db: Db, id: number, at: number, date: string): void {
  stmt(db, 'UPDATE band_episodes SET ended_at = ?, end_date = ? WHERE id = ? AND ended_at IS NULL').run(at, date, id);
}

/**
 * Trading days from the episode's first trading date to `date`, both counted (first day = 1). An episode that
 * starts on a weekend or holiday counts from the next trading day; it is never less than 1 while it lasts.
 */
export function daysInViolation(startDate: string, date: string, cal: Calendar): number {
  return Math.max(1, countFrom(startDate, date, cal));
}

/**
 * The last count asked for: an episode is counted again at every evaluation, one day further each time. The count
 * of [from, to] is additive over dates (each date counts or not by itself), so [from, to'] for a later to' is it plus
 * the count of (to, to'] under the same calendar (compared by value).
 */
let last: { from: string; to: string; cal: string; n: number } | null = null;

function countFrom(from: string, to: string, cal: Calendar): number {
  const calKey = JSON.stringify([cal.timezone, cal.holidays, cal.exchange ?? null, cal.openDates ?? null, cal.earlyCloses ?? null]);
  let n: number;
  if (last && last.from === from && last.cal === calKey && last.to >= from && to >= last.to) {
    n = to === last.to ? last.n : last.n + tradingDaysBetween(dayAfter(last.to), to, cal);
  } else {
    n = tradingDaysBetween(from, to, cal);
  }
  last = { from, to, cal: calKey, n };
  return n;
}

/** The calendar date after a YYYY-MM-DD date. */
function dayAfter(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d + 1);
  return t.toISOString().slice(0, 10);
}
