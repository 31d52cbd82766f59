// Orders for the next session (docs/spec.md §6): an intent approved before its session opens is STAGED, and at the
// open it is released — re-validated against the book of that moment exactly as an approval is (order-check.ts),
// then sent to the broker (the paper broker, or the Redis outbox: ev.intents hears of it now, not at the approval).
// The outcome is in the audit: released (clamped if the position shrank), SUPERSEDED (the band no longer asks for
// it, the position went flat), or back to PENDING (the hard cap, no tick, nothing left to decrease) for the trader
// to decide again. While HALTED or without a config in force nothing is released: the intents stay STAGED and go
// out at the resume (or once a config is valid) if their session is still open, else they expire at its close.
import type { EngineContext } from './context';
import { checkOrder, orderBook } from './order-check';
import { closeOf, haltInfo, openOf, openTime } from './snapshot';
import type { IntentRecord } from './store';

/** Places orders for intents that are APPROVED, inside the caller's transaction: APPROVED → WORKING with the order id. */
export function placeOrders(ctx: EngineContext, recs: readonly IntentRecord[], now: number): string[] {
  if (recs.length === 0) return [];
  const orderIds = ctx.broker.place(
    recs.map((rec) => ({
      intentId: rec.id,
      symbol: rec.symbol,
      classification: rec.classification,
      side: rec.side,
      qty: rec.qty,
      orderType: rec.order_type,
      limitMicro: rec.limit_micro,
    })),
    now,
  );
  recs.forEach((rec, i) => {
    ctx.store.setOrderId(rec.id, orderIds[i]);
    ctx.store.transition(rec.id, 'APPROVED', 'WORKING', 'engine', `order ${orderIds[i]} sent to ${ctx.broker.name}`, now);
  });
  return orderIds;
}

/** STAGED intents whose session is open at `now` (and has not closed). */
function dueForRelease(ctx: EngineContext, now: number): IntentRecord[] {
  return ctx.store.open().filter((r) => r.status === 'STAGED' && now >= openOf(ctx, r.trading_date) && now < closeOf(ctx, r.trading_date));
}

/** May staged orders go out now? Not while HALTED, not without a config in force. */
export function releaseAllowed(ctx: EngineContext): boolean {
  return haltInfo(ctx) === null && ctx.config().config !== null;
}

/** Releases the STAGED intents whose session is open, each re-validated; inside the caller's transaction. */
export function releaseStaged(ctx: EngineContext, now: number): string[] {
  const due = dueForRelease(ctx, now);
  if (due.length === 0 || !releaseAllowed(ctx)) return [];
  const book = orderBook(ctx, now, new Set(due.map((r) => r.id)));
  const opened = `${openTime(ctx)} ${ctx.zone}`;
  const changed: string[] = [];
  const toPlace: IntentRecord[] = [];
  for (const rec of due) {
    const c = checkOrder(book, rec, 'release');
    const at = `at the open of ${rec.trading_date} (${opened})`;
    if (c.kind === 'supersede') {
      if (ctx.store.transition(rec.id, 'STAGED', 'SUPERSEDED', 'engine', `not released ${at}: ${c.why}`, now)) changed.push(rec.id);
      continue;
    }
    if (c.kind === 'refuse') {
      const why = `not released ${at}: ${c.why}; back in the queue as PENDING`;
      if (ctx.store.transition(rec.id, 'STAGED', 'PENDING', 'engine', why, now)) changed.push(rec.id);
      continue;
    }
    if (c.clamped) ctx.store.clampQty(rec.id, 'STAGED', c.qty, 'engine', c.clamped, now);
    const note = c.clamped ? `; ${c.clamped}` : '';
    if (!ctx.store.transition(rec.id, 'STAGED', 'APPROVED', 'engine', `released ${at}: re-validated against the book${note}`, now)) continue;
    changed.push(rec.id);
    toPlace.push({ ...rec, qty: c.qty });
  }
  placeOrders(ctx, toPlace, now);
  return changed;
}
