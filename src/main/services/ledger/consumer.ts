// The Daily Ledger's consumer (SPEC §7–§8): validates, de-duplicates and applies order events in batches, each
// batch in ONE transaction together with its effects (fills, positions, daily aggregates, quarantine) and the
// consumer's position in the log, so a crash at any instant neither loses nor double-counts a fill.
//
// Hot state (the book) is kept in memory and reloaded from SQLite whenever ledger_meta.generation shows that
// someone else wrote positions (a trigger bumps it on every write), so it is always the committed truth.
//
// Exactly-once costs one row per event: an event is one row of fills or order_events, whose event_id is a UNIQUE
// column (exact text; no hash, so no collision handling). Per batch: repeats inside the batch are dropped in memory,
// ONE statement asks SQLite which ids are already applied, and the new fills go in FILL_ROWS rows per INSERT.
// Positions and aggregates are upserted once per touched row per batch.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db';
import { hash53 } from './hash';
import { TradingDateCache } from './dates';
import { validateObject, validateRaw, type OrderEvent, type Validated } from './validate';
import { LineValidator } from './validator';

export interface Counts {
  accepted: number;
  duplicates: number;
  rejected: number;
}

export interface RunOptions {
  /**
   * Parse + validate on this thread: pipelined (the next batch is validated there while the current one commits).
   * Omitted: runToEnd starts (and closes) its own when the backlog is at least `pipelineMin` lines; null: never.
   */
  validator?: LineValidator | null;
  /** Backlog (lines) from which runToEnd starts its own validator thread (default 20,000). */
  pipelineMin?: number;
  /**
   * Stop once the position reaches this seq (default: the end of the log). With a validator, the batch after it is
   * still read and submitted, and a later runToEnd with the same validator takes its results (bandctl ingest
   * appends chunk k+1, then applies chunk k while chunk k+1 is validated).
   */
  until?: number;
}

/** Backlog from which runToEnd pays for a validator thread (its start-up is ~tens of ms; a batch of 20k ~60 ms). */
export const PIPELINE_MIN = 20_000;

/** Consecutive log rows: their raw lines, their source(s), the seq of the last. */
interface LogBatch {
  last: number;
  raws: string[];
  sources: string | string[];
}

/** A batch read ahead of the position and submitted to a validator (results still to take, in order). */
interface Ahead {
  /** The position the batch follows. */
  after: number;
  batch: LogBatch;
  v: LineValidator;
}

