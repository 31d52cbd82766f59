// The Daily Ledger's batch applier (docs/spec.md §7–§8), inside a transaction the consumer opened: de-duplicates and applies
// validated batches and writes their effects (fills, lifecycle events, positions, daily aggregates, quarantine).
//
// Exactly-once costs one row per event: an event is one row of fills or order_events, whose event_id is a UNIQUE
// column (exact text; no hash, so no collision handling). Per batch: repeats inside the batch are marked where it is
// validated (validate.ts checkLines, on a validator thread or here), ONE statement asks SQLite which ids are already
// applied (none when every id sorts after the greatest applied one), and the new fills go in FILL_ROWS rows per
// INSERT. Positions and aggregates are upserted once per touched row per transaction (a transaction may take several
// batches: Part), in key order.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db';
import { add, mul, type Num } from '../../../shared/money';
import { CLASSIFICATIONS, EVENT_TYPES, sideOf } from '../../../shared/domain';
import { Book, type Pos } from './book';
import { TradingDateCache } from './dates';
import { hash53 } from './hash';
import { isQuarantined, quarantine } from './quarantine';
import { checkLines, FIRST, REJECTED, type Checked } from './validate';
import { IdMarks } from './marks';

export interface Counts {
  accepted: number;
  duplicates: number;
  rejected: number;
}

/** One batch of a transaction: its items (raw lines or event objects) and, if validated already, their columns. */
export interface Part {
  /** null: only `checked` has them (it must answer, with the raw text of the rejected ones: Checked.raws). */
  items: ReadonlyArray<string | Record<string, unknown>> | null;
  /** One source for all, or one per item. */
  sources: string | readonly string[];
  /** The columns (from a LineValidator), or null to validate here; called when the part is applied. */
  checked?: (() => Checked | null) | null;
}

interface Agg {
  date: string;
  symbol: string;
  cls: string;
  qty: number;
  notional: Num;
  realized: Num;
  count: number;
  net: number;
}

/** The effects of one open transaction written at its end, and what it has counted. */
interface Tx {
  now: number;
  nextFill: number;
  nextOe: number;
  /** Aggregates by trading date, then symbol, then classification index. */
  aggs: Map<string, Map<string, (Agg | undefined)[]>>;
  aggList: Agg[];
  dirty: Pos[];
  counts: Counts;
}

// OR FAIL, not the default ABORT: an ABORT statement that writes several rows keeps a statement journal (a temp file)
// of every page it changes that existed before it, to undo just that statement. Fills appended at the end of the
// event_id index change few such pages; ids from several producers interleave and every 32-row statement changed
// old index leaves at each producer's point (1M lines: 920k pwrite calls instead of 88k, +1.7 s). A conflict still
// throws, and inTransaction (consumer.ts) rolls the whole transaction back, with the rows FAIL kept.
const INS_FILL = `INSERT OR FAIL INTO fills (id, event_id, order_id, intent_id, ts, trading_date, bucket, symbol,
  classification, side, qty, price_micro, realized_micro)`;
const FILL_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const FILL_COLS = 13;
/** Fills per INSERT statement (fewer calls into SQLite; 13 × 32 = 416 parameters). */
const FILL_ROWS = 32;

const BUCKET_OF = CLASSIFICATIONS.map((c) => (c.startsWith('LT') ? 'LT' : 'MM'));
const SIDE_OF = CLASSIFICATIONS.map(sideOf);
const IS_FILL = EVENT_TYPES.map((t) => t === 'FILL' || t === 'PARTIAL_FILL');

function aggOrder(a: Agg, b: Agg): number {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  if (a.symbol !== b.symbol) return a.symbol < b.symbol ? -1 : 1;
  return a.cls < b.cls ? -1 : a.cls > b.cls ? 1 : 0;
}

export class BatchApplier {
  private readonly book: Book;
  private readonly dates: TradingDateCache;
  /** Parameters of the next multi-row fills INSERT. */
  private readonly fillArgs: unknown[] = new Array<unknown>(FILL_COLS * FILL_ROWS);
  /** Which ids of a batch cannot be applied already, without asking SQLite (marks.ts). */
  private readonly marks: IdMarks;
  private readonly st: {
    maxFill: Statement;
    maxOe: Statement;
    applied: Statement;
    insFills: Statement;
    insFill: Statement;
    insOe: Statement;
    aggUpsert: Statement;
    posUpsert: Statement;
  };

