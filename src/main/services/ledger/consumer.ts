// The Daily Ledger's consumer (SPEC §7–§8): validates, de-duplicates and applies order events in batches, each
// batch in ONE transaction together with its effects (fills, positions, daily aggregates, quarantine) and the
// consumer's position in the log, so a crash at any instant neither loses nor double-counts a fill.
//
// Hot state (the book) is kept in memory and reloaded from SQLite whenever ledger_meta.generation shows that
// someone else wrote positions (a trigger bumps it on every write), so it is always the committed truth.
//
// Exactly-once costs one row per event: an event is one row of fills or order_events, whose event_id is a UNIQUE
// column (exact text; no hash, so no collision handling). Per batch: repeats inside the batch are marked where it is
// validated (validate.ts checkLines, on a validator thread or here), ONE statement asks SQLite which ids are already
// applied (none when every id sorts after the greatest applied one), and the new fills go in FILL_ROWS rows per
// INSERT. Positions and aggregates are upserted once per touched row per transaction (a transaction may take several
// batches: Part), in key order.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db';
import { hash53 } from './hash';
import { TradingDateCache } from './dates';
import { CLASSIFICATIONS, EVENT_TYPES, sideOf } from '../../../shared/domain';
import { checkLines, FIRST, REJECTED, type Checked } from './validate';
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

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/**
 * True when every id of a batch sorts after every id already applied, so none can be a duplicate and the per-id
 * probes of both UNIQUE indexes can be skipped: the common case of a producer whose ids grow (sequences, time-based
 * ids). Compared as SQLite compares TEXT (bytes), which JavaScript's order equals for ASCII (the batch's least id
 * `min` is its least in byte order only if every id of it is ASCII: `ascii`); any other id takes the probes.
 */
