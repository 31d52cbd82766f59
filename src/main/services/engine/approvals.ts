// The trader's actions on intents (docs/spec.md §6), each intent independently and each batch in one transaction:
// approve (re-validated inside that transaction against the book, the band, the hard cap and the session, then sent
// to the broker as a DAY order — or, before its session opens, STAGED until the open), reject a PENDING intent,
// cancel a working or staged order.
import type { IntentOutcome } from '../../../shared/types';
import type { EngineContext } from './context';
import { checkOrder, orderBook } from './order-check';
import { placeOrders } from './release';
import { closeOf, closeTime, openOf, openTime } from './snapshot';
import { emitStatus } from './status';
import { COMMITTED_STATUSES, WORKING_STATUSES, type IntentRecord } from './store';
import { settle } from './tidy';
import { errorMessage } from '../../../shared/errors';

/**
 * Approves each intent independently (docs/spec.md §6): PENDING → APPROVED → WORKING with an order at the broker, or
 * PENDING → STAGED when its session has not opened yet. Idempotent (an intent already staged, approved, working or
 * filled sends no second order); REJECTED / EXPIRED / SUPERSEDED / CANCELED are refused with their state; an
 * increase is refused if, at this moment's ticks, gross plus every committed increase plus it would pass the hard
 * cap; nothing is approved while HALTED.
 */
export function approve(ctx: EngineContext, ids: readonly string[], actor: string, now: number): IntentOutcome[] {
  if (ids.length === 0) return [];
  ctx.ledger.run();
  let outcomes: IntentOutcome[];
  const changed: string[] = [];
  try {
    outcomes = ctx.db.transaction(() => approveTx(ctx, ids, actor, now, changed)).immediate();
  } catch (e) {
    ctx.book.invalidate();
    const msg = `internal error, nothing approved: ${errorMessage(e)}`;
    changed.length = 0;
    outcomes = ids.map((id) => ({ id, ok: false, status: ctx.store.get(id)?.status ?? null, message: msg }));
  }
  if (changed.length) {
    ctx.events.emit('intents:changed', { ids: changed });
    emitStatus(ctx, now);
  }
  return outcomes;
}

/** "Mon 2026-12-07 09:30 America/New_York": when a staged intent of that session goes out. */
function releaseText(ctx: EngineContext, date: string): string {
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(`${date}T00:00:00Z`).getUTCDay()];
  return `${weekday} ${date} ${openTime(ctx)} ${ctx.zone}`;
}

function approveTx(ctx: EngineContext, ids: readonly string[], actor: string, now: number, changed: string[]): IntentOutcome[] {
  // What happened since the intents were proposed is settled first: intents of a closed session expire, fills and
  // external cancels are synced, day orders past their close end, staged orders of an open session go out.
  changed.push(...settle(ctx, now));
  const book = orderBook(ctx, now);
  const { s } = book;
  const outcomes = new Map<number, IntentOutcome>();
  const toPlace: { idx: number; rec: IntentRecord; clamped: string | null }[] = [];
  ids.forEach((id, idx) => {
    const rec = ctx.store.get(id);
    if (!rec) {
      outcomes.set(idx, { id, ok: false, status: null, message: `no intent ${id}` });
      return;
    }
    const st = rec.status;
    if (st === 'STAGED') {
      outcomes.set(idx, { id, ok: true, status: st, message: `intent ${id} is already STAGED (releases ${releaseText(ctx, rec.trading_date)}); no second order sent` });
      return;
    }
    if (st === 'APPROVED' || st === 'WORKING' || st === 'FILLED') {
      outcomes.set(idx, { id, ok: true, status: st, message: `intent ${id} is already ${st}; no second order sent` });
      return;
    }
    if (st !== 'PENDING') {
      const extra = st === 'EXPIRED' ? ` (its session ${rec.trading_date} closed)` : '';
      outcomes.set(idx, { id, ok: false, status: st, message: `intent ${id} is ${st}${extra}; cannot approve` });
      return;
    }
    if (!s.usable) {
      outcomes.set(idx, {
        id,
        ok: false,
        status: st,
        message: `config invalid: ${s.state.messages.join('; ') || 'no valid config'}; nothing is approved until it is valid (intent ${id} stays PENDING)`,
      });
      return;
    }
    if (s.mode === 'HALTED') {
      outcomes.set(idx, {
        id,
        ok: false,
        status: st,
        message: `engine is HALTED: no order is sent; intent ${id} stays PENDING (resume first)`,
      });
      return;
    }
    if (now >= closeOf(ctx, rec.trading_date)) {
      // settle() expired it already; only a clock that went backwards between two reads gets here
      outcomes.set(idx, { id, ok: false, status: st, message: `the session of ${rec.trading_date} closed at ${closeTime(ctx, rec.trading_date)} ${ctx.zone}; intent ${id} cannot be approved` });
      return;
    }
    const c = checkOrder(book, rec, 'approval');
    if (c.kind === 'supersede') {
      if (ctx.store.transition(rec.id, 'PENDING', 'SUPERSEDED', 'engine', c.why, now)) changed.push(rec.id);
      outcomes.set(idx, { id, ok: false, status: 'SUPERSEDED', message: `not approved: ${c.why}; intent ${id} is SUPERSEDED` });
      return;
    }
    if (c.kind === 'refuse') {
      outcomes.set(idx, { id, ok: false, status: st, message: `${c.why}; ${c.cap ? 'it' : `intent ${id}`} stays PENDING` });
      return;
    }
    if (c.clamped) ctx.store.clampQty(id, 'PENDING', c.qty, 'engine', c.clamped, now);
    const note = c.clamped ? ` (${c.clamped})` : '';
    if (now < openOf(ctx, rec.trading_date)) {
      // Before its session: held here, not at the broker, and re-validated again at the open (release.ts).
      const when = releaseText(ctx, rec.trading_date);
      ctx.store.transition(id, 'PENDING', 'STAGED', actor, `approved before its session: staged, releases ${when}`, now);
      changed.push(id);
      outcomes.set(idx, { id, ok: true, status: 'STAGED', message: `approved${note}; staged: the order is released at the open, ${when}, after the same checks against the book of then` });
      return;
    }
    ctx.store.transition(id, 'PENDING', 'APPROVED', actor, 'approved', now);
    changed.push(id);
    toPlace.push({ idx, rec: { ...rec, qty: c.qty }, clamped: c.clamped });
  });
  const orderIds = placeOrders(ctx, toPlace.map((p) => p.rec), now);
  toPlace.forEach(({ idx, rec, clamped }, i) => {
    const note = clamped ? ` (${clamped})` : '';
    outcomes.set(idx, { id: rec.id, ok: true, status: 'WORKING', message: `approved${note}; order ${orderIds[i]} working at ${ctx.broker.name}` });
  });
  return ids.map((_, i) => outcomes.get(i) as IntentOutcome);
}

