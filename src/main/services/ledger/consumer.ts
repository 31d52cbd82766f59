// The Daily Ledger's consumer (SPEC §7–§8): validates, de-duplicates and applies order events in batches, each
// batch in ONE transaction together with its effects (fills, positions, daily aggregates, quarantine) and the
// consumer's position in the log, so a crash at any instant neither loses nor double-counts a fill.
//
// Hot state (the book) is kept in memory and reloaded from SQLite whenever ledger_meta.generation shows that
// someone else wrote positions (a trigger bumps it on every write), so it is always the committed truth.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db';
import { hash53 } from './hash';
import { TradingDateCache } from './dates';
import { validateObject, validateRaw, type OrderEvent, type Validated } from './validate';

export interface Counts {
  accepted: number;
  duplicates: number;
  rejected: number;
}

export interface ConsumerOptions {
  /** Account time zone for trading dates (config account.timezone). */
  timezone: string;
  /** Name of this consumer's position in event_log (default 'ledger'). */
  name?: string;
  /** Events per transaction (default 5,000). */
  batchSize?: number;
  /** Clock for quarantine timestamps (tests). */
  now?: () => number;
}

interface Pos {
  bucket: string;
  symbol: string;
  qty: number;
  cost: bigint;
  realized: bigint;
  dirty: boolean;
}

interface Agg {
  date: string;
  symbol: string;
  cls: string;
  qty: number;
  notional: bigint;
  realized: bigint;
  count: number;
  net: number;
}

type Item = { raw: string | Record<string, unknown>; source: string };

const KIND_FILL = 1;
const KIND_ORDER_EVENT = 2;

/** round(a / b) half up, for a >= 0, b > 0. */
function roundDiv(a: bigint, b: bigint): bigint {
  return (2n * a + b) / (2n * b);
}

export class LedgerConsumer {
  readonly name: string;
  readonly batchSize: number;
  private readonly dates: TradingDateCache;
  private readonly now: () => number;
  private readonly book = new Map<string, Pos>();
  private generation = -1;
  private st!: {
    gen: Statement;
    posAll: Statement;
    maxFill: Statement;
    maxOe: Statement;
    insId: Statement;
    getId: Statement;
    fillEventId: Statement;
    oeEventId: Statement;
    insOverflow: Statement;
    insFill: Statement;
    insOe: Statement;
    qFind: Statement;
    qIns: Statement;
    aggUpsert: Statement;
    posUpsert: Statement;
    getPos: Statement;
    setPos: Statement;
    logRange: Statement;
  };

  constructor(
    readonly db: Db,
    opts: ConsumerOptions,
  ) {
    this.name = opts.name ?? 'ledger';
    this.batchSize = opts.batchSize ?? 5_000;
    this.dates = new TradingDateCache(opts.timezone);
    this.now = opts.now ?? Date.now;
    this.prepare();
  }

