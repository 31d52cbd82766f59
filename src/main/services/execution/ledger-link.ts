// The engine's window on the Daily Ledger: append order events to its log, run its consumer to the end, and read
// how much of each intent has filled (fills from the paper broker and from outside alike).
import { appendEvents } from '../ledger/log';
import { filledQtyByIntent, LedgerConsumer, type Counts } from '../ledger/consumer';
import type { Db } from '../store/db';
import { stmt } from '../engine/stmt';

export interface LedgerLink {
  append(raws: string[], source: string): void;
  /** Applies the log to the books; returns what it applied. */
  run(): Counts;
  filledQty(intentIds: string[]): Map<string, number>;
  /** Intents whose order was CANCELED or REJECTED by the execution side (from the ledger's order events). */
  closedOrders(intentIds: string[]): Map<string, 'CANCELED' | 'REJECTED'>;
}

export function embeddedLedger(db: Db, timezone: () => string): LedgerLink {
  let consumer: LedgerConsumer | null = null;
  let tz = '';
  return {
    append(raws, source) {
      appendEvents(db, raws, source);
    },
    run() {
      const zone = timezone();
      if (!consumer || zone !== tz) {
        consumer = new LedgerConsumer(db, { timezone: zone });
        tz = zone;
      }
      return consumer.runToEnd();
    },
    filledQty(ids) {
      return filledQtyByIntent(db, ids);
    },
    closedOrders(ids) {
      const out = new Map<string, 'CANCELED' | 'REJECTED'>();
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const rows = stmt(
          db,
          `SELECT intent_id, event_type FROM order_events
           WHERE intent_id IN (${chunk.map(() => '?').join(',')}) AND event_type IN ('CANCELED','REJECTED')`,
        ).all(...chunk) as { intent_id: string; event_type: 'CANCELED' | 'REJECTED' }[];
        for (const r of rows) out.set(r.intent_id, r.event_type);
      }
      return out;
    },
  };
}
