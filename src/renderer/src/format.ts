// Display formatting: thousands separators everywhere, money to the cent, percentages to one decimal.
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const money2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const pct1 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const pct2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const DASH = '—';

export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? DASH : int.format(n);
}
export function fmtSignedInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return n > 0 ? `+${int.format(n)}` : int.format(n);
}
export function fmtMoney(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return n < 0 ? `-$${money2.format(-n)}` : `$${money2.format(n)}`;
}
export function fmtPrice(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? DASH : money2.format(n);
}
export function fmtMoneyShort(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  const a = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  if (a >= 1e9) return `${sign}$${pct2.format(a / 1e9)}B`;
  if (a >= 1e6) return `${sign}$${pct2.format(a / 1e6)}M`;
  if (a >= 1e3) return `${sign}$${pct1.format(a / 1e3)}K`;
  return `${sign}$${money2.format(a)}`;
}
export function fmtPct(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return `${(digits === 2 ? pct2 : pct1).format(n)}%`;
}
export function fmtSignedPct(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return `${n > 0 ? '+' : ''}${pct2.format(n)}%`;
}
/** A change between two percentages, in percentage points to two decimals: `-0.15 pt`. */
export function fmtSignedPt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return `${n > 0 ? '+' : ''}${pct2.format(n)} pt`;
}

export function fmtAge(fromMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - fromMs) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d`;
}

export function fmtTime(ms: number | null | undefined, timeZone: string, withDate = true): string {
  if (ms === null || ms === undefined) return DASH;
  const d = new Date(ms);
  const opts: Intl.DateTimeFormatOptions = {
    timeZone,
    hour12: false,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    ...(withDate ? { year: 'numeric', month: '2-digit', day: '2-digit' } : {}),
  };
  const parts = new Intl.DateTimeFormat('en-CA', opts).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const time = `${get('hour')}:${get('minute')}:${get('second')}`;
  return withDate ? `${get('year')}-${get('month')}-${get('day')} ${time}` : time;
}

/** A band status as the trader reads it: IN_BAND → IN BAND. */
export function fmtBandStatus(status: string): string {
  return status.replace('_', ' ');
}

/** Calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function dateIn(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

export function tzAbbrev(ms: number, timeZone: string): string {
  const p = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(new Date(ms));
  return p.find((x) => x.type === 'timeZoneName')?.value ?? timeZone;
}

export function humanClassification(c: string): string {
  return c.replace(/_/g, ' ');
}

/** `MM-DD HH:MM:SS` in a time zone: dense timestamps for grids. */
export function fmtStamp(ms: number | null | undefined, timeZone: string): string {
  if (ms === null || ms === undefined) return DASH;
  return fmtTime(ms, timeZone, true).slice(5);
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** A calendar date (YYYY-MM-DD) as the session notes write it: `Mon 12/14`. */
export function fmtDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return `${WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]} ${date.slice(5, 7)}/${date.slice(8, 10)}`;
}

/** An instant as its weekday and time in a zone: `Mon 09:30`. */
export function fmtWeekdayTime(ms: number, timeZone: string): string {
  return `${fmtDay(dateIn(ms, timeZone)).slice(0, 3)} ${fmtTime(ms, timeZone, false).slice(0, 5)}`;
}
