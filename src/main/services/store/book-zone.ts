// One time zone per book. Trading dates of fills, trading days of episodes, expiry and day orders are all dates in
// the account time zone: a book whose processes disagree about it would date one fill in two days. The zone is
// stored in the database when it is created (bandctl init, the console's first start) or, for a book from before
// this rule, by the first process that opens it; a process configured with another zone is refused.
import { DEFAULT_TIMEZONE } from '../../../shared/calendar';
import { getStateFast as getState, setStateFast as setState } from '../engine/stmt';
import { StoreError, type Db } from './db';

const BOOK_ZONE_KEY = 'account.timezone';

/** The zone stored in the book, or null for a book that has none yet. */
export function storedZone(db: Db): string | null {
  return getState(db, BOOK_ZONE_KEY) ?? null;
}

/** The message for a process configured with another zone than the book's (one line). */
export function zoneMismatch(db: Db, stored: string, configured: string, source: string): string {
  return (
    `database ${db.name} keeps its book in account time zone ${stored}, but ${source} says ${configured}: ` +
    `one book has one time zone (it dates every fill, trading day and expiry); set account.timezone: ${stored} ` +
    'or use another database'
  );
}

/**
 * The book's account time zone. `configured` is the zone this process was given (its config), if any: it must
 * equal the stored one (StoreError ZONE_MISMATCH otherwise). A book without a stored zone takes `configured`, else
 * the default, and keeps it.
 */
export function bookZone(db: Db, configured?: string | null, source = 'the config'): string {
  const stored = storedZone(db);
  if (stored) {
    if (configured && configured !== stored) throw new StoreError(zoneMismatch(db, stored, configured, source), 'ZONE_MISMATCH');
    return stored;
  }
  const zone = configured || DEFAULT_TIMEZONE;
  if (!db.readonly) setState(db, BOOK_ZONE_KEY, zone);
  return zone;
}
