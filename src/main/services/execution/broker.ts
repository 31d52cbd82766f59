// Execution (docs/spec.md §7): a broker turns approved intents into orders. The built-in paper broker is the default: it
// keeps its orders in SQLite, emits NEW and ACK when an order is placed, and fills a working order as soon as a
// truth tick allows it (BUY limit when tick <= limit, SELL limit when tick >= limit, both at the limit price;
// MARKET at the tick), emitting the FILL into the ledger's log. The Redis bridge implements the same interface.
import { parseClassification, type Bucket, type Classification, type OrderType, type Side } from '../../../shared/domain';
import type { Db } from '../store/db';
import type { LedgerLink } from './ledger-link';

export interface OrderRequest {
  intentId: string;
  symbol: string;
  classification: Classification;
  side: Side;
  qty: number;
  orderType: OrderType;
  limitMicro: number | null;
}

export interface FillReport {
  fills: number;
  /** Intent ids that received a fill. */
  intentIds: string[];
  /** Trading-relevant times (epoch ms) of the fills, for the caller's push event. */
  lastTs: number | null;
  /** What the fills did to each position (signed qty), before the ledger has applied them. */
  moved: { bucket: Bucket; symbol: string; qty: number }[];
}

/** The position (signed qty) of a bucket and symbol right now, the fills of this run included. */
export type PositionOf = (bucket: Bucket, symbol: string) => number;

/**
 * How much of an order may fill against the position it acts on, so that no fill ever takes a position through
 * zero: a decrease up to the position on its own side (none when flat or on the other side), an increase only
 * while the position is flat or on its side. `why` says what stopped the rest.
 */
function fillRoom(classification: Classification, symbol: string, position: number): { room: number; why: string } {
  const c = parseClassification(classification);
  const sign = c.direction === 'LONG' ? 1 : -1;
  const now = position === 0 ? 'flat' : `${position > 0 ? 'long' : 'short'} ${Math.abs(position)}`;
  if (c.effect === 'DECREASE') {
    const room = Math.sign(position) === sign ? Math.abs(position) : 0;
    return { room, why: `${c.bucket} ${symbol} is ${now} at the fill: a ${c.direction} decrease never goes through zero` };
  }
  const room = position === 0 || Math.sign(position) === sign ? Infinity : 0;
  return { room, why: `${c.bucket} ${symbol} is ${now} at the fill: a ${c.direction} increase would go through zero` };
}

export interface CancelRequest {
  intentId: string;
  orderId: string;
}

export interface Broker {
  /** Shown in status and audit: `paper`, `redis`. */
  readonly name: string;
  /**
   * Ends working orders, inside the caller's transaction. `notify`: tell the execution side (the paper broker
   * writes a CANCELED order event into the ledger's log; the Redis bridge queues a cancel request for ev.intents).
   * Without it the order is only closed here, because the execution side already closed it (its CANCELED or
   * REJECTED event is what asked for this).
   */
  cancel(orders: readonly CancelRequest[], now: number, opts: { reason: string; notify: boolean }): void;
  /**
   * Places orders for approved intents at `now`; returns their order ids in the same order. Called inside the
   * caller's transaction: throwing rolls the approval back.
   */
  place(orders: readonly OrderRequest[], now: number): string[];
  /**
   * Fills what the current ticks allow (paper only); `symbols` limits the check. With `position`, a fill never
   * takes a position through zero: the part that would is canceled (PARTIAL_FILL then CANCELED, or CANCELED).
   */
  run?(now: number, symbols?: ReadonlySet<string>, position?: PositionOf): FillReport;
}

export function orderIdFor(intentId: string): string {
  return `o-${intentId.startsWith('i-') ? intentId.slice(2) : intentId}`;
}

interface PaperOrder {
  order_id: string;
  intent_id: string;
  symbol: string;
  classification: Classification;
  side: Side;
  qty: number;
  order_type: OrderType;
  limit_micro: number | null;
  filled_qty: number;
  created_at: number;
  event_seq: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Whether a tick lets an order fill, and at which price (micro-USD). */
function paperFillPrice(
  o: { side: Side; order_type: OrderType; limit_micro: number | null },
  tickMicro: number,
): number | null {
  if (o.order_type === 'MARKET' || o.limit_micro === null) return tickMicro;
  if (o.side === 'BUY') return tickMicro <= o.limit_micro ? o.limit_micro : null;
  return tickMicro >= o.limit_micro ? o.limit_micro : null;
}

export class PaperBroker implements Broker {
  readonly name = 'paper';
  private readonly st;

  constructor(
    readonly db: Db,
    private readonly ledger: LedgerLink,
  ) {
    this.st = {
      ins: db.prepare(
        `INSERT INTO paper_orders (order_id, intent_id, symbol, classification, side, qty, order_type, limit_micro,
           filled_qty, status, created_at, updated_at, event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 'WORKING', ?, ?, 2)`,
      ),
      working: db.prepare(
        `SELECT o.order_id, o.intent_id, o.symbol, o.classification, o.side, o.qty, o.order_type, o.limit_micro,
                o.filled_qty, o.created_at, o.event_seq, t.price_micro AS tick, t.ts AS tick_ts
         FROM paper_orders o JOIN ticks t ON t.symbol = o.symbol WHERE o.status = 'WORKING' ORDER BY o.order_id`,
      ),
      fill: db.prepare(
        `UPDATE paper_orders SET filled_qty = qty, status = 'FILLED', updated_at = ?, event_seq = event_seq + 1
         WHERE order_id = ? AND status = 'WORKING'`,
      ),
      one: db.prepare(
        `SELECT order_id, intent_id, symbol, classification, side, qty, order_type, limit_micro, filled_qty, created_at,
                event_seq FROM paper_orders WHERE order_id = ? AND status = 'WORKING'`,
      ),
      cancel: db.prepare(
        `UPDATE paper_orders SET status = 'CANCELED', updated_at = ?, event_seq = event_seq + 1
         WHERE order_id = ? AND status = 'WORKING'`,
      ),
      // a partial fill followed by the cancel of the rest: two events
      partial: db.prepare(
        `UPDATE paper_orders SET filled_qty = filled_qty + ?, status = 'CANCELED', updated_at = ?, event_seq = event_seq + 2
         WHERE order_id = ? AND status = 'WORKING'`,
      ),
    };
  }

