// The re-validation an order gets before it goes to the broker (docs/spec.md §6, approve steps 8–10), one copy for
// both moments it happens: a trader's approval inside a session, and the release of a STAGED intent at its
// session's open. Each checks the intent against the book of that moment: the band must still ask for it, a
// decrease is clamped to what its position still holds, an increase must fit under the hard cap.
import { parseClassification, type Classification } from '../../../shared/domain';
import { actionsOf, isViolated, openIncreaseGross, violationOf } from '../bands/controller';
import { pctOf } from '../bands/math';
import type { EngineContext } from './context';
import { openIntents } from './lifecycle';
import { pct1, snapshot } from './snapshot';
import { COMMITTED_STATUSES, type IntentRecord } from './store';

/** The book as a batch of approvals (or one release) sees it; each accepted order adds to `used` and `reserved`. */
export interface OrderBook {
  s: ReturnType<typeof snapshot>;
  lot: number;
  violated: boolean;
  inDirection: ReadonlySet<Classification>;
  /** Global gross plus every committed increase (STAGED, APPROVED, WORKING) still to fill, micro-USD. */
  used: bigint;
  held: (key: string) => number;
  /** Per position: what committed decreases of it will still take. */
  reserved: Map<string, number>;
}

/** The book at `now`, counting every committed intent except those in `exclude` (a release's own batch). */
export function orderBook(ctx: EngineContext, now: number, exclude: ReadonlySet<string> = new Set()): OrderBook {
  const s = snapshot(ctx, now);
  const band = s.cfg.buckets.LT.band_drift;
  const violation = violationOf(s.measure, band);
  // Committed increases count against the cap; PENDING ones are not committed and do not.
  const committed = openIntents(ctx, true, exclude);
  const used = s.measure.globalGrossMicro + openIncreaseGross(committed, s.prices);
  // What each position still has to give: its size less what committed decreases of it will take.
  const reserved = new Map<string, number>();
  const decreases = ctx.store
    .open()
    .filter((r) => COMMITTED_STATUSES.includes(r.status) && !exclude.has(r.id) && parseClassification(r.classification).effect === 'DECREASE');
  const filled = decreases.length ? ctx.ledger.filledQty(decreases.filter((r) => r.status !== 'STAGED').map((r) => r.id)) : new Map<string, number>();
  for (const r of decreases) {
    const k = `${r.bucket}\u0000${r.symbol}`;
    reserved.set(k, (reserved.get(k) ?? 0) + Math.max(0, r.qty - (filled.get(r.id) ?? 0)));
  }
  return {
    s,
    lot: band.lot_size,
    violated: isViolated(violation),
    inDirection: actionsOf(violation),
    used,
    held: ctx.book.qtyLookup(s.positions),
    reserved,
  };
}

export type OrderCheck =
  /** Goes to the broker with `qty` (lower than the intent's when `clamped` says why). */
  | { kind: 'ok'; qty: number; clamped: string | null }
  /** The book no longer wants it. */
  | { kind: 'supersede'; why: string }
  /** Not now: stays (or goes back to) PENDING. `cap`: the hard cap refused it. */
  | { kind: 'refuse'; why: string; cap: boolean };

/**
 * Checks one PENDING or STAGED intent against the book; an accepted one is counted in `b` (its gross, its decrease),
 * so the next intent of the same batch sees it. `when` names the moment in the clamp's audit text.
 */
export function checkOrder(b: OrderBook, rec: IntentRecord, when: 'approval' | 'release'): OrderCheck {
  const { s, lot } = b;
  // The band must still be out in this intent's direction.
  if (rec.kind === 'BAND' && !b.inDirection.has(rec.classification)) {
    const now_ = `LT long ${pct1(s.measure.long_pct)}, short ${pct1(s.measure.short_pct)}`;
    return { kind: 'supersede', why: b.violated ? `the band is now out the other way (${now_})` : `the band is back in range (${now_})` };
  }
  const c = parseClassification(rec.classification);
  const key = `${rec.bucket}\u0000${rec.symbol}`;
  const qty = b.held(key);
  const side = c.direction === 'LONG' ? 1 : -1;
  const now_ = qty === 0 ? 'flat' : `${qty > 0 ? 'long' : 'short'} ${Math.abs(qty)}`;
  if (c.effect === 'DECREASE') {
    // A decrease never exceeds the position it decreases, and never flips it.
    if (qty === 0 || Math.sign(qty) !== side) {
      return { kind: 'supersede', why: `${rec.bucket} ${rec.symbol} is ${now_} now: a ${c.direction} decrease has nothing to decrease` };
    }
    const busy = b.reserved.get(key) ?? 0;
    const free = Math.max(0, Math.abs(qty) - busy);
    // Rounded down to lots; a position under one lot may still be closed whole (the controller sizes it so).
    const lots = Math.floor(free / lot) * lot;
    const fits = rec.qty <= free ? rec.qty : lots > 0 ? lots : free === Math.abs(qty) ? free : 0;
    if (fits <= 0) {
      return {
        kind: 'refuse',
        cap: false,
        why: `${rec.bucket} ${rec.symbol} is ${now_}, ${busy} of it in working or staged decreases: ${free} left, less than a lot of ${lot}`,
      };
    }
    let clamped: string | null = null;
    if (fits < rec.qty) {
      clamped = `qty clamped from ${rec.qty} to ${fits} at ${when}: ${rec.bucket} ${rec.symbol} is ${Math.abs(qty)} now${
        busy ? ` (${busy} already in working or staged decreases)` : ''
      }, lot ${lot}`;
    }
    b.reserved.set(key, busy + fits);
    return { kind: 'ok', qty: fits, clamped };
  }
  // An increase adds to its own side only: on a position now on the other side it would go through zero.
  if (qty !== 0 && Math.sign(qty) !== side) {
    return { kind: 'supersede', why: `${rec.bucket} ${rec.symbol} is ${now_} now: a ${c.direction} increase would go through zero` };
  }
  const tick = s.ticks.get(rec.symbol);
  if (tick === undefined) return { kind: 'refuse', cap: false, why: `no truth tick for ${rec.symbol}: cannot check the hard cap` };
  const adds = BigInt(rec.qty) * BigInt(tick);
  if (b.used + adds > s.cap) {
    const eq = BigInt(Math.round(s.cfg.account.equity * 1e6));
    const pct = pctOf(b.used + adds, eq);
    return {
      kind: 'refuse',
      cap: true,
      why: `hard cap: approving ${rec.id} would take gross to ${pct.toFixed(2)}% > ${s.cfg.global.hard_cap_gross_pct.toFixed(1)}% at current ticks`,
    };
  }
  b.used += adds;
  return { kind: 'ok', qty: rec.qty, clamped: null };
}