  private prepare(): void {
    const db = this.db;
    this.st = {
      gen: db.prepare('SELECT generation FROM ledger_meta WHERE id = 1').pluck(),
      posAll: db.prepare('SELECT bucket, symbol, qty, cost_micro, realized_micro FROM positions').safeIntegers(true),
      maxFill: db.prepare('SELECT COALESCE(MAX(id), 0) FROM fills').pluck(),
      maxOe: db.prepare('SELECT COALESCE(MAX(id), 0) FROM order_events').pluck(),
      insId: db.prepare('INSERT INTO ledger_event_ids (h, kind, ref) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      getId: db.prepare('SELECT kind, ref FROM ledger_event_ids WHERE h = ?'),
      fillEventId: db.prepare('SELECT event_id FROM fills WHERE id = ?').pluck(),
      oeEventId: db.prepare('SELECT event_id FROM order_events WHERE id = ?').pluck(),
      insOverflow: db.prepare('INSERT INTO ledger_event_id_overflow (event_id) VALUES (?) ON CONFLICT DO NOTHING'),
      insFill: db.prepare(
        `INSERT INTO fills (id, event_id, order_id, intent_id, ts, trading_date, bucket, symbol, classification, side,
           qty, price_micro, realized_micro) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insOe: db.prepare(
        `INSERT INTO order_events (id, event_id, order_id, intent_id, event_type, ts, symbol, classification, side)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      qFind: db.prepare('SELECT raw FROM ledger_quarantine WHERE raw_h = ?').pluck(),
      qIns: db.prepare('INSERT INTO ledger_quarantine (source, raw, reason, at, raw_h) VALUES (?, ?, ?, ?, ?)'),
      aggUpsert: db.prepare(
        `INSERT INTO daily_agg (trading_date, symbol, classification, filled_qty, notional_micro, realized_micro,
           count_fills, net_qty_change) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (trading_date, symbol, classification) DO UPDATE SET
           filled_qty = filled_qty + excluded.filled_qty,
           notional_micro = notional_micro + excluded.notional_micro,
           realized_micro = realized_micro + excluded.realized_micro,
           count_fills = count_fills + excluded.count_fills,
           net_qty_change = net_qty_change + excluded.net_qty_change`,
      ),
      posUpsert: db.prepare(
        `INSERT INTO positions (bucket, symbol, qty, cost_micro, realized_micro, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (bucket, symbol) DO UPDATE SET qty = excluded.qty, cost_micro = excluded.cost_micro,
           realized_micro = excluded.realized_micro, updated_at = excluded.updated_at`,
      ),
      getPos: db.prepare('SELECT pos FROM ledger_consumers WHERE name = ?').pluck(),
      setPos: db.prepare(
        'INSERT INTO ledger_consumers (name, pos) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET pos = excluded.pos',
      ),
      logRange: db.prepare('SELECT seq, source, raw FROM event_log WHERE seq > ? ORDER BY seq LIMIT ?'),
    };
  }

  /** Last applied event_log seq of this consumer. */
  position(): number {
    return (this.st.getPos.get(this.name) as number | undefined) ?? 0;
  }

  /** Applies everything appended to the log since the stored position, batch by batch. */
  runToEnd(onBatch?: (counts: Counts, pos: number) => void): Counts {
    const total: Counts = { accepted: 0, duplicates: 0, rejected: 0 };
    for (;;) {
      const r = this.inTransaction(() => {
        const pos = this.position();
        const rows = this.st.logRange.all(pos, this.batchSize) as { seq: number; source: string; raw: string }[];
        if (rows.length === 0) return null;
        const c = this.applyItems(rows.map((x) => ({ raw: x.raw, source: x.source })));
        const last = rows[rows.length - 1].seq;
        this.st.setPos.run(this.name, last);
        return { c, last };
      });
      if (!r) return total;
      total.accepted += r.c.accepted;
      total.duplicates += r.c.duplicates;
      total.rejected += r.c.rejected;
      onBatch?.(r.c, r.last);
    }
  }

  /**
   * Validates, de-duplicates and applies one batch in ONE transaction; `inTx` runs inside that same transaction
   * (e.g. to record stream entry ids). Raw strings are JSON lines; objects are events already parsed.
   */
  applyBatch(events: Array<string | Record<string, unknown>>, source: string, inTx?: () => void): Counts {
    return this.inTransaction(() => {
      const c = this.applyItems(events.map((raw) => ({ raw, source })));
      inTx?.();
      return c;
    });
  }

  private inTransaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      this.generation = -1; // the in-memory book may hold uncommitted changes: reload it next time
      throw e;
    }
  }

  private loadBook(): void {
    this.book.clear();
    for (const r of this.st.posAll.all() as {
      bucket: string;
      symbol: string;
      qty: bigint;
      cost_micro: bigint;
      realized_micro: bigint;
    }[]) {
      this.book.set(`${r.bucket}|${r.symbol}`, {
        bucket: r.bucket,
        symbol: r.symbol,
        qty: Number(r.qty),
        cost: r.cost_micro,
        realized: r.realized_micro,
        dirty: false,
      });
    }
  }

