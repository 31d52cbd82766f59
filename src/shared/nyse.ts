// The New York Stock Exchange's calendar from its rules (NYSE Rule 7.2 and its yearly announcements): the full-day
// holidays with their observed dates, and the 1:00 p.m. early closes. A rule set, not a list, so it holds for any
// year; tests/calendar/nyse.test.ts checks it against the exchange's published calendars. One-off closures (national
// days of mourning) are listed as the exchange announced them.

/** Closures outside the rules, as announced by the exchange. */
const SPECIAL_CLOSURES: Readonly<Record<string, string>> = {
  '2025-01-09': 'National Day of Mourning for former President Jimmy Carter',
};

const NYSE_EARLY_CLOSE = '13:00';

const iso = (y: number, m: number, d: number) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
/** 0 = Sunday … 6 = Saturday. */
const weekday = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).getUTCDay();

/** The n-th given weekday (0 = Sunday) of a month; n = -1 for the last. */
function nthWeekday(y: number, m: number, dow: number, n: number): number {
  if (n > 0) {
    const first = weekday(y, m, 1);
    return 1 + ((dow - first + 7) % 7) + (n - 1) * 7;
  }
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return last - ((weekday(y, m, last) - dow + 7) % 7);
}

/** Western Easter Sunday (anonymous Gregorian algorithm). */
function easter(y: number): [number, number] {
  const a = y % 19;
  const b = Math.floor(y / 100);
  const c = y % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month, day];
}

/** A fixed-date holiday observed on Friday when it falls on Saturday, on Monday when on Sunday. */
function observed(y: number, m: number, d: number): string {
  const dow = weekday(y, m, d);
  const t = Date.UTC(y, m - 1, d) + (dow === 6 ? -1 : dow === 0 ? 1 : 0) * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

const holidayCache = new Map<number, ReadonlyMap<string, string>>();

/** The exchange's full-day closures of a year: date → name. */
export function nyseHolidays(year: number): ReadonlyMap<string, string> {
  const hit = holidayCache.get(year);
  if (hit) return hit;
  const out = new Map<string, string>();
  // New Year's Day: on a Saturday it is not observed on the Friday before (that Friday ends the previous year).
  if (weekday(year, 1, 1) !== 6) out.set(observed(year, 1, 1), "New Year's Day");
  if (year >= 1998) out.set(iso(year, 1, nthWeekday(year, 1, 1, 3)), 'Martin Luther King, Jr. Day');
  out.set(iso(year, 2, nthWeekday(year, 2, 1, 3)), "Washington's Birthday");
  const [em, ed] = easter(year);
  out.set(new Date(Date.UTC(year, em - 1, ed) - 2 * 86_400_000).toISOString().slice(0, 10), 'Good Friday');
  out.set(iso(year, 5, nthWeekday(year, 5, 1, -1)), 'Memorial Day');
  if (year >= 2022) out.set(observed(year, 6, 19), 'Juneteenth National Independence Day');
  out.set(observed(year, 7, 4), 'Independence Day');
  out.set(iso(year, 9, nthWeekday(year, 9, 1, 1)), 'Labor Day');
  out.set(iso(year, 11, nthWeekday(year, 11, 4, 4)), 'Thanksgiving Day');
  out.set(observed(year, 12, 25), 'Christmas Day');
  for (const [date, name] of Object.entries(SPECIAL_CLOSURES)) if (date.startsWith(`${year}-`)) out.set(date, name);
  holidayCache.set(year, out);
  return out;
}

/** The exchange's early closes (1:00 p.m.) of a year: date → reason. */
export function nyseEarlyCloses(year: number): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  const closed = nyseHolidays(year);
  // The day before Independence Day, when the 4th falls Tuesday to Friday (so the 3rd is a trading weekday).
  const jul4 = weekday(year, 7, 4);
  if (jul4 >= 2 && jul4 <= 5) out.set(iso(year, 7, 3), 'day before Independence Day');
  out.set(iso(year, 11, nthWeekday(year, 11, 4, 4) + 1), 'day after Thanksgiving');
  // Christmas Eve, when it is a weekday and not itself the observed Christmas holiday.
  const eve = iso(year, 12, 24);
  const dow = weekday(year, 12, 24);
  if (dow >= 1 && dow <= 5 && !closed.has(eve)) out.set(eve, 'Christmas Eve');
  return out;
}

export function isNyseHoliday(date: string): boolean {
  return nyseHolidays(Number(date.slice(0, 4))).has(date);
}

export function nyseEarlyClose(date: string): string | null {
  return nyseEarlyCloses(Number(date.slice(0, 4))).has(date) ? NYSE_EARLY_CLOSE : null;
}