/** Rows this process appended itself (seq first, first + 1, …), kept to be applied without reading them back. */
interface Known {
  first: number;
  raws: readonly string[];
  source: string;
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

// Money is a safe integer number on the hot path and turns into a bigint only when a value passes 2^53 (then it
// stays exact): no float ever holds a sum that is not an exact integer.
type Num = number | bigint;

interface Pos {
  bucket: string;
  symbol: string;
  qty: number;
  cost: Num;
  realized: Num;
  dirty: boolean;
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

/** A bigint back to a number when it is a safe integer (the fast path resumes). */
function norm(b: bigint): Num {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

function add(a: Num, b: Num): Num {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    if (Number.isSafeInteger(s)) return s; // exact: |true sum| <= 2^53 - 1 is representable
  }
  return norm(BigInt(a) + BigInt(b));
}

function sub(a: Num, b: Num): Num {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a - b;
    if (Number.isSafeInteger(s)) return s;
  }
  return norm(BigInt(a) - BigInt(b));
}

/** a × b for a >= 0 and a whole b >= 0. */
function mul(a: Num, b: number): Num {
  if (typeof a === 'number') {
    const p = a * b;
    if (Number.isSafeInteger(p)) return p; // a true product > 2^53 - 1 never rounds down into the safe range
  }
  return norm(BigInt(a) * BigInt(b));
}

/** round(a / b) half up, for a >= 0, b > 0. */
function roundDiv(a: Num, b: number): Num {
  if (typeof a === 'number') {
    const x = 2 * a + b;
    // floor(x / y) of integers x < 2^53, y >= 1 is exact in doubles (the quotient never rounds up to the next integer)
    if (Number.isSafeInteger(x)) return Math.floor(x / (2 * b));
  }
  const bb = BigInt(b);
  return norm((2n * BigInt(a) + bb) / (2n * bb));
}

const INS_FILL = `INSERT INTO fills (id, event_id, order_id, intent_id, ts, trading_date, bucket, symbol, classification,
  side, qty, price_micro, realized_micro)`;
const FILL_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const FILL_COLS = 13;
/** Fills per INSERT statement (fewer calls into SQLite; 13 × 32 = 416 parameters). */
const FILL_ROWS = 32;

/**
 * True when every id of a batch sorts after every id already applied, so none can be a duplicate and the per-id
 * probes of both UNIQUE indexes can be skipped: the common case of a producer whose ids grow (sequences, time-based
 * ids). Compared as SQLite compares TEXT (bytes), which JavaScript's order equals for ASCII; any other id takes the
 * probes.
 */
function allAfterApplied(ids: readonly string[], maxFill: string | null, maxOe: string | null): boolean {
  let min = ids[0];
  for (let i = 1; i < ids.length; i++) if (ids[i] < min) min = ids[i];
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/;
  if (!ascii.test(min) || (maxFill !== null && !ascii.test(maxFill)) || (maxOe !== null && !ascii.test(maxOe))) return false;
  // the minimum in JavaScript's order is the minimum in byte order only if no id has a character past ASCII
  if (!ascii.test(ids.join(''))) return false;
  return (maxFill === null || min > maxFill) && (maxOe === null || min > maxOe);
}

export class LedgerConsumer {
  readonly name: string;
  readonly batchSize: number;
  private readonly dates: TradingDateCache;
  private readonly now: () => number;
  /** The book by bucket, then symbol. */
  private readonly book = new Map<string, Map<string, Pos>>();
  private generation = -1;
  private ahead: Ahead | null = null;
  private known: Known[] = [];
  // the book after the fill last computed by nextFill() (committed into the position only if the fill is new)
  private nQty = 0;
  private nCost: Num = 0;
  private nRealized: Num = 0;
  /** Parameters of the next multi-row fills INSERT. */
  private readonly fillArgs: unknown[] = new Array<unknown>(FILL_COLS * FILL_ROWS);
  private st!: {
    gen: Statement;
    posAll: Statement;
    maxFill: Statement;
    maxOe: Statement;
    maxFillId: Statement;
    maxOeId: Statement;
    applied: Statement;
    insFills: Statement;
    insFill: Statement;
    insOe: Statement;
    qFind: Statement;
    qIns: Statement;
    aggUpsert: Statement;
    posUpsert: Statement;
    getPos: Statement;
    setPos: Statement;
    logRange: Statement;
    logEnd: Statement;
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
      // the greatest event id applied so far in each table (one step down each UNIQUE index)
      maxFillId: db.prepare('SELECT MAX(event_id) FROM fills').pluck(),
      maxOeId: db.prepare('SELECT MAX(event_id) FROM order_events').pluck(),
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
      logEnd: db.prepare('SELECT COALESCE(MAX(seq), 0) FROM event_log').pluck(),
      setPos: db.prepare(
        'INSERT INTO ledger_consumers (name, pos) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET pos = excluded.pos',
      ),
      logRange: db.prepare('SELECT seq, source, raw FROM event_log WHERE seq > ? ORDER BY seq LIMIT ?').raw(true),
    };
  }

  /** Last applied event_log seq of this consumer. */
  position(): number {
    return (this.st.getPos.get(this.name) as number | undefined) ?? 0;
  }

