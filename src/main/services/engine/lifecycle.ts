// The engine's own intent transitions: PENDING and STAGED intents whose session has closed expire, working ones
// follow what the ledger recorded (FILLED, or CANCELED by execution), and DAY orders end at their day's close.
// Every read path runs tidy() (engine/tidy.ts) so nothing of a closed session is ever shown as PENDING, STAGED or
// WORKING.
import type { OpenIntent } from '../bands/controller';
import type { EngineContext } from './context';
import { closeOf, closeTime, haltInfo } from './snapshot';
import { WORKING_STATUSES } from './store';

/**
 * PENDING and STAGED intents whose session has closed (the close of their trading date, an early close included)
 * become EXPIRED: what was not worked in its session is never worked later. Inside a transaction.
 */
export function expire(ctx: EngineContext, at: number): string[] {
  const out: string[] = [];
  let held: string | null = null;
  const heldBy = () =>
    (held ??= haltInfo(ctx)
      ? 'the engine was HALTED'
      : ctx.config().config === null
        ? 'no config was in force'
        : 'the console did not run during it');
  for (const r of ctx.store.open()) {
    if (r.status !== 'PENDING' && r.status !== 'STAGED') continue;
    const closedAt = closeOf(ctx, r.trading_date);
    if (at < closedAt) continue;
    const when = `${closeTime(ctx, r.trading_date)} ${ctx.zone}`;
    const why =
      r.status === 'PENDING'
        ? `its session closed (${r.trading_date}, ${when}) before it was approved`
        : `its session closed (${r.trading_date}, ${when}) before it was released: ${heldBy()}`;
    if (ctx.store.transition(r.id, r.status, 'EXPIRED', 'engine', why, Math.max(closedAt, r.updated_at))) out.push(r.id);
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

/**
 * Open intents as the controller and the cap checks count them: what is left of each to fill. `committed`: only
 * what a trader approved (STAGED, APPROVED, WORKING), less the intents in `exclude` (a release counts its own batch
 * as it goes).
 */
export function openIntents(ctx: EngineContext, committed = false, exclude?: ReadonlySet<string>): OpenIntent[] {
  const open = ctx.store.open().filter((r) => (!committed || r.status !== 'PENDING') && !exclude?.has(r.id));
  const working = open.filter((r) => WORKING_STATUSES.includes(r.status)).map((r) => r.id);
  const filled = working.length ? ctx.ledger.filledQty(working) : new Map<string, number>();
  return open.map((r) => ({
    symbol: r.symbol,
    classification: r.classification,
    remainingQty: r.qty - (filled.get(r.id) ?? 0),
    band: r.kind === 'BAND',
    fallbackPriceMicro: r.tick_micro ?? r.limit_micro,
  }));
}