/** Rejects each PENDING intent independently, with the reason in the audit. */
export function reject(ctx: EngineContext, ids: readonly string[], actor: string, reason: string, now: number): IntentOutcome[] {
  if (ids.length === 0) return [];
  const changed: string[] = [];
  const why = reason.trim() || 'rejected';
  ctx.ledger.run();
  const outcomes = ctx.db
    .transaction(() => {
      changed.push(...settle(ctx, now));
      return ids.map((id): IntentOutcome => {
        const rec = ctx.store.get(id);
        if (!rec) return { id, ok: false, status: null, message: `no intent ${id}` };
        if (rec.status === 'STAGED') {
          return { id, ok: false, status: 'STAGED', message: `intent ${id} is STAGED (approved, not yet released): cancel it instead` };
        }
        if (rec.status === 'REJECTED') return { id, ok: true, status: 'REJECTED', message: `intent ${id} is already REJECTED` };
        if (rec.status !== 'PENDING') {
          return { id, ok: false, status: rec.status, message: `intent ${id} is ${rec.status}; only a PENDING intent can be rejected` };
        }
        ctx.store.transition(id, 'PENDING', 'REJECTED', actor, why, now);
        changed.push(id);
        return { id, ok: true, status: 'REJECTED', message: `rejected: ${why}` };
      });
    })
    .immediate();
  if (changed.length) {
    ctx.events.emit('intents:changed', { ids: changed });
    emitStatus(ctx, now);
  }
  return outcomes;
}

/**
 * Cancels working orders (APPROVED / WORKING intents) at the broker and staged ones before their release, each
 * independently, with the reason in the audit: `ids`, or every working and staged one with 'all'. A PENDING intent
 * is rejected, not canceled.
 */
export function cancel(ctx: EngineContext, ids: readonly string[] | 'all', actor: string, reason: string, now: number): IntentOutcome[] {
  const changed: string[] = [];
  const why = reason.trim() || 'canceled';
  ctx.ledger.run();
  let outcomes: IntentOutcome[];
  try {
    outcomes = ctx.db
      .transaction(() => {
        changed.push(...settle(ctx, now));
        const targets = ids === 'all' ? ctx.store.open().filter((r) => COMMITTED_STATUSES.includes(r.status)).map((r) => r.id) : ids;
        const filled = ctx.ledger.filledQty([...targets]);
        return targets.map((id): IntentOutcome => {
          const rec = ctx.store.get(id);
          if (!rec) return { id, ok: false, status: null, message: `no intent ${id}` };
          if (rec.status === 'CANCELED') return { id, ok: true, status: 'CANCELED', message: `intent ${id} is already CANCELED` };
          if (rec.status === 'PENDING') {
            return { id, ok: false, status: 'PENDING', message: `intent ${id} is PENDING: no order to cancel (reject it instead)` };
          }
          if (rec.status === 'STAGED') {
            const text = `canceled by ${actor} before its release: ${why}`;
            ctx.store.transition(id, 'STAGED', 'CANCELED', actor, text, now);
            changed.push(id);
            return { id, ok: true, status: 'CANCELED', message: text };
          }
          if (!WORKING_STATUSES.includes(rec.status)) {
            return { id, ok: false, status: rec.status, message: `intent ${id} is ${rec.status}; nothing to cancel` };
          }
          const f = filled.get(id) ?? 0;
          const text = `canceled by ${actor}: ${why}; filled ${f} of ${rec.qty}`;
          if (rec.order_id) ctx.broker.cancel([{ intentId: id, orderId: rec.order_id }], now, { reason: text, notify: true });
          ctx.store.transition(id, rec.status, 'CANCELED', actor, text, now);
          changed.push(id);
          return { id, ok: true, status: 'CANCELED', message: text };
        });
      })
      .immediate();
  } catch (e) {
    ctx.book.invalidate();
    throw e;
  }
  if (changed.length) {
    ctx.events.emit('intents:changed', { ids: changed });
    emitStatus(ctx, now);
  }
  return outcomes;
}