  /**
   * Applies everything appended to the log since the stored position, batch by batch: each batch in ONE
   * transaction with the consumer's new position. With a validator (see RunOptions) the next batch is read ahead
   * (the log is append-only: AUTOINCREMENT seqs, rows never change) and parsed + validated on its thread while the
   * current batch commits; a batch is applied only if the stored position, read inside its transaction, is the one
   * it follows (otherwise someone else moved this consumer and the log is read again from there).
   */
  runToEnd(onBatch?: (counts: Counts, pos: number) => void, opts: RunOptions = {}): Counts {
    const total: Counts = { accepted: 0, duplicates: 0, rejected: 0 };
    const until = opts.until ?? Number.MAX_SAFE_INTEGER;
    let v: LineValidator | null = opts.validator ?? null;
    let own: LineValidator | null = null;
    if (opts.validator === undefined) {
      const backlog = (this.st.logEnd.get() as number) - this.position();
      if (backlog >= (opts.pipelineMin ?? PIPELINE_MIN)) v = own = LineValidator.start();
    }
    if (this.ahead && this.ahead.v !== v) this.dropAhead();
    try {
      for (;;) {
        const pos = this.position();
        if (pos >= until) {
          // stop here, but have the next batch validated meanwhile (the next runToEnd takes it)
          if (v && this.ahead?.after !== pos) {
            this.dropAhead();
            this.readAhead(pos, v);
          }
          break;
        }
        let batch: LogBatch | null;
        let pre: Validated[] | null = null;
        const a = this.ahead;
        if (a && a.after === pos) {
          this.ahead = null;
          batch = a.batch;
          pre = a.v.take();
          if (pre === null) v = null; // the thread failed: validate the rest here
        } else {
          this.dropAhead();
          batch = this.readBatch(pos);
        }
        if (!batch) break;
        const { last, raws, sources } = batch;
        if (v) this.readAhead(last, v);
        const c = this.inTransaction(() => {
          if (this.position() !== pos) return null; // moved by another connection: read again from its position
          const r = this.applyItems(raws, sources, pre);
          this.st.setPos.run(this.name, last);
          return r;
        });
        if (!c) continue;
        total.accepted += c.accepted;
        total.duplicates += c.duplicates;
        total.rejected += c.rejected;
        onBatch?.(c, last);
      }
    } finally {
      if (own) {
        this.dropAhead();
        void own.close();
      }
    }
    return total;
  }

  /** Reads the batch after `after` and submits it to `v` (nothing when the log ends there). */
  private readAhead(after: number, v: LineValidator): void {
    const batch = this.readBatch(after);
    if (!batch) return;
    v.submit(batch.raws);
    this.ahead = { after, batch, v };
  }

