// The engine's own intent transitions: PENDING intents of an earlier day expire, working ones follow what the
// ledger recorded (FILLED, or CANCELED by execution), and DAY orders end at their day's close. Every read path
// runs tidy() so nothing of an earlier day is ever shown as PENDING or WORKING.
import { tradingDateOf } from '../../../shared/calendar';
import type { OpenIntent } from '../bands/controller';
import type { EngineContext } from './context';
import { closeOf, closeTime } from './snapshot';
import { WORKING_STATUSES } from './store';

/** PENDING intents of a trading date before `today` become EXPIRED. Inside a transaction. */
export function expire(ctx: EngineContext, today: string, at: number): string[] {
  const out: string[] = [];
  for (const r of ctx.store.stalePending(today)) {
    if (ctx.store.transition(r.id, 'PENDING', 'EXPIRED', 'engine', `end of trading day ${r.trading_date}`, at)) {
      out.push(r.id);
    }
  }
  return out;
}

/** Moves working intents to FILLED (or CANCELED) from what the ledger has recorded. Inside a transaction. */
export function syncFills(ctx: EngineContext, at: number): string[] {
  const working = ctx.store.open().filter((r) => WORKING_STATUSES.includes(r.status));
  if (working.length === 0) return [];
  const ids = working.map((r) => r.id);
  const filled = ctx.ledger.filledQty(ids);
  const closed = ctx.ledger.closedOrders(ids);
  const changed: string[] = [];
  for (const r of working) {
    const f = filled.get(r.id) ?? 0;
    if (f >= r.qty) {
      if (ctx.store.transition(r.id, r.status, 'FILLED', 'engine', `filled ${f} of ${r.qty}`, at)) changed.push(r.id);
    } else if (closed.has(r.id)) {
      const why = `order ${r.order_id ?? ''} ${closed.get(r.id)} by execution after ${f} of ${r.qty} filled`;
      // The execution side closed it: the paper order must not fill later (no event back: it came from there).
      if (r.order_id) ctx.broker.cancel([{ intentId: r.id, orderId: r.order_id }], at, { reason: why, notify: false });
      if (ctx.store.transition(r.id, r.status, 'CANCELED', 'engine', why, at)) changed.push(r.id);
    }
  }
  return changed;
}

/**
 * Approved orders are DAY orders: a working order whose trading day has closed (account.market_close in the
 * account time zone) is canceled at the broker and its intent CANCELED ("day order ended"). Inside a transaction.
 */
export function endDayOrders(ctx: EngineContext, at: number): string[] {
  const working = ctx.store.open().filter((r) => WORKING_STATUSES.includes(r.status));
  const due = working.filter((r) => at >= closeOf(ctx, r.trading_date));
  if (due.length === 0) return [];
  const filled = ctx.ledger.filledQty(due.map((r) => r.id));
  const changed: string[] = [];
  for (const r of due) {
    const f = filled.get(r.id) ?? 0;
    if (f >= r.qty) {
      if (ctx.store.transition(r.id, r.status, 'FILLED', 'engine', `filled ${f} of ${r.qty}`, at)) changed.push(r.id);
      continue;
    }
    const closedAt = closeOf(ctx, r.trading_date);
    const why = `day order ended at the close (${closeTime(ctx, r.trading_date)} ${ctx.zone}) of ${r.trading_date}; filled ${f} of ${r.qty}`;
    if (r.order_id) ctx.broker.cancel([{ intentId: r.id, orderId: r.order_id }], closedAt, { reason: why, notify: true });
    if (ctx.store.transition(r.id, r.status, 'CANCELED', 'engine', why, Math.max(closedAt, r.updated_at))) changed.push(r.id);
  }
  return changed;
}

/** Is there a PENDING intent of an earlier day, or a working order past its close? (Cheap: read paths ask.) */
function untidy(ctx: EngineContext, now: number): boolean {
  const today = tradingDateOf(now, ctx.zone);
  for (const r of ctx.store.openUpTo(today)) {
    if (r.status === 'PENDING' ? r.trading_date < today : now >= closeOf(ctx, r.trading_date)) return true;
  }
  return false;
}

/**
 * Expiry and day-order ends at `now`. Every read path runs it (the queue, status counts, the console, the CLI),
 * not only evaluate, approve and reject, so nothing of an earlier day is ever shown as PENDING or WORKING.
 */
export function tidy(ctx: EngineContext, now: number): string[] {
  if (!untidy(ctx, now)) return [];
  let changed: string[];
  ctx.ledger.run();
  try {
    changed = ctx.db
      .transaction(() => [...expire(ctx, tradingDateOf(now, ctx.zone), now), ...syncFills(ctx, now), ...endDayOrders(ctx, now)])
      .immediate();
  } catch (e) {
    ctx.book.invalidate();
    throw e;
  }
  if (changed.length) ctx.events.emit('intents:changed', { ids: changed });
  return changed;
}

/** Applies the ledger's log and syncs intent fills (CLI commands and cycles call this first). */
export function sync(ctx: EngineContext, now: number): string[] {
  ctx.ledger.run();
  const changed = ctx.db.transaction(() => syncFills(ctx, now))();
  if (changed.length) ctx.events.emit('intents:changed', { ids: changed });
  return changed;
}

/** Open intents as the controller and the cap check count them: what is left of each to fill. */
export function openIntents(ctx: EngineContext, workingOnly = false): OpenIntent[] {
  const open = ctx.store.open().filter((r) => !workingOnly || r.status !== 'PENDING');
  const working = open.filter((r) => r.status !== 'PENDING').map((r) => r.id);
  const filled = working.length ? ctx.ledger.filledQty(working) : new Map<string, number>();
  return open.map((r) => ({
    symbol: r.symbol,
    classification: r.classification,
    remainingQty: r.qty - (filled.get(r.id) ?? 0),
    band: r.kind === 'BAND',
    fallbackPriceMicro: r.tick_micro ?? r.limit_micro,
  }));
}