function allAfterApplied(min: string, ascii: boolean, maxFill: string | null, maxOe: string | null): boolean {
  if (!ascii || (maxFill !== null && !ASCII.test(maxFill)) || (maxOe !== null && !ASCII.test(maxOe))) return false;
  return (maxFill === null || min > maxFill) && (maxOe === null || min > maxOe);
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

const BUCKET_OF = CLASSIFICATIONS.map((c) => (c.startsWith('LT') ? 'LT' : 'MM'));
const SIDE_OF = CLASSIFICATIONS.map(sideOf);
const IS_FILL = EVENT_TYPES.map((t) => t === 'FILL' || t === 'PARTIAL_FILL');

function aggOrder(a: Agg, b: Agg): number {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  if (a.symbol !== b.symbol) return a.symbol < b.symbol ? -1 : 1;
  return a.cls < b.cls ? -1 : a.cls > b.cls ? 1 : 0;
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
        let pre: Checked | null = null;
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
          const r = this.applyParts([{ items: raws, sources, checked: pre === null ? null : () => pre }]);
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
      const c = this.applyParts([{ items: events, sources: source }]);
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
      let pre: Checked | null = null;
      if (v) {
        pre = v.take();
        if (pre === null) v = null; // the thread failed: validate the rest here
      }
      const c = this.inTransaction(() => this.applyParts([{ items: batches[b], sources: source, checked: () => pre }]));
      total.accepted += c.accepted;
      total.duplicates += c.duplicates;
      total.rejected += c.rejected;
    }
    return total;
  }

  /**
   * Several batches in ONE transaction, each validated already (its `checked`, e.g. the results a LineValidator
   * sends back, taken only when that batch's turn comes) or here: what `bandctl ingest` applies straight from its
   * file. The same result as applyBatch of their items concatenated.
   */
  applyChecked(parts: Iterable<Part>): Counts {
    return this.inTransaction(() => this.applyParts(parts));
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

  /** Must run inside a transaction: the parts in order, their aggregates and positions written once at the end. */
  private applyParts(parts: Iterable<Part>): Counts {
    const st = this.st;
    const gen = st.gen.get() as number;
    if (gen !== this.generation) this.loadBook();
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
    this.generation = st.gen.get() as number;
    return tx.counts;
  }

  /** One batch into the open transaction `tx` (its fills are all in the table when it returns). */
  private applyPart(tx: Tx, part: Part, c: Checked): void {
    const st = this.st;
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
        const prior = st.qFind.all(rh) as string[];
        if (prior.includes(text)) {
          counts.duplicates++; // the same bad bytes redelivered: already quarantined once
        } else {
          st.qIns.run(typeof sources === 'string' ? sources : sources[i], text, strs[s] as string, tx.now, rh);
          counts.rejected++;
        }
        s++;
      } else {
        counts.duplicates++;
      }
    }
    if (first === 0) return;

    // Pass 2: the ids already applied (by an earlier batch, by another consumer).
    let seen: Set<string> | null = null;
    if (
      first > 0 &&
      tx.nextFill + tx.nextOe > 2 &&
      !allAfterApplied(c.minId as string, c.ascii, st.maxFillId.get() as string | null, st.maxOeId.get() as string | null)
    ) {
      const ids = new Array<string>(first);
      for (let i = 0, s = 0, j = 0; i < c.n; i++) {
        if (kind[i] === FIRST) {
          ids[j++] = strs[s] as string;
          s += 3;
        } else if (kind[i] === REJECTED) s++;
      }
      seen = new Set(st.applied.all(JSON.stringify(ids)) as string[]);
    }

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
      const p = symPos[pi] ?? (symPos[pi] = this.position_(BUCKET_OF[ci], syms[si]));
      const realized = this.nextFill(p, price, qty, buy ? qty : -qty);
      p.qty = this.nQty;
      p.cost = this.nCost;
      p.realized = this.nRealized;
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
        st.insFills.run(args);
        k = 0;
      }
      let aggs = symAggs[si];
      if (symDate[si] !== date) {
        aggs = symAggs[si] = this.aggsOf(tx, date, syms[si]);
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

  /** The aggregates of (date, symbol) in this transaction, by classification index. */
  private aggsOf(tx: Tx, date: string, symbol: string): (Agg | undefined)[] {
    let day = tx.aggs.get(date);
    if (!day) tx.aggs.set(date, (day = new Map()));
    let row = day.get(symbol);
    if (!row) day.set(symbol, (row = new Array<Agg | undefined>(CLASSIFICATIONS.length)));
    return row;
  }

  private bucketBook(bucket: string): Map<string, Pos> {
    let m = this.book.get(bucket);
    if (!m) this.book.set(bucket, (m = new Map()));
    return m;
  }

  private position_(bucket: string, symbol: string): Pos {
    const m = this.bucketBook(bucket);
    let p = m.get(symbol);
    if (!p) {
      p = { bucket, symbol, qty: 0, cost: 0, realized: 0, dirty: false };
      m.set(symbol, p);
    }
    return p;
  }

  /**
   * Average-cost update of the book (SPEC §8) for one fill, WITHOUT touching p: the new qty / cost / realized total
   * go to nQty / nCost / nRealized (committed by the caller once the fill is known to be new). Returns the realized
   * PnL of this fill in micro-USD.
   */
  private nextFill(p: Pos, price: number, qty: number, signed: number): Num {
    this.nRealized = p.realized;
    if (p.qty === 0 || p.qty > 0 === signed > 0) {
      this.nQty = p.qty + signed;
      this.nCost = add(p.cost, mul(price, qty));
      return 0;
    }
    const open = Math.abs(p.qty);
    const closeQty = Math.min(qty, open);
    const closedCost = closeQty === open ? p.cost : roundDiv(mul(p.cost, closeQty), open);
    const proceeds = mul(price, closeQty);
    const realized = p.qty > 0 ? sub(proceeds, closedCost) : sub(closedCost, proceeds);
    this.nRealized = add(p.realized, realized);
    const rest = qty - closeQty;
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
