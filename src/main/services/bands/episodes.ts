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
  return Math.max(1, tradingDaysBetween(startDate, date, cal));
}
