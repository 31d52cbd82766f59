// The trader's actions on intents (docs/spec.md §6), each intent independently and each batch in one transaction:
// approve (re-validated inside that transaction against the book, the band, the hard cap and the close, then sent
// to the broker as a DAY order), reject a PENDING intent, cancel a working order.
import { tradingDateOf } from '../../../shared/calendar';
import { parseClassification } from '../../../shared/domain';
import type { IntentOutcome } from '../../../shared/types';
import { actionsOf, isViolated, openIncreaseGross, violationOf } from '../bands/controller';
import { pctOf } from '../bands/math';
import type { OrderRequest } from '../execution/broker';
import type { EngineContext } from './context';
import { endDayOrders, expire, openIntents, syncFills } from './lifecycle';
import { closeOf, closeTime, pct1, snapshot } from './snapshot';
import { emitStatus } from './status';
import { WORKING_STATUSES, type IntentRecord } from './store';
import { errorMessage } from '../../../shared/errors';

/**
 * Approves each intent independently (docs/spec.md §6): PENDING → APPROVED → WORKING with an order at the broker.
 * Idempotent (an intent already approved, working or filled sends no second order); REJECTED / EXPIRED /
 * SUPERSEDED / CANCELED are refused with their state; an increase is refused if, at this moment's ticks, gross
 * plus every working increase plus it would pass the hard cap; nothing is sent while HALTED.
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

function approveTx(ctx: EngineContext, ids: readonly string[], actor: string, now: number, changed: string[]): IntentOutcome[] {
  const today = tradingDateOf(now, ctx.zone);
  // What happened since the intents were proposed is settled first: stale ones expire, fills and external
  // cancels are synced, day orders past their close end.
  changed.push(...expire(ctx, today, now), ...syncFills(ctx, now), ...endDayOrders(ctx, now));
  const s = snapshot(ctx, now);
  const band = s.cfg.buckets.LT.band_drift;
  const lot = band.lot_size;
  const violation = violationOf(s.measure, band);
  const inDirection = actionsOf(violation);
  const closeAt = closeOf(ctx, today);
  // Working increases count against the cap; PENDING ones are not committed and do not.
  const committed = openIntents(ctx, true);
  let used = s.measure.globalGrossMicro + openIncreaseGross(committed, s.prices);
  // What each position still has to give: its size less what working decreases of it will take.
  const held = ctx.book.qtyLookup(s.positions);
  const reserved = new Map<string, number>();
  for (const r of ctx.store.open()) {
    if (!WORKING_STATUSES.includes(r.status) || parseClassification(r.classification).effect !== 'DECREASE') continue;
    const k = `${r.bucket}\u0000${r.symbol}`;
    const left = r.qty - (ctx.ledger.filledQty([r.id]).get(r.id) ?? 0);
    reserved.set(k, (reserved.get(k) ?? 0) + Math.max(0, left));
  }
  const outcomes = new Map<number, IntentOutcome>();
  const toPlace: { idx: number; rec: IntentRecord }[] = [];
  const clamped = new Map<string, string>();
  const supersede = (idx: number, rec: IntentRecord, why: string) => {
    if (ctx.store.transition(rec.id, 'PENDING', 'SUPERSEDED', 'engine', why, now)) changed.push(rec.id);
    outcomes.set(idx, { id: rec.id, ok: false, status: 'SUPERSEDED', message: `not approved: ${why}; intent ${rec.id} is SUPERSEDED` });
  };
  ids.forEach((id, idx) => {
    let rec = ctx.store.get(id);
    if (!rec) {
      outcomes.set(idx, { id, ok: false, status: null, message: `no intent ${id}` });
      return;
    }
    if (rec.status === 'PENDING' && rec.trading_date < today) {
      if (ctx.store.transition(id, 'PENDING', 'EXPIRED', 'engine', `end of trading day ${rec.trading_date}`, now)) {
        changed.push(id);
      }
      rec = ctx.store.get(id) as IntentRecord;
    }
    const st = rec.status;
    if (st === 'APPROVED' || st === 'WORKING' || st === 'FILLED') {
      outcomes.set(idx, { id, ok: true, status: st, message: `intent ${id} is already ${st}; no second order sent` });
      return;
    }
    if (st !== 'PENDING') {
      const extra = st === 'EXPIRED' ? ` (its trading day ${rec.trading_date} ended)` : '';
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
    if (now >= closeAt) {
      outcomes.set(idx, {
        id,
        ok: false,
        status: st,
        message: `the market closed at ${closeTime(ctx, today)} ${ctx.zone}: a day order approved now would end at once; intent ${id} stays PENDING until its day ends`,
      });
      return;
    }
    // The band must still be out in this intent's direction.
    if (rec.kind === 'BAND' && !inDirection.has(rec.classification)) {
      const now_ = `LT long ${pct1(s.measure.long_pct)}, short ${pct1(s.measure.short_pct)}`;
      supersede(idx, rec, isViolated(violation) ? `the band is now out the other way (${now_})` : `the band is back in range (${now_})`);
      return;
    }
    const c = parseClassification(rec.classification);
    const key = `${rec.bucket}\u0000${rec.symbol}`;
    const qty = held(key);
    const side = c.direction === 'LONG' ? 1 : -1;
    const now_ = qty === 0 ? 'flat' : `${qty > 0 ? 'long' : 'short'} ${Math.abs(qty)}`;
    if (c.effect === 'DECREASE') {
      // A decrease never exceeds the position it decreases, and never flips it.
      if (qty === 0 || Math.sign(qty) !== side) {
        supersede(idx, rec, `${rec.bucket} ${rec.symbol} is ${now_} now: a ${c.direction} decrease has nothing to decrease`);
        return;
      }
      const busy = reserved.get(key) ?? 0;
      const free = Math.max(0, Math.abs(qty) - busy);
      // Rounded down to lots; a position under one lot may still be closed whole (the controller sizes it so).
      const lots = Math.floor(free / lot) * lot;
      const fits = rec.qty <= free ? rec.qty : lots > 0 ? lots : free === Math.abs(qty) ? free : 0;
      if (fits <= 0) {
        outcomes.set(idx, {
          id,
          ok: false,
          status: st,
          message: `${rec.bucket} ${rec.symbol} is ${now_}, ${busy} of it in working decreases: ${free} left, less than a lot of ${lot}; intent ${id} stays PENDING`,
        });
        return;
      }
      if (fits < rec.qty) {
        const why = `qty clamped from ${rec.qty} to ${fits} at approval: ${rec.bucket} ${rec.symbol} is ${Math.abs(qty)} now${
          reserved.get(key) ? ` (${reserved.get(key)} already in working decreases)` : ''
        }, lot ${lot}`;
        ctx.store.clampQty(id, fits, 'engine', why, now);
        clamped.set(id, why);
        rec = { ...rec, qty: fits };
      }
      reserved.set(key, (reserved.get(key) ?? 0) + rec.qty);
    } else {
      // An increase adds to its own side only: on a position now on the other side it would go through zero.
      if (qty !== 0 && Math.sign(qty) !== side) {
        supersede(idx, rec, `${rec.bucket} ${rec.symbol} is ${now_} now: a ${c.direction} increase would go through zero`);
        return;
      }
      const tick = s.ticks.get(rec.symbol);
      if (tick === undefined) {
        outcomes.set(idx, {
          id,
          ok: false,
          status: st,
          message: `no truth tick for ${rec.symbol}: cannot check the hard cap; intent ${id} stays PENDING`,
        });
        return;
      }
      const adds = BigInt(rec.qty) * BigInt(tick);
      if (used + adds > s.cap) {
        const eq = BigInt(Math.round(s.cfg.account.equity * 1e6));
        const pct = pctOf(used + adds, eq);
        outcomes.set(idx, {
          id,
          ok: false,
          status: st,
          message:
            `hard cap: approving ${id} would take gross to ${pct.toFixed(2)}% > ${s.cfg.global.hard_cap_gross_pct.toFixed(1)}% ` +
            `at current ticks; it stays PENDING`,
        });
        return;
      }
      used += adds;
    }
    ctx.store.transition(id, 'PENDING', 'APPROVED', actor, 'approved', now);
    changed.push(id);
    toPlace.push({ idx, rec });
  });
  if (toPlace.length) {
    const reqs: OrderRequest[] = toPlace.map(({ rec }) => ({
      intentId: rec.id,
      symbol: rec.symbol,
      classification: rec.classification,
      side: rec.side,
      qty: rec.qty,
      orderType: rec.order_type,
      limitMicro: rec.limit_micro,
    }));
    const orderIds = ctx.broker.place(reqs, now);
    toPlace.forEach(({ idx, rec }, i) => {
      ctx.store.setOrderId(rec.id, orderIds[i]);
      ctx.store.transition(rec.id, 'APPROVED', 'WORKING', 'engine', `order ${orderIds[i]} sent to ${ctx.broker.name}`, now);
      const note = clamped.has(rec.id) ? ` (${clamped.get(rec.id)})` : '';
      outcomes.set(idx, { id: rec.id, ok: true, status: 'WORKING', message: `approved${note}; order ${orderIds[i]} working at ${ctx.broker.name}` });
    });
  }
  return ids.map((_, i) => outcomes.get(i) as IntentOutcome);
}

/** Rejects each PENDING intent independently, with the reason in the audit. */
export function reject(ctx: EngineContext, ids: readonly string[], actor: string, reason: string, now: number): IntentOutcome[] {
  if (ids.length === 0) return [];
  const changed: string[] = [];
  const why = reason.trim() || 'rejected';
  const outcomes = ctx.db
    .transaction(() => {
      const today = tradingDateOf(now, ctx.zone);
      return ids.map((id): IntentOutcome => {
        let rec = ctx.store.get(id);
        if (!rec) return { id, ok: false, status: null, message: `no intent ${id}` };
        if (rec.status === 'PENDING' && rec.trading_date < today) {
          if (ctx.store.transition(id, 'PENDING', 'EXPIRED', 'engine', `end of trading day ${rec.trading_date}`, now)) {
            changed.push(id);
          }
          rec = ctx.store.get(id) as IntentRecord;
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
 * Cancels working orders (APPROVED / WORKING intents) at the broker, each independently, with the reason in the
 * audit: `ids`, or every working one with 'all'. A PENDING intent is rejected, not canceled.
 */
export function cancel(ctx: EngineContext, ids: readonly string[] | 'all', actor: string, reason: string, now: number): IntentOutcome[] {
  const changed: string[] = [];
  const why = reason.trim() || 'canceled';
  ctx.ledger.run();
  let outcomes: IntentOutcome[];
  try {
    outcomes = ctx.db
      .transaction(() => {
        changed.push(...syncFills(ctx, now), ...endDayOrders(ctx, now));
        const targets = ids === 'all' ? ctx.store.open().filter((r) => WORKING_STATUSES.includes(r.status)).map((r) => r.id) : ids;
        const filled = ctx.ledger.filledQty([...targets]);
        return targets.map((id): IntentOutcome => {
          const rec = ctx.store.get(id);
          if (!rec) return { id, ok: false, status: null, message: `no intent ${id}` };
          if (rec.status === 'CANCELED') return { id, ok: true, status: 'CANCELED', message: `intent ${id} is already CANCELED` };
          if (rec.status === 'PENDING') {
            return { id, ok: false, status: 'PENDING', message: `intent ${id} is PENDING: no order to cancel (reject it instead)` };
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
