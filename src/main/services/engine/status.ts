// The engine's status (the console's header, `bandctl status`) and the kill switch: HALT holds every order back
// until resume, which lets out only the orders still valid.
import { tradingDateOf } from '../../../shared/calendar';
import type { AppStatus } from '../../../shared/types';
import { daysInViolation, openEpisode } from '../bands/episodes';
import { isViolated, violationOf } from '../bands/controller';
import { dropQueued, outboxHeld, queuedOrders } from '../streams/outbox';
import type { EngineContext } from './context';
import { clockInfo } from '../clock';
import { bandStatus, haltInfo, HALT_KEY, MODE_KEY, snapshot, type HaltInfo } from './snapshot';
import { settle, tidy } from './tidy';
import { getStateFast as getState, setStateFast as setState } from './stmt';
import { WORKING_STATUSES } from './store';

export function status(ctx: EngineContext, now: number): AppStatus {
  tidy(ctx, now);
  const s = snapshot(ctx, now);
  const band = s.cfg.buckets.LT.band_drift;
  const violated = isViolated(violationOf(s.measure, band));
  let days = 0;
  if (violated) {
    const ep = openEpisode(ctx.db);
    days = ep ? daysInViolation(ep.start_date, tradingDateOf(now, s.cal.timezone), s.cal) : 1;
  }
  return {
    mode: s.mode,
    status: bandStatus(s, violated, days),
    long_pct: s.measure.long_pct,
    short_pct: s.measure.short_pct,
    gross_pct: s.measure.gross_pct,
    equity: s.cfg.account.equity,
    hard_cap_gross_pct: s.cfg.global.hard_cap_gross_pct,
    days_in_violation: days,
    long_pct_range: [band.long_pct_range[0], band.long_pct_range[1]],
    short_pct_range: [band.short_pct_range[0], band.short_pct_range[1]],
    tolerance_days: band.tolerance_days,
    price_source: ctx.prices.name,
    stream: { ...ctx.health.stream },
    timezone: s.cal.timezone,
    now,
    clock: (({ source, frozen }) => ({ source, frozen }))(clockInfo()),
    session: {
      phase: s.session.phase,
      closed_for: s.session.closed_for,
      date: s.session.session.date,
      open: s.session.session.open,
      close: s.session.session.close,
      opens_at: s.session.session.opens_at,
      closes_at: s.session.session.closes_at,
      last_date: s.session.last.date,
      last_closes_at: s.session.last.closes_at,
    },
    config: {
      valid: s.state.valid,
      messages: [...s.state.messages],
      file: s.state.file ?? null,
      in_force: s.state.config === null ? 'none' : s.state.valid ? 'file' : 'last-valid',
    },
    pending_intents: ctx.store.countPending(),
    working_intents: ctx.store.countWorking(),
    staged_intents: ctx.store.countStaged(),
    orders_held: s.mode === 'HALTED' ? heldOrders(ctx) : 0,
    stale_prices: s.stale.map((x) => x.symbol),
    market_close: s.session.session.close,
    calendar: {
      exchange: s.cal.exchange ?? null,
      holidays: [...s.cal.holidays],
      open_dates: [...(s.cal.openDates ?? [])],
      early_closes: { ...(s.cal.earlyCloses ?? {}) },
    },
    demo: !!getState(ctx.db, 'demo_loaded_at'),
    integrity: { ...ctx.health.integrity },
    last_cycle_at: (ctx.st.lastCycle.get() as number | undefined) ?? null,
  };
}

/** Tells 'status' listeners, if there are any. */
export function emitStatus(ctx: EngineContext, now: number): void {
  if (!ctx.events.has('status')) return;
  try {
    ctx.events.emit('status', status(ctx, now));
  } catch {
    // status is best effort for listeners (e.g. the database is closing)
  }
}

export function halt(ctx: EngineContext, actor: string, reason: string, now: number): AppStatus {
  const info: HaltInfo = { at: now, actor, reason };
  ctx.db.transaction(() => {
    setState(ctx.db, HALT_KEY, JSON.stringify(info));
    const s = snapshot(ctx, ctx.now());
    ctx.st.cycle.run(now, 'HALTED', 'SUSPENDED', `HALTED by ${actor}${reason ? `: ${reason}` : ''}; nothing is proposed and no order is sent`);
    setState(ctx.db, MODE_KEY, s.mode);
  })();
  const st = status(ctx, now);
  ctx.events.emit('status', st);
  return st;
}

export function resume(ctx: EngineContext, actor: string, now: number): AppStatus {
  const changed: string[] = [];
  ctx.ledger.run();
  ctx.db.transaction(() => {
    if (!haltInfo(ctx)) return;
    // Orders held by the HALT go out now only if still valid: their intent still WORKING and its day not closed.
    changed.push(...settle(ctx, now));
    if (ctx.st.hasOutbox) {
      for (const q of queuedOrders(ctx.db)) {
        const rec = ctx.store.get(q.intent_id);
        if (rec && WORKING_STATUSES.includes(rec.status)) continue;
        dropQueued(ctx.db, q.id, `not published after the HALT: intent ${q.intent_id} is ${rec?.status ?? 'unknown'}`, now);
      }
    }
    setState(ctx.db, HALT_KEY, '');
    // Staged orders whose session opened during the HALT go out now, re-validated as at any release.
    changed.push(...settle(ctx, now));
    const s = snapshot(ctx, ctx.now());
    ctx.st.cycle.run(now, s.mode, s.mode === 'NORMAL' ? 'IN_BAND' : 'SUSPENDED', `resumed by ${actor}; mode ${s.mode}`);
    setState(ctx.db, MODE_KEY, s.mode);
  })();
  if (changed.length) ctx.events.emit('intents:changed', { ids: changed });
  const st = status(ctx, now);
  ctx.events.emit('status', st);
  return st;
}

/**
 * Orders the kill switch holds back: queued for the execution service, paper orders that may not fill, and staged
 * orders, which are not released while it lasts.
 */
function heldOrders(ctx: EngineContext): number {
  const queued = (ctx.st.hasOutbox ? outboxHeld(ctx.db) : 0) + ctx.store.countStaged();
  return ctx.broker.name === 'paper' ? queued + ctx.store.countWorking() : queued;
}