  /** Must run inside a transaction. */
  private applyItems(items: Item[]): Counts {
    const st = this.st;
    const gen = st.gen.get() as number;
    if (gen !== this.generation) this.loadBook();
    let nextFill = (st.maxFill.get() as number) + 1;
    let nextOe = (st.maxOe.get() as number) + 1;
    const aggs = new Map<string, Agg>();
    const dirty: Pos[] = [];
    const now = this.now();
    let accepted = 0;
    let duplicates = 0;
    let rejected = 0;

    // Pass 1: validate; quarantine the bad ones; give every valid event a candidate row id.
    const valid: { ev: OrderEvent; h: number; ref: number; isNew: boolean }[] = [];
    for (const item of items) {
      const raw = item.raw;
      const v: Validated = typeof raw === 'string' ? validateRaw(raw) : validateObject(raw);
      if (!v.ok) {
        const text = typeof raw === 'string' ? raw : safeStringify(raw);
        const rh = hash53(text);
        const prior = st.qFind.all(rh) as string[];
        if (prior.includes(text)) {
          duplicates++; // the same bad bytes redelivered: already quarantined once
        } else {
          st.qIns.run(item.source, text, v.reason, now, rh);
          rejected++;
        }
        continue;
      }
      const ev = v.event;
      valid.push({ ev, h: hash53(ev.event_id), ref: ev.isFill ? nextFill++ : nextOe++, isNew: false });
    }

    // Pass 2: exactly-once keys, inserted in key order (B-tree locality); the first occurrence in the batch wins.
    const order = valid.map((_, i) => i);
    order.sort((a, b) => valid[a].h - valid[b].h || a - b);
    const firstInBatch = new Map<number, string>();
    for (const i of order) {
      const x = valid[i];
      if (st.insId.run(x.h, x.ev.isFill ? KIND_FILL : KIND_ORDER_EVENT, x.ref).changes === 1) {
        firstInBatch.set(x.h, x.ev.event_id);
        x.isNew = true;
      } else {
        const inBatch = firstInBatch.get(x.h);
        const stored = inBatch ?? this.storedEventId(x.h);
        // same hash, different id: a collision, decided by the exact-text overflow key
        x.isNew = stored !== x.ev.event_id && st.insOverflow.run(x.ev.event_id).changes === 1;
      }
    }

    // Pass 3: apply the new events in stream order.
    for (const x of valid) {
      if (!x.isNew) {
        duplicates++;
        continue;
      }
      accepted++;
      const ev = x.ev;
      const ref = x.ref;
      if (!ev.isFill) {
        st.insOe.run(ref, ev.event_id, ev.order_id, ev.intent_id, ev.event_type, ev.ts, ev.symbol, ev.classification, ev.side);
        continue;
      }
      const date = this.dates.dateOf(ev.ts);
      const realized = this.applyFill(ev, dirty);
      st.insFill.run(
        ref,
        ev.event_id,
        ev.order_id,
        ev.intent_id,
        ev.ts,
        date,
        ev.bucket,
        ev.symbol,
        ev.classification,
        ev.side,
        ev.qty,
        ev.price_micro,
        realized,
      );
      const key = `${date}|${ev.symbol}|${ev.classification}`;
      let a = aggs.get(key);
      if (!a) {
        a = { date, symbol: ev.symbol, cls: ev.classification, qty: 0, notional: 0n, realized: 0n, count: 0, net: 0 };
        aggs.set(key, a);
      }
      a.qty += ev.qty;
      a.notional += BigInt(ev.qty) * BigInt(ev.price_micro);
      a.realized += realized;
      a.count++;
      a.net += ev.side === 'BUY' ? ev.qty : -ev.qty;
    }

    for (const a of aggs.values()) {
      st.aggUpsert.run(a.date, a.symbol, a.cls, a.qty, a.notional, a.realized, a.count, a.net);
    }
    for (const p of dirty) {
      st.posUpsert.run(p.bucket, p.symbol, p.qty, p.cost, p.realized, now);
      p.dirty = false;
    }
    this.generation = st.gen.get() as number;
    return { accepted, duplicates, rejected };
  }

