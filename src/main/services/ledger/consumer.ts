// The Daily Ledger's consumer (docs/spec.md §7–§8): reads the event log from its stored position and applies order events
// in batches, each batch in ONE transaction together with its effects (fills, positions, daily aggregates,
// quarantine: apply.ts) and the consumer's position in the log, so a crash at any instant neither loses nor
// double-counts a fill.
//
// Hot state (the book: book.ts) is kept in memory and reloaded from SQLite whenever ledger_meta.generation shows that
// someone else wrote positions, so it is always the committed truth. Exactly-once and the batch layout: apply.ts.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db';
import { BatchApplier, type Counts, type Part } from './apply';
import type { Checked } from './validate';
import { LineValidator } from './validator';

export { safeStringify, type Counts, type Part } from './apply';

interface RunOptions {
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
const PIPELINE_MIN = 20_000;

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

interface ConsumerOptions {
  /** Account time zone for trading dates (config account.timezone). */
  timezone: string;
  /** Name of this consumer's position in event_log (default 'ledger'). */
  name?: string;
  /** Events per transaction (default 5,000). */
  batchSize?: number;
  /** Clock for quarantine timestamps (tests). */
  now?: () => number;
}

export class LedgerConsumer {
  readonly name: string;
  readonly batchSize: number;
  private readonly applier: BatchApplier;
  private ahead: Ahead | null = null;
  private known: Known[] = [];
  private readonly st: {
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
    this.applier = new BatchApplier(db, opts.timezone, opts.now ?? Date.now);
    this.st = {
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
          const r = this.applier.apply([{ items: raws, sources, checked: pre === null ? null : () => pre }]);
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
      const c = this.applier.apply([{ items: events, sources: source }]);
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
      const c = this.inTransaction(() => this.applier.apply([{ items: batches[b], sources: source, checked: () => pre }]));
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
    return this.inTransaction(() => this.applier.apply(parts));
  }

  private inTransaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      this.applier.rolledBack(); // the in-memory book may hold uncommitted changes: reload it next time
      throw e;
    }
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