  /**
   * Up to batchSize log rows after seq `after` (null at the end of the log): from rows this process appended
   * itself when they start right there (the log never changes a row), else read from event_log.
   */
  private readBatch(after: number): LogBatch | null {
    this.known = this.known.filter((k) => k.first + k.raws.length - 1 > after);
    for (const k of this.known) {
      const i = after + 1 - k.first;
      if (i < 0 || i >= k.raws.length) continue;
      const raws = k.raws.slice(i, i + this.batchSize);
      return { last: after + raws.length, raws, sources: k.source };
    }
    const rows = this.st.logRange.all(after, this.batchSize) as [number, string, string][];
    if (rows.length === 0) return null;
    const raws = new Array<string>(rows.length);
    const sources = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      sources[i] = rows[i][1];
      raws[i] = rows[i][2];
    }
    return { last: rows[rows.length - 1][0], raws, sources };
  }

  /**
   * Tells the consumer that event_log rows first … first + raws.length - 1 are exactly `raws` from `source`, as
   * committed by this process (appendEvents' range, checked contiguous), so it applies them without reading them
   * back. Only a hint: a batch starting elsewhere is read from the log.
   */
  noteAppended(first: number, raws: readonly string[], source: string): void {
    if (first > 0 && raws.length > 0) this.known.push({ first, raws, source });
  }

  /** Forgets the batch read ahead (taking its results off the validator, which stays in step). */
  private dropAhead(): void {
    const a = this.ahead;
    if (!a) return;
    this.ahead = null;
    a.v.take();
  }

  /** Lets go of a batch read ahead for `validator` (call before closing a validator passed to runToEnd). */
  release(validator?: LineValidator | null): void {
    if (this.ahead && (validator === undefined || this.ahead.v === validator)) this.dropAhead();
  }

  /**
   * Validates, de-duplicates and applies one batch in ONE transaction; `inTx` runs inside that same transaction
   * (e.g. to record stream entry ids). Raw strings are JSON lines; objects are events already parsed.
   */
  applyBatch(events: Array<string | Record<string, unknown>>, source: string, inTx?: () => void): Counts {
    return this.inTransaction(() => {
      const c = this.applyItems(events, source);
      inTx?.();
      return c;
    });
  }

  /**
   * applyBatch for each of several batches in turn (one transaction each, the same result as calling applyBatch
   * batch by batch), with parse + validate of batch k+1 running on the validator's thread while batch k is applied.
   * Without a validator (or if it fails) the lines are validated here.
   */
  applyBatches(batches: string[][], source: string, validator?: LineValidator | null): Counts {
    const total: Counts = { accepted: 0, duplicates: 0, rejected: 0 };
    let v = validator ?? null;
    if (v && batches.length > 0) v.submit(batches[0]);
    for (let b = 0; b < batches.length; b++) {
      if (v && b + 1 < batches.length) v.submit(batches[b + 1]);
      let pre: Validated[] | null = null;
      if (v) {
        pre = v.take();
        if (pre === null) v = null; // the thread failed: validate the rest here
      }
      const c = this.inTransaction(() => this.applyItems(batches[b], source, pre));
      total.accepted += c.accepted;
      total.duplicates += c.duplicates;
      total.rejected += c.rejected;
    }
    return total;
  }

  /**
   * One batch in ONE transaction, its lines parsed and validated already (`pre`, one result per line, from a
   * LineValidator) or here (null): what `bandctl ingest` applies straight from its file.
   */
  applyValidated(lines: string[], source: string, pre: readonly Validated[] | null): Counts {
    return this.inTransaction(() => this.applyItems(lines, source, pre));
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
      this.bucketBook(r.bucket).set(r.symbol, {
        bucket: r.bucket,
        symbol: r.symbol,
        qty: Number(r.qty),
        cost: norm(r.cost_micro),
        realized: norm(r.realized_micro),
        dirty: false,
      });
    }
  }

  /** Must run inside a transaction. `sources`: one source for all, or one per event. */
  private applyItems(
    raws: ReadonlyArray<string | Record<string, unknown>>,
    sources: string | readonly string[],
    pre: readonly Validated[] | null = null,
  ): Counts {
    const st = this.st;
    const gen = st.gen.get() as number;
    if (gen !== this.generation) this.loadBook();
    // aggregates of this batch by date, then symbol, then classification
    const aggs = new Map<string, Map<string, Map<string, Agg>>>();
    const aggList: Agg[] = [];
    const dirty: Pos[] = [];
    const now = this.now();
    let accepted = 0;
    let duplicates = 0;
    let rejected = 0;

    // Pass 1: validate; quarantine the bad ones; drop repeats inside the batch (the first occurrence wins).
    const valid: OrderEvent[] = [];
    const inBatch = new Set<string>();
    const ids: string[] = [];
    for (let i = 0; i < raws.length; i++) {
      const raw = raws[i];
      const v: Validated = pre !== null ? pre[i] : typeof raw === 'string' ? validateRaw(raw) : validateObject(raw);
      if (!v.ok) {
        const text = typeof raw === 'string' ? raw : safeStringify(raw);
        const rh = hash53(text);
        const prior = st.qFind.all(rh) as string[];
        if (prior.includes(text)) {
          duplicates++; // the same bad bytes redelivered: already quarantined once
        } else {
          st.qIns.run(typeof sources === 'string' ? sources : sources[i], text, v.reason, now, rh);
          rejected++;
        }
        continue;
      }
      const ev = v.event;
      if (inBatch.size === inBatch.add(ev.event_id).size) {
        duplicates++;
        continue;
      }
      valid.push(ev);
      ids.push(ev.event_id);
    }

    // Pass 2: the ids already applied (by an earlier batch, by another consumer).
    let nextFill = (st.maxFill.get() as number) + 1;
    let nextOe = (st.maxOe.get() as number) + 1;
    const seen =
      ids.length > 0 && nextFill + nextOe > 2 && !allAfterApplied(ids, st.maxFillId.get() as string | null, st.maxOeId.get() as string | null)
        ? new Set(st.applied.all(JSON.stringify(ids)) as string[])
        : null;

    // Pass 3: apply the new events in stream order.
    const args = this.fillArgs;
    let k = 0; // parameters buffered in args
    for (let i = 0; i < valid.length; i++) {
      const ev = valid[i];
      if (seen !== null && seen.has(ev.event_id)) {
        duplicates++;
        continue;
      }
      accepted++;
      if (!ev.isFill) {
        st.insOe.run(nextOe++, ev.event_id, ev.order_id, ev.intent_id, ev.event_type, ev.ts, ev.symbol,
          ev.classification, ev.side);
        continue;
      }
      const date = this.dates.dateOf(ev.ts);
      const p = this.position_(ev);
      const realized = this.nextFill(p, ev);
      p.qty = this.nQty;
      p.cost = this.nCost;
      p.realized = this.nRealized;
      if (!p.dirty) {
        p.dirty = true;
        dirty.push(p);
      }
      args[k++] = nextFill++;
      args[k++] = ev.event_id;
      args[k++] = ev.order_id;
      args[k++] = ev.intent_id;
      args[k++] = ev.ts;
      args[k++] = date;
      args[k++] = ev.bucket;
      args[k++] = ev.symbol;
      args[k++] = ev.classification;
      args[k++] = ev.side;
      args[k++] = ev.qty;
      args[k++] = ev.price_micro;
      args[k++] = realized;
      if (k === args.length) {
        st.insFills.run(args);
        k = 0;
      }
      let day = aggs.get(date);
      if (!day) aggs.set(date, (day = new Map()));
      let sym = day.get(ev.symbol);
      if (!sym) day.set(ev.symbol, (sym = new Map()));
      let a = sym.get(ev.classification);
      if (!a) {
        a = { date, symbol: ev.symbol, cls: ev.classification, qty: 0, notional: 0, realized: 0, count: 0, net: 0 };
        sym.set(ev.classification, a);
        aggList.push(a);
      }
      a.qty += ev.qty;
      a.notional = add(a.notional, mul(ev.price_micro, ev.qty));
      a.realized = add(a.realized, realized);
      a.count++;
      a.net += ev.side === 'BUY' ? ev.qty : -ev.qty;
    }
    for (let j = 0; j < k; j += FILL_COLS) st.insFill.run(args.slice(j, j + FILL_COLS));

    // Positions and aggregates: one upsert per touched row per batch.
    for (const a of aggList) {
      st.aggUpsert.run(a.date, a.symbol, a.cls, a.qty, a.notional, a.realized, a.count, a.net);
    }
    for (const p of dirty) {
      st.posUpsert.run(p.bucket, p.symbol, p.qty, p.cost, p.realized, now);
      p.dirty = false;
    }
    this.generation = st.gen.get() as number;
    return { accepted, duplicates, rejected };
  }

  private bucketBook(bucket: string): Map<string, Pos> {
    let m = this.book.get(bucket);
    if (!m) this.book.set(bucket, (m = new Map()));
    return m;
  }

  private position_(ev: OrderEvent): Pos {
    const m = this.bucketBook(ev.bucket);
    let p = m.get(ev.symbol);
    if (!p) {
      p = { bucket: ev.bucket, symbol: ev.symbol, qty: 0, cost: 0, realized: 0, dirty: false };
      m.set(ev.symbol, p);
    }
    return p;
  }

  /**
   * Average-cost update of the book (SPEC §8) for one fill, WITHOUT touching p: the new qty / cost / realized total
   * go to nQty / nCost / nRealized (committed by the caller once the fill is known to be new). Returns the realized
   * PnL of this fill in micro-USD.
   */
  private nextFill(p: Pos, ev: OrderEvent): Num {
    const price = ev.price_micro;
    const signed = ev.side === 'BUY' ? ev.qty : -ev.qty;
    this.nRealized = p.realized;
    if (p.qty === 0 || p.qty > 0 === signed > 0) {
      this.nQty = p.qty + signed;
      this.nCost = add(p.cost, mul(price, ev.qty));
      return 0;
    }
    const open = Math.abs(p.qty);
    const closeQty = Math.min(ev.qty, open);
    const closedCost = closeQty === open ? p.cost : roundDiv(mul(p.cost, closeQty), open);
    const proceeds = mul(price, closeQty);
    const realized = p.qty > 0 ? sub(proceeds, closedCost) : sub(closedCost, proceeds);
    this.nRealized = add(p.realized, realized);
    const rest = ev.qty - closeQty;
    if (rest === 0) {
      this.nQty = p.qty + signed;
      this.nCost = sub(p.cost, closedCost);
    } else {
      this.nQty = signed > 0 ? rest : -rest;
      this.nCost = mul(price, rest);
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