  /** The event id that owns the exactly-once key h (from the row it points at). */
  private storedEventId(h: number): string | undefined {
    const st = this.st;
    const row = st.getId.get(h) as { kind: number; ref: number };
    return (row.kind === KIND_FILL ? st.fillEventId.get(row.ref) : st.oeEventId.get(row.ref)) as string | undefined;
  }

  /** Average-cost update of the book (SPEC §8); returns the realized PnL of this fill in micro-USD. */
  private applyFill(ev: OrderEvent, dirty: Pos[]): bigint {
    const key = `${ev.bucket}|${ev.symbol}`;
    let p = this.book.get(key);
    if (!p) {
      p = { bucket: ev.bucket, symbol: ev.symbol, qty: 0, cost: 0n, realized: 0n, dirty: false };
      this.book.set(key, p);
    }
    if (!p.dirty) {
      p.dirty = true;
      dirty.push(p);
    }
    const price = BigInt(ev.price_micro);
    const signed = ev.side === 'BUY' ? ev.qty : -ev.qty;
    if (p.qty === 0 || p.qty > 0 === signed > 0) {
      p.qty += signed;
      p.cost += BigInt(ev.qty) * price;
      return 0n;
    }
    const open = Math.abs(p.qty);
    const closeQty = Math.min(ev.qty, open);
    const closedCost = closeQty === open ? p.cost : roundDiv(p.cost * BigInt(closeQty), BigInt(open));
    const proceeds = BigInt(closeQty) * price;
    const realized = p.qty > 0 ? proceeds - closedCost : closedCost - proceeds;
    p.realized += realized;
    p.cost -= closedCost;
    const rest = ev.qty - closeQty;
    if (rest === 0) {
      p.qty += signed;
    } else {
      p.qty = signed > 0 ? rest : -rest;
      p.cost = BigInt(rest) * price;
    }
    return realized;
  }
}

/** JSON text of an event object for quarantine: never throws, keeps the content (bigint, cycles, odd toJSON). */
export function safeStringify(o: unknown): string {
  const seen = new WeakSet<object>();
  const replacer = (_k: string, v: unknown): unknown => {
    if (typeof v === 'bigint') return `${v.toString()}n`;
    if (typeof v === 'function' || typeof v === 'symbol') return `[${typeof v}]`;
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  };
  try {
    const s = JSON.stringify(o, replacer);
    if (s !== undefined) return s;
  } catch {
    // a throwing getter or toJSON: fall back to a shallow dump below
  }
  if (typeof o === 'object' && o !== null) {
    const parts: string[] = [];
    for (const k of Object.keys(o)) {
      let val: string;
      try {
        val = JSON.stringify((o as Record<string, unknown>)[k], replacer) ?? 'undefined';
      } catch {
        val = '"[unserializable]"';
      }
      parts.push(`${JSON.stringify(k)}:${val}`);
    }
    return `{${parts.join(',')}}`;
  }
  try {
    return String(o);
  } catch {
    return Object.prototype.toString.call(o);
  }
}

/** Total filled quantity per intent id (engine: how much of an intent has filled). Missing ids map to 0. */
export function filledQtyByIntent(db: Db, ids: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const id of ids) out.set(id, 0);
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = db
      .prepare(
        `SELECT intent_id, SUM(qty) AS q FROM fills WHERE intent_id IN (${chunk.map(() => '?').join(',')})
         GROUP BY intent_id`,
      )
      .all(...chunk) as { intent_id: string; q: number }[];
    for (const r of rows) out.set(r.intent_id, r.q);
  }
  return out;
}
