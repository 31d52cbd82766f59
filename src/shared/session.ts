// The trading session of an instant (docs/spec.md §2): from the account calendar each instant is in one phase —
// PRE_OPEN (a trading day before its open), OPEN (from the open to the close, early closes included), CLOSED (a
// trading day at or after its close) or NO_SESSION (a weekend or a holiday) — and has one session that orders are
// for: the one open now, else the next one to open. Pure: the main process and the renderer compute the same.
import { closeTimeOf, isTradingDay, localTimeToEpoch, nextTradingDay, previousTradingDay, tradingDateOf, type Calendar } from './calendar';

export const SESSION_PHASES = ['PRE_OPEN', 'OPEN', 'CLOSED', 'NO_SESSION'] as const;
export type SessionPhase = (typeof SESSION_PHASES)[number];

/** The regular hours of the account (HH:MM in its zone): `account.market_open` and `account.market_close`. */
export interface SessionHours {
  open: string;
  close: string;
}

/** The regular hours of an account section of the config (defaults 09:30 and 16:00, docs/spec.md §3). */
export function accountHours(a: { market_open?: string; market_close?: string }): SessionHours {
  return { open: a.market_open ?? '09:30', close: a.market_close ?? '16:00' };
}

/** One trading date's session: its open and its close (an early close included), as HH:MM and epoch ms. */
export interface SessionTimes {
  date: string;
  open: string;
  close: string;
  opens_at: number;
  closes_at: number;
}

export interface SessionInfo {
  phase: SessionPhase;
  /** NO_SESSION only: why the date does not trade. */
  closed_for: 'weekend' | 'holiday' | null;
  /** The session orders are for: the one open now, else the next to open (PRE_OPEN: today's). */
  session: SessionTimes;
  /** The last session that has closed at or before the instant. */
  last: SessionTimes;
}

/** The session of a trading date (the date is assumed to trade; callers check). */
function sessionTimes(date: string, cal: Calendar, hours: SessionHours): SessionTimes {
  const close = closeTimeOf(date, cal, hours.close);
  return {
    date,
    open: hours.open,
    close,
    opens_at: localTimeToEpoch(date, hours.open, cal.timezone),
    closes_at: localTimeToEpoch(date, close, cal.timezone),
  };
}

/** The phase of an instant and the sessions around it. */
export function sessionAt(at: number, cal: Calendar, hours: SessionHours): SessionInfo {
  const today = tradingDateOf(at, cal.timezone);
  if (!isTradingDay(today, cal)) {
    const weekday = new Date(`${today}T00:00:00Z`).getUTCDay();
    return {
      phase: 'NO_SESSION',
      closed_for: weekday === 0 || weekday === 6 ? 'weekend' : 'holiday',
      session: sessionTimes(nextTradingDay(today, cal), cal, hours),
      last: sessionTimes(previousTradingDay(today, cal), cal, hours),
    };
  }
  const own = sessionTimes(today, cal, hours);
  if (at < own.opens_at) {
    return { phase: 'PRE_OPEN', closed_for: null, session: own, last: sessionTimes(previousTradingDay(today, cal), cal, hours) };
  }
  if (at < own.closes_at) {
    return { phase: 'OPEN', closed_for: null, session: own, last: sessionTimes(previousTradingDay(today, cal), cal, hours) };
  }
  return { phase: 'CLOSED', closed_for: null, session: sessionTimes(nextTradingDay(today, cal), cal, hours), last: own };
}

/** The next instant after `at` at which the phase changes (an open or a close). */
export function nextSessionBoundary(at: number, cal: Calendar, hours: SessionHours): number {
  const s = sessionAt(at, cal, hours);
  return s.phase === 'OPEN' ? s.session.closes_at : s.session.opens_at;
}
