// Trading calendar in the account time zone (SPEC §2): Monday–Friday minus configured holidays.
import { DateTime } from 'luxon';

/** The account time zone when a config does not name one (SPEC §2). */
export const DEFAULT_TIMEZONE = 'America/New_York';

export interface Calendar {
  timezone: string;
  holidays: readonly string[];
}

/** Is this IANA zone known to the runtime? */
export function isValidTimeZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}

/** Calendar date (YYYY-MM-DD) of an instant in the account time zone. */
export function tradingDateOf(epochMs: number, timezone: string): string {
  return DateTime.fromMillis(epochMs, { zone: timezone }).toISODate() as string;
}

export function isTradingDay(date: string, cal: Calendar): boolean {
  const d = DateTime.fromISO(date, { zone: cal.timezone });
  return d.weekday <= 5 && !cal.holidays.includes(date);
}

/** Trading days from `from` to `to`, both counted when they are trading days (0 if to < from). */
export function tradingDaysBetween(from: string, to: string, cal: Calendar): number {
  if (to < from) return 0;
  let n = 0;
  let d = DateTime.fromISO(from, { zone: 'UTC' });
  const end = DateTime.fromISO(to, { zone: 'UTC' });
  while (d <= end) {
    const iso = d.toISODate() as string;
    if (d.weekday <= 5 && !cal.holidays.includes(iso)) n++;
    d = d.plus({ days: 1 });
  }
  return n;
}

export function nextTradingDay(date: string, cal: Calendar): string {
  let d = DateTime.fromISO(date, { zone: 'UTC' }).plus({ days: 1 });
  while (!isTradingDay(d.toISODate() as string, cal)) d = d.plus({ days: 1 });
  return d.toISODate() as string;
}

export function previousTradingDay(date: string, cal: Calendar): string {
  let d = DateTime.fromISO(date, { zone: 'UTC' }).minus({ days: 1 });
  while (!isTradingDay(d.toISODate() as string, cal)) d = d.minus({ days: 1 });
  return d.toISODate() as string;
}

/** Epoch ms of a local wall-clock time (HH:MM) on a date in the zone. */
export function localTimeToEpoch(date: string, hhmm: string, timezone: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return DateTime.fromISO(date, { zone: timezone }).set({ hour: h, minute: m, second: 0, millisecond: 0 }).toMillis();
}

/** Epoch ms of the end of a trading date (next local midnight) in the zone. */
export function endOfDateEpoch(date: string, timezone: string): number {
  return DateTime.fromISO(date, { zone: timezone }).plus({ days: 1 }).startOf('day').toMillis();
}
