// Execution (SPEC §7): a broker turns approved intents into orders. The built-in paper broker is the default: it
// keeps its orders in SQLite, emits NEW and ACK when an order is placed, and fills a working order as soon as a
// truth tick allows it (BUY limit when tick <= limit, SELL limit when tick >= limit, both at the limit price;
// MARKET at the tick), emitting the FILL into the ledger's log. The Redis bridge implements the same interface.
import type { Classification, OrderType, Side } from '../../../shared/domain';
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
  /** Fills what the current ticks allow (paper only); `symbols` limits the check. */
  run?(now: number, symbols?: ReadonlySet<string>): FillReport;
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
export function paperFillPrice(
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

  run(now: number, symbols?: ReadonlySet<string>): FillReport {
    const rows = this.st.working.all() as (PaperOrder & { tick: number; tick_ts: number })[];
    const raws: string[] = [];
    const intentIds: string[] = [];
    let lastTs: number | null = null;
    this.db.transaction(() => {
      for (const o of rows) {
        if (symbols && !symbols.has(o.symbol)) continue;
        const price = paperFillPrice(o, o.tick);
        if (price === null) continue;
        const qty = o.qty - o.filled_qty;
        if (qty <= 0) continue;
        // A fill never precedes its order; it happens when the tick allowing it was seen.
        const ts = Math.max(o.created_at, o.tick_ts);
        if (this.st.fill.run(now, o.order_id).changes !== 1) continue;
        raws.push(this.event(o, o.event_seq + 1, 'FILL', ts, { fill_qty: qty, fill_price: price / 1e6 }));
        intentIds.push(o.intent_id);
        lastTs = lastTs === null ? ts : Math.max(lastTs, ts);
      }
      if (raws.length) this.ledger.append(raws, 'paper');
    })();
    return { fills: raws.length, intentIds, lastTs };
  }
}
