// The body of `bandctl ingest` as a service: the file's lines are applied straight to the book in chunks, each chunk
// in one transaction (fills, order events, positions, aggregates). Exactly-once does not need a copy of the file in
// the event log: every applied event's id is a UNIQUE column of its row (fills or order_events), so a run killed
// midway and run again applies exactly the lines it had not. The raw text of refused lines is kept (quarantine); the
// file is the record of the accepted ones. (The log stays for the producers inside the app, e.g. the paper broker;
// ingest applies whatever they left first.)
//
// Decode + split + parse + validate run on a validator thread, in parts of INGEST_PART_BYTES submitted as soon as they
// are read, so that the thread works on the next parts while this one applies a chunk (it takes each part's results
// as its turn comes, inside the chunk's transaction). An input of one part or less never starts the thread; if it
// cannot start (or dies), the lines are validated on this thread.
import type { Db } from '../store/db';
import { LedgerConsumer, type Counts, type Part } from './consumer';
import { checkText, type Checked, type TextState } from './validate';
import { LineValidator } from './validator';

interface IngestOptions {
  timezone: string;
  /** Quarantine source of the refused lines (e.g. `file:day.jsonl`, `stdin`). */
  source: string;
  /** Called after a chunk's commit once `progressEvery` more lines were applied (default every 20,000). */
  onProgress?: (read: number, total: Counts) => void;
  progressEvery?: number;
  /** false: never start a validator thread (default true: for an input longer than one part). */
  pipeline?: boolean;
  /** Called once at the end: how the lines were validated (bandctl ingest says it with BANDCTL_DEBUG set). */
  onStats?: (stats: IngestStats) => void;
}

export interface IngestStats {
  /** Non-blank lines read. */
  lines: number;
  /** Lines whose results came back from the validator thread, and that thread's id (null: none did). */
  onThread: number;
  threadId: number | null;
  /** Lines validated on this thread. */
  inThread: number;
}

/** The consumer's batch size for what the log holds unapplied (runToEnd before the input). */
const INGEST_CHUNK = 100_000;
/**
 * ingestStream's transaction and validator batch, in bytes (about 100,000 and 5,000 lines of 200 bytes). Each
 * transaction writes its aggregate rows and positions once (a day of 475 symbols × 8 classifications is 3,800
 * upserts, whatever the chunk's length), so a bulk load wants long ones; the write lock is held for one chunk's apply
 * (a fraction of a second). The thread starts on an input longer than one part.
 */
const INGEST_CHUNK_BYTES = 20 << 20;
export const INGEST_PART_BYTES = 1 << 20;

/** A batch read and not applied yet: a piece of bytes that ends at a line end (or the input's end). */
interface Queued {
  /** Its length in bytes. */
  size: number;
  bytes: Uint8Array;
  /** The input's first piece of bytes. */
  start: boolean;
  /** The thread it was submitted to, if any. */
  v: LineValidator | null;
}

/**
 * The ingest's pipeline: batches are submitted to the validator thread as they are read, and applied a chunk per
 * transaction once a chunk and `ahead` more are queued (so the thread validates those while this one applies).
 */
class Pipeline {
  readonly total: Counts = { accepted: 0, duplicates: 0, rejected: 0 };
  readonly stats: IngestStats = { lines: 0, onThread: 0, threadId: null, inThread: 0 };
  private validator: LineValidator | null | undefined;
  private started: LineValidator | null = null;
  private readonly queue: Queued[] = [];
  private queued = 0;
  private nextProgress: number;
  /** For the bytes validated here: where the input's text stands. */
  private readonly text: TextState = { started: false };

  constructor(
    private readonly consumer: LedgerConsumer,
    private readonly opts: IngestOptions,
    private readonly chunk: number,
    private readonly ahead: number,
  ) {
    this.validator = opts.pipeline === false ? null : undefined;
    this.nextProgress = opts.progressEvery ?? 20_000;
  }

  /** Queues a batch; `more`: the input goes on after it (a thread is started only for an input of two batches or more). */
  add(q: Omit<Queued, 'v'>, more: boolean): void {
    if (this.validator === undefined && more) this.validator = this.started = LineValidator.start();
    const v = this.validator ?? null;
    if (v) v.submitBytes(q.bytes, q.start);
    this.queue.push({ ...q, v });
    this.queued += q.size;
    if (this.queued >= this.chunk + this.ahead) this.applyChunk();
  }