  constructor(
    private readonly db: Db,
    timezone: string,
    private readonly now: () => number,
  ) {
    this.dates = new TradingDateCache(timezone);
    this.book = new Book(db);
    this.marks = IdMarks.of(db);
    this.st = {
      maxFill: db.prepare('SELECT COALESCE(MAX(id), 0) FROM fills').pluck(),
      maxOe: db.prepare('SELECT COALESCE(MAX(id), 0) FROM order_events').pluck(),
      // Exactly-once: the ids of a batch that are already applied, as a fill or as a lifecycle event (one statement
      // per batch: SQLite probes both UNIQUE event_id indexes; the exact text is compared, no hash).
      applied: db
        .prepare(
          `SELECT value FROM json_each(?) WHERE EXISTS (SELECT 1 FROM fills WHERE event_id = value)
             OR EXISTS (SELECT 1 FROM order_events WHERE event_id = value)`,
        )
        .pluck(),
      // New fills only (checked above, inside the same IMMEDIATE transaction): a conflict here would throw and roll
      // the batch back, never skip silently. FILL_ROWS per statement, then one at a time for the rest.
      insFills: db.prepare(`${INS_FILL} VALUES ${new Array(FILL_ROWS).fill(FILL_ROW).join(', ')}`),
      insFill: db.prepare(`${INS_FILL} VALUES ${FILL_ROW}`),
      insOe: db.prepare(
        `INSERT INTO order_events (id, event_id, order_id, intent_id, event_type, ts, symbol, classification, side)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
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
    };
  }

  /** A transaction failed: the in-memory book may hold uncommitted changes, so it is reloaded next time. */
  rolledBack(): void {
    this.book.invalidate();
  }

  /** Must run inside a transaction: the parts in order, their aggregates and positions written once at the end. */
  apply(parts: Iterable<Part>): Counts {
    const st = this.st;
    this.book.sync();
    this.marks.begin(); // (inside the transaction: nobody else commits until it ends)
    const tx: Tx = {
      now: this.now(),
      nextFill: (st.maxFill.get() as number) + 1,
      nextOe: (st.maxOe.get() as number) + 1,
      aggs: new Map(),
      aggList: [],
      dirty: [],
      counts: { accepted: 0, duplicates: 0, rejected: 0 },
    };
    for (const part of parts) {
      const c = part.checked?.() ?? (part.items ? checkLines(part.items) : null);
      if (!c || (part.items ? c.n !== part.items.length : !c.raws)) throw new Error('ledger: a batch without its results');
      this.applyPart(tx, part, c);
    }
    // Aggregates and positions: one upsert per touched row per transaction, aggregates in key order (the b-tree is
    // walked once, not hopped across).
    tx.aggList.sort(aggOrder);
    for (const a of tx.aggList) st.aggUpsert.run(a.date, a.symbol, a.cls, a.qty, a.notional, a.realized, a.count, a.net);
    for (const p of tx.dirty) {
      st.posUpsert.run(p.bucket, p.symbol, p.qty, p.cost, p.realized, tx.now);
      p.dirty = false;
    }
    this.book.synced();
    return tx.counts;
  }

  /** One batch into the open transaction `tx` (its fills are all in the table when it returns). */
  private applyPart(tx: Tx, part: Part, c: Checked): void {
    const st = this.st;
    const book = this.book;
    const { items, sources } = part;
    const counts = tx.counts;
    const { kind, strs } = c;

    // Pass 1: quarantine the bad lines; count the repeats inside the batch (checkLines marked them).
    let first = 0;
    for (let i = 0, s = 0, r = 0; i < c.n; i++) {
      const k = kind[i];
      if (k === FIRST) {
        first++;
        s += 3;
      } else if (k === REJECTED) {
        const raw = c.raws ? c.raws[r++] : (items as NonNullable<Part['items']>)[i];
        const text = typeof raw === 'string' ? raw : safeStringify(raw);
        const rh = hash53(text);
        if (isQuarantined(this.db, text, rh)) {
          counts.duplicates++; // the same bad bytes redelivered: already quarantined once
        } else {
          quarantine(this.db, typeof sources === 'string' ? sources : sources[i], text, strs[s] as string, tx.now, rh);
          counts.rejected++;
        }
        s++;
      } else {
        counts.duplicates++;
      }
    }
    if (first === 0) return;

    // Pass 2: the ids already applied (by an earlier batch, by another consumer). None when every id sorts after every
    // applied one; else SQLite is asked about the ids the marks cannot clear (marks.ts), in one statement.
    let seen: Set<string> | null = null;
    if (tx.nextFill + tx.nextOe > 2 && !this.marks.allAfterBook(c)) {
      const ids: string[] = [];
      const marks = this.marks;
      marks.check(c);
      for (let i = 0, s = 0; i < c.n; i++) {
        if (kind[i] === FIRST) {
          const id = strs[s] as string;
          if (!marks.isNew(id, i)) ids.push(id);
          s += 3;
        } else if (kind[i] === REJECTED) s++;
      }
      if (ids.length > 0) seen = new Set(st.applied.all(JSON.stringify(ids)) as string[]);
    }
    this.marks.applied(c); // every FIRST id of the batch is in the book once it is applied (new or not)

    // Pass 3: apply the new events in stream order.
    const { cls, type, nums, sym, syms } = c;
    // per symbol of this batch: its position in each bucket, its aggregates for the date last seen
    const symPos = new Array<Pos | undefined>(2 * syms.length);
    const symDate = new Array<string | undefined>(syms.length);
    const symAggs = new Array<(Agg | undefined)[]>(syms.length);
    const args = this.fillArgs;
    let k = 0; // parameters buffered in args
    for (let i = 0, s = 0; i < c.n; i++) {
      const ki = kind[i];
      if (ki !== FIRST) {
        if (ki === REJECTED) s++;
        continue;
      }
      const eventId = strs[s] as string;
      const orderId = strs[s + 1];
      const intentId = strs[s + 2];
      s += 3;
      if (seen !== null && seen.has(eventId)) {
        counts.duplicates++;
        continue;
      }
      counts.accepted++;
      const ci = cls[i];
      const si = sym[i];
      const ts = nums[3 * i];
      if (!IS_FILL[type[i]]) {
        st.insOe.run(tx.nextOe++, eventId, orderId, intentId, EVENT_TYPES[type[i]], ts, syms[si], CLASSIFICATIONS[ci], SIDE_OF[ci]);
        continue;
      }
      const qty = nums[3 * i + 1];
      const price = nums[3 * i + 2];
      const buy = SIDE_OF[ci] === 'BUY';
      const date = this.dates.dateOf(ts);
      const pi = 2 * si + (BUCKET_OF[ci] === 'LT' ? 0 : 1);
      const p = symPos[pi] ?? (symPos[pi] = book.position(BUCKET_OF[ci], syms[si]));
      const realized = book.next(p, price, qty, buy ? qty : -qty);
      p.qty = book.nQty;
      p.cost = book.nCost;
      p.realized = book.nRealized;
      if (!p.dirty) {
        p.dirty = true;
        tx.dirty.push(p);
      }
      args[k++] = tx.nextFill++;
      args[k++] = eventId;
      args[k++] = orderId;
      args[k++] = intentId;
      args[k++] = ts;
      args[k++] = date;
      args[k++] = BUCKET_OF[ci];
      args[k++] = syms[si];
      args[k++] = CLASSIFICATIONS[ci];
      args[k++] = SIDE_OF[ci];
      args[k++] = qty;
      args[k++] = price;
      args[k++] = realized;
      if (k === args.length) {
        // as arguments, not one array: better-sqlite3 reads an array's elements by generic property lookups (measured
        // in a profile: ~10% of the main thread), the arguments of a call directly
        st.insFills.run(...args);
        k = 0;
      }
      let aggs = symAggs[si];
      if (symDate[si] !== date) {
        aggs = symAggs[si] = aggsOf(tx, date, syms[si]);
        symDate[si] = date;
      }
      let a = aggs[ci];
      if (a === undefined) {
        a = aggs[ci] = { date, symbol: syms[si], cls: CLASSIFICATIONS[ci], qty: 0, notional: 0, realized: 0, count: 0, net: 0 };
        tx.aggList.push(a);
      }
      a.qty += qty;
      a.notional = add(a.notional, mul(price, qty));
      a.realized = add(a.realized, realized);
      a.count++;
      a.net += buy ? qty : -qty;
    }
    // the rest now: the next batch's probe of the fills table must see every fill of this one
    for (let j = 0; j < k; j += FILL_COLS) st.insFill.run(args.slice(j, j + FILL_COLS));
  }
}

/** The aggregates of (date, symbol) in this transaction, by classification index. */
function aggsOf(tx: Tx, date: string, symbol: string): (Agg | undefined)[] {
  let day = tx.aggs.get(date);
  if (!day) tx.aggs.set(date, (day = new Map()));
  let row = day.get(symbol);
  if (!row) day.set(symbol, (row = new Array<Agg | undefined>(CLASSIFICATIONS.length)));
  return row;
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
