// The book as one cycle, approval or status read sees it: config in force, calendar, valuation, band measure,
// hard cap and mode (NORMAL / DERISK / HALTED); and the trading-day close every day order ends at.
import { accountCalendar, closeTimeOf, localTimeToEpoch, previousTradingDay, type Calendar } from '../../../shared/calendar';
import { accountHours, sessionAt, type SessionHours, type SessionInfo } from '../../../shared/session';
import type { BandStatus, EngineMode } from '../../../shared/domain';
import type { RiskConfig } from '../config/schema';
import { capMicro, type BandMeasure, type BookPosition } from '../bands/math';
import type { StalePrice } from '../bands/valuation';
import type { ConfigStateLike } from './config';
import type { EngineContext } from './context';
import { getStateFast as getState } from './stmt';

export interface HaltInfo {
  at: number;
  actor: string;
  reason: string;
}

interface Snapshot {
  state: ConfigStateLike;
  cfg: RiskConfig;
  /** A config is in force (the file's, or the last valid one while the file is invalid): approvals may run. */
  usable: boolean;
  cal: Calendar;
  /** The phase of the instant and the session orders are for (docs/spec.md §2). */
  session: SessionInfo;
  positions: BookPosition[];
  /** Truth ticks (micro-USD): candidates, limit prices, an increase's cap check. */
  ticks: ReadonlyMap<string, number>;
  /** The price each exposure figure uses: fresh tick, else old tick, else average cost. */
  prices: ReadonlyMap<string, number>;
  stale: StalePrice[];
  measure: BandMeasure;
  cap: bigint;
  mode: EngineMode;
  halt: HaltInfo | null;
  controllerOn: boolean;
}

export const HALT_KEY = 'engine.halted';
export const MODE_KEY = 'engine.mode';

export const pct1 = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)}%`);

export function haltInfo(ctx: EngineContext): HaltInfo | null {
  const s = getState(ctx.db, HALT_KEY);
  if (!s) return null;
  try {
    return JSON.parse(s) as HaltInfo;
  } catch {
    return { at: 0, actor: 'unknown', reason: s };
  }
}

/**
 * localTimeToEpoch, remembered: a pure function of its three arguments (the zone rules cannot change in a process),
 * asked for the same few closes on every tick a day's working orders see. Bounded: cleared when it grows past 4,096.
 */
const epochs = new Map<string, number>();
function localEpoch(date: string, hhmm: string, zone: string): number {
  const key = `${date} ${hhmm} ${zone}`;
  let t = epochs.get(key);
  if (t === undefined) {
    t = localTimeToEpoch(date, hhmm, zone);
    if (epochs.size >= 4096) epochs.clear();
    epochs.set(key, t);
  }
  return t;
}

export function snapshot(ctx: EngineContext, now: number): Snapshot {
  const state = ctx.config();
  const cfg = ctx.book.effectiveConfig();
  const cal: Calendar = accountCalendar(ctx.zone, cfg.account);
  const session = sessionAt(now, cal, hoursOf(cfg));
  const positions = ctx.book.positions();
  // Stale: a tick from before 00:00 of the session before the one orders are for, or none at all (valued at average
  // cost). So the last session's closing tick stays fresh overnight, over a weekend and through the next session.
  const freshFrom = localEpoch(previousTradingDay(session.session.date, cal), '00:00', ctx.zone);
  const { valuation: v, measure } = ctx.book.valued(positions, freshFrom, cfg.account.equity);
  const cap = capMicro(cfg.account.equity, cfg.global.hard_cap_gross_pct);
  const halt = haltInfo(ctx);
  const mode: EngineMode = halt ? 'HALTED' : measure.globalGrossMicro > cap ? 'DERISK' : 'NORMAL';
  const controllerOn = state.valid && state.config !== null && cfg.buckets.LT.band_drift.enabled;
  return {
    state,
    cfg,
    usable: state.config !== null,
    cal,
    session,
    positions,
    ticks: v.ticks,
    prices: v.prices,
    stale: v.stale,
    measure,
    cap,
    mode,
    halt,
    controllerOn,
  };
}

/** The regular hours of a config. */
export function hoursOf(cfg: RiskConfig): SessionHours {
  return accountHours(cfg.account);
}

/** The phase of an instant under the config in force, and the session orders are for. */
export function sessionNow(ctx: EngineContext, now: number): SessionInfo {
  const cfg = ctx.book.effectiveConfig();
  return sessionAt(now, accountCalendar(ctx.zone, cfg.account), hoursOf(cfg));
}

/** Epoch ms of the close of a trading date (an early close included): approved orders are DAY orders. */
export function closeOf(ctx: EngineContext, tradingDate: string): number {
  return localEpoch(tradingDate, closeTime(ctx, tradingDate), ctx.zone);
}

/** Epoch ms of the open of a trading date's session: staged orders are released here. */
export function openOf(ctx: EngineContext, tradingDate: string): number {
  return localEpoch(tradingDate, ctx.book.effectiveConfig().account.market_open, ctx.zone);
}

/** HH:MM of the regular open in the account zone. */
export function openTime(ctx: EngineContext): string {
  return ctx.book.effectiveConfig().account.market_open;
}

/** HH:MM of the close of a trading date in the account zone. */
export function closeTime(ctx: EngineContext, tradingDate: string): string {
  const cfg = ctx.book.effectiveConfig();
  return closeTimeOf(tradingDate, accountCalendar(ctx.zone, cfg.account), cfg.account.market_close);
}

export function bandStatus(s: Snapshot, violated: boolean, days: number): BandStatus {
  if (s.mode !== 'NORMAL' || !s.controllerOn) return 'SUSPENDED';
  if (s.measure.long_pct === null) return 'NO_EXPOSURE';
  if (!violated) return 'IN_BAND';
  return days <= s.cfg.buckets.LT.band_drift.tolerance_days ? 'WATCH' : 'CORRECTING';
}

export function suspendedWhy(s: Snapshot): string {
  if (s.mode === 'HALTED') return `HALTED by ${s.halt?.actor ?? '?'}${s.halt?.reason ? ` (${s.halt.reason})` : ''}`;
  if (s.mode === 'DERISK') {
    return `DERISK: gross ${pct1(s.measure.gross_pct)} > hard cap ${s.cfg.global.hard_cap_gross_pct.toFixed(1)}%`;
  }
  if (!s.state.valid || s.state.config === null) return `config invalid: ${s.state.messages.join('; ') || 'no valid config'}`;
  return 'controller disabled (buckets.LT.band_drift.enabled: false)';
}