  /** Applies everything queued. */
  finish(): void {
    while (this.queue.length > 0) this.applyChunk();
  }

  async close(): Promise<void> {
    const v = this.started;
    this.stats.threadId = v?.threadId ?? null;
    if (v) await v.close(); // results a failed apply left on the thread are dropped with it
  }

  /** One transaction: the batches at the head of the queue, up to a chunk. */
  private applyChunk(): void {
    const parts: Part[] = [];
    let size = 0;
    while (this.queue.length > 0 && (size === 0 || size + this.queue[0].size <= this.chunk)) {
      const q = this.queue.shift() as Queued;
      size += q.size;
      parts.push({ items: null, sources: this.opts.source, checked: () => this.checked(q) });
    }
    this.queued -= size;
    const c = this.consumer.applyChecked(parts);
    this.total.accepted += c.accepted;
    this.total.duplicates += c.duplicates;
    this.total.rejected += c.rejected;
    if (this.stats.lines >= this.nextProgress) {
      this.opts.onProgress?.(this.stats.lines, this.total);
      this.nextProgress = this.stats.lines + (this.opts.progressEvery ?? 20_000);
    }
  }

  /** A batch's results: from the thread, or made here (no thread, or it failed). */
  private checked(q: Queued): Checked {
    let c = q.v?.take() ?? null;
    if (c) this.stats.onThread += c.n;
    else {
      if (q.v) this.validator = null; // the thread failed: validate the rest here
      if (q.start) this.text.started = false;
      c = checkText(q.bytes, this.text);
      this.stats.inThread += c.n;
    }
    if (c.n > 0) this.text.started = true; // (the thread's own state went the same way)
    this.stats.lines += c.n;
    return c;
  }
}

/**
 * Applies a byte stream (a file, stdin) after whatever the log holds unapplied; the counts of this input. This thread
 * only cuts it at line ends: the validator thread decodes the UTF-8, splits the lines (validate.ts textLines: blank
 * lines skipped, a leading BOM dropped) and parses and validates them. A transaction takes INGEST_CHUNK_BYTES.
 */
export async function ingestStream(db: Db, input: AsyncIterable<Buffer | string>, opts: IngestOptions): Promise<Counts> {
  const pipe = start(db, opts, INGEST_CHUNK_BYTES, 2 * INGEST_PART_BYTES);
  let held: Buffer[] = []; // bytes read and not queued yet
  let heldBytes = 0;
  let first = true;
  const queue = (bytes: Buffer, more: boolean) => {
    pipe.add({ size: bytes.length, bytes, start: first }, more);
    first = false;
  };
  try {
    for await (const item of input) {
      const chunk = typeof item === 'string' ? Buffer.from(item, 'utf8') : item;
      // the last line end of this chunk (a \r at its very end may be the first half of a \r\n: not a cut there)
      const from = chunk.length - 2;
      const cut = from < 0 ? 0 : Math.max(chunk.lastIndexOf(10, from), chunk.lastIndexOf(13, from)) + 1;
      if (cut === 0 || heldBytes + cut < INGEST_PART_BYTES) {
        held.push(chunk);
        heldBytes += chunk.length;
        continue;
      }
      held.push(chunk.subarray(0, cut));
      queue(held.length === 1 ? held[0] : Buffer.concat(held, heldBytes + cut), true);
      held = cut < chunk.length ? [chunk.subarray(cut)] : [];
      heldBytes = chunk.length - cut;
    }
    if (heldBytes > 0) queue(held.length === 1 ? held[0] : Buffer.concat(held, heldBytes), false);
    pipe.finish();
  } finally {
    await pipe.close();
  }
  opts.onStats?.(pipe.stats);
  return pipe.total;
}

function start(db: Db, opts: IngestOptions, chunk: number, ahead: number): Pipeline {
  const consumer = new LedgerConsumer(db, { timezone: opts.timezone, batchSize: INGEST_CHUNK });
  // Anything other producers (a console's paper broker) appended to the log and nobody applied yet goes first, to keep
  // the order; it is not this input's, so it is not in the counts this run prints.
  consumer.runToEnd();
  return new Pipeline(consumer, opts, chunk, ahead);
}
