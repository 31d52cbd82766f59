// Trading calendar in the account time zone (docs/spec.md §2): Monday–Friday minus holidays. For a New York account the
// exchange's own calendar applies (NYSE holidays and 1:00 p.m. early closes, src/shared/nyse.ts); the config adds
// holidays, opens dates the exchange closes, and adds or moves early closes. Other zones have the config's only.
import { DateTime } from 'luxon';
import { isNyseHoliday, nyseEarlyClose } from './nyse';

/** The account time zone when a config does not name one (docs/spec.md §2). */
export const DEFAULT_TIMEZONE = 'America/New_York';

export interface Calendar {
  timezone: string;
  /** Closed dates besides weekends (the config's `holidays`); the exchange's are added by `exchange`. */
  holidays: readonly string[];
  /** The built-in exchange calendar in force (`NYSE` for America/New_York by default), or none. */
  exchange?: 'NYSE' | null;
  /** Dates that trade although the exchange calendar closes them (the config's `open_dates`). */
  openDates?: readonly string[];
  /** Early closes (date → HH:MM) beside the exchange's, or moving them (the config's `early_closes`). */
  earlyCloses?: Readonly<Record<string, string>>;
}

/** The account part of a config, as far as the calendar needs it. */
export interface CalendarSettings {
  holidays: readonly string[];
  open_dates?: readonly string[];
  early_closes?: Readonly<Record<string, string>>;
}

/** The calendar of a book: its zone, the exchange calendar that goes with it, and the config's changes. */
export function accountCalendar(timezone: string, s: CalendarSettings): Calendar {
  return {
    timezone,
    holidays: s.holidays,
    exchange: timezone === 'America/New_York' ? 'NYSE' : null,
    openDates: s.open_dates ?? [],
    earlyCloses: s.early_closes ?? {},
  };
}

/** Is this date closed all day (weekends aside)? */
function isHoliday(date: string, cal: Calendar): boolean {
  if (cal.holidays.includes(date)) return true;
  if (cal.exchange === 'NYSE' && isNyseHoliday(date)) return !(cal.openDates ?? []).includes(date);
  return false;
}

/** The close of a trading date (HH:MM in the account zone): an early close, else the regular `marketClose`. */
export function closeTimeOf(date: string, cal: Calendar, marketClose: string): string {
  const own = cal.earlyCloses?.[date];
  if (own) return own;
  return (cal.exchange === 'NYSE' ? nyseEarlyClose(date) : null) ?? marketClose;
}

/** HH:MM shifted by minutes (clamped to the day). */
export function shiftHhmm(hhmm: string, minutes: number): string {
  const [h, m] = hhmm.split(':').map(Number);
  const t = Math.min(23 * 60 + 59, Math.max(0, h * 60 + m + minutes));
  return `${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
}

/** Minutes from a to b (HH:MM). */
export function minutesBetween(a: string, b: string): number {
  const [ah, am] = a.split(':').map(Number);
  const [bh, bm] = b.split(':').map(Number);
  return bh * 60 + bm - (ah * 60 + am);
}

/** A real calendar date written YYYY-MM-DD (2024-02-30 is not). */
export function isIsoDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  // plain date arithmetic: the first luxon DateTime of a process costs ~15 ms of ICU start-up
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** Is this IANA zone known to the runtime? */
export function isValidTimeZone(zone: string): boolean {
  return DateTime.fromMillis(0).setZone(zone).isValid;
}

/** Calendar date (YYYY-MM-DD) of an instant in the account time zone. */
export function tradingDateOf(epochMs: number, timezone: string): string {
  return DateTime.fromMillis(epochMs, { zone: timezone }).toISODate() as string;
}

export function isTradingDay(date: string, cal: Calendar): boolean {
  const d = DateTime.fromISO(date, { zone: cal.timezone });
  return d.weekday <= 5 && !isHoliday(date, cal);
}

/** Trading days from `from` to `to`, both counted when they are trading days (0 if to < from). */
export function tradingDaysBetween(from: string, to: string, cal: Calendar): number {
  if (to < from) return 0;
  let n = 0;
  let d = DateTime.fromISO(from, { zone: 'UTC' });
  const end = DateTime.fromISO(to, { zone: 'UTC' });
  while (d <= end) {
    const iso = d.toISODate() as string;
    if (d.weekday <= 5 && !isHoliday(iso, cal)) n++;
    d = d.plus({ days: 1 });
  }
  return n;
}

export function nextTradingDay(date: string, cal: Calendar): string {
  let d = DateTime.fromISO(date, { zone: 'UTC' }).plus({ days: 1 });
  while (!isTradingDay(d.toISODate() as string, cal)) d = d.plus({ days: 1 });
  return d.toISODate() as string;
}

/** The trading day `n` trading days after `date` (n < 0: before). */
export function shiftTradingDays(date: string, n: number, cal: Calendar): string {
  let d = date;
  for (let i = 0; i < Math.abs(n); i++) d = n > 0 ? nextTradingDay(d, cal) : previousTradingDay(d, cal);
  return d;
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