  private event(o: Omit<PaperOrder, 'filled_qty' | 'created_at' | 'event_seq'>, seq: number, type: string, ts: number, extra: object): string {
    return JSON.stringify({
      event_id: `${o.order_id}-${seq}`,
      order_id: o.order_id,
      intent_id: o.intent_id,
      ts: iso(ts),
      symbol: o.symbol,
      classification: o.classification,
      side: o.side,
      event_type: type,
      ...extra,
    });
  }

  place(orders: readonly OrderRequest[], now: number): string[] {
    const raws: string[] = [];
    const ids: string[] = [];
    this.db.transaction(() => {
      for (const r of orders) {
        const orderId = orderIdFor(r.intentId);
        this.st.ins.run(orderId, r.intentId, r.symbol, r.classification, r.side, r.qty, r.orderType, r.limitMicro, now, now);
        const o = {
          order_id: orderId,
          intent_id: r.intentId,
          symbol: r.symbol,
          classification: r.classification,
          side: r.side,
          qty: r.qty,
          order_type: r.orderType,
          limit_micro: r.limitMicro,
        };
        const terms = {
          qty: r.qty,
          order_type: r.orderType,
          ...(r.limitMicro !== null ? { limit_price: r.limitMicro / 1e6 } : {}),
        };
        raws.push(this.event(o, 1, 'NEW', now, terms), this.event(o, 2, 'ACK', now, terms));
        ids.push(orderId);
      }
      this.ledger.append(raws, 'paper');
    })();
    return ids;
  }

  cancel(orders: readonly CancelRequest[], now: number, opts: { reason: string; notify: boolean }): void {
    const raws: string[] = [];
    this.db.transaction(() => {
      for (const r of orders) {
        const o = this.st.one.get(r.orderId) as PaperOrder | undefined;
        if (!o || this.st.cancel.run(now, r.orderId).changes !== 1) continue;
        if (opts.notify) {
          raws.push(this.event(o, o.event_seq + 1, 'CANCELED', Math.max(now, o.created_at), { leaves_qty: o.qty - o.filled_qty, reason: opts.reason }));
        }
      }
      if (raws.length) this.ledger.append(raws, 'paper');
    })();
  }

  run(now: number, symbols?: ReadonlySet<string>, position?: PositionOf): FillReport {
    const rows = this.st.working.all() as (PaperOrder & { tick: number; tick_ts: number })[];
    const raws: string[] = [];
    const intentIds: string[] = [];
    const moved: FillReport['moved'] = [];
    let fills = 0;
    let lastTs: number | null = null;
    const local = new Map<string, number>(); // this run's own fills, not yet in the ledger
    this.db.transaction(() => {
      for (const o of rows) {
        if (symbols && !symbols.has(o.symbol)) continue;
        const price = paperFillPrice(o, o.tick);
        if (price === null) continue;
        const want = o.qty - o.filled_qty;
        if (want <= 0) continue;
        // A fill never precedes its order; it happens when the tick allowing it was seen.
        const ts = Math.max(o.created_at, o.tick_ts);
        const bucket = parseClassification(o.classification).bucket;
        const key = `${bucket}\u0000${o.symbol}`;
        const room = position ? fillRoom(o.classification, o.symbol, position(bucket, o.symbol) + (local.get(key) ?? 0)) : { room: Infinity, why: '' };
        const qty = Math.min(want, room.room);
        if (qty <= 0) {
          if (this.st.cancel.run(now, o.order_id).changes !== 1) continue;
          raws.push(this.event(o, o.event_seq + 1, 'CANCELED', ts, { leaves_qty: want, reason: room.why }));
          continue;
        }
        const filled = qty === want ? this.st.fill.run(now, o.order_id) : this.st.partial.run(qty, now, o.order_id);
        if (filled.changes !== 1) continue;
        const signed = o.side === 'BUY' ? qty : -qty;
        local.set(key, (local.get(key) ?? 0) + signed);
        moved.push({ bucket, symbol: o.symbol, qty: signed });
        if (qty === want) {
          raws.push(this.event(o, o.event_seq + 1, 'FILL', ts, { fill_qty: qty, fill_price: price / 1e6 }));
        } else {
          raws.push(
            this.event(o, o.event_seq + 1, 'PARTIAL_FILL', ts, { fill_qty: qty, fill_price: price / 1e6 }),
            this.event(o, o.event_seq + 2, 'CANCELED', ts, { leaves_qty: want - qty, reason: room.why }),
          );
        }
        fills++;
        intentIds.push(o.intent_id);
        lastTs = lastTs === null ? ts : Math.max(lastTs, ts);
      }
      if (raws.length) this.ledger.append(raws, 'paper');
    })();
    return { fills, intentIds, lastTs, moved };
  }
}
