// What every read path runs first (the queue, status counts, the console, the CLI): PENDING and STAGED intents of a
// closed session expire, fills and external cancels are synced, day orders past their close end, and STAGED
// intents whose session has opened are released. So nothing of a closed session is ever shown as PENDING, STAGED
// or WORKING, and a console that was closed over an open releases at its next start.
import { tradingDateOf } from '../../../shared/calendar';
import type { EngineContext } from './context';
import { endDayOrders, expire, syncFills } from './lifecycle';
import { releaseAllowed, releaseStaged } from './release';
import { closeOf, openOf } from './snapshot';

/** Is anything due: a closed session's PENDING / STAGED / working intent, or a STAGED one whose session opened? (Cheap.) */
function untidy(ctx: EngineContext, now: number): boolean {
  let allowed: boolean | null = null;
  for (const r of ctx.store.openUpTo(tradingDateOf(now, ctx.zone))) {
    if (now >= closeOf(ctx, r.trading_date)) return true;
    if (r.status === 'STAGED' && now >= openOf(ctx, r.trading_date) && (allowed ??= releaseAllowed(ctx))) return true;
  }
  return false;
}

/** The settling every transaction that acts on intents starts with. Inside a transaction. */
export function settle(ctx: EngineContext, now: number): string[] {
  return [...expire(ctx, now), ...syncFills(ctx, now), ...endDayOrders(ctx, now), ...releaseStaged(ctx, now)];
}

/**
 * Expiry, day-order ends and releases at `now`. Every read path runs it, not only evaluate, approve and reject, so
 * nothing of a closed session is ever shown as PENDING, STAGED or WORKING.
 */
export function tidy(ctx: EngineContext, now: number): string[] {
  if (!untidy(ctx, now)) return [];
  let changed: string[];
  ctx.ledger.run();
  try {
    changed = ctx.db.transaction(() => settle(ctx, now)).immediate();
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
