// The body of `bandctl ingest` as a service: the input's lines are applied straight to the book in chunks, each chunk
// in one transaction (fills, order events, positions, aggregates). Exactly-once does not need a copy of the input in
// the event log: every applied event's id is a UNIQUE column of its row (fills or order_events), so a run killed
// midway and run again applies exactly the lines it had not. The raw text of refused lines is kept (quarantine); the
// input is the record of the accepted ones. (The log stays for the producers inside the app, e.g. the paper broker;
// ingest applies whatever they left first.)
//
// Decode + split + parse + validate run on a validator thread, which works on the next parts while this one applies
// a chunk (it takes each part's results as its turn comes, inside the chunk's transaction). A file (ingestFile): the
// thread reads it itself, part by part, a bounded number of parts ahead; this thread reads and validates only the
// first part, while the thread starts. A stream (stdin: ingestStream): this thread reads it and submits its bytes in
// parts of INGEST_PART_BYTES. An input of one part or less never starts the thread; if it cannot start (or dies),
// the lines are validated on this thread. For an input of more than one chunk, a checkpointer thread copies the WAL
// into the database after each commit (store/checkpointer.ts), so this one's commits only append to the WAL.
import { closeSync, createReadStream, openSync, statSync } from 'node:fs';
import type { Db } from '../store/db';
import { LedgerConsumer, type Counts, type Part } from './consumer';
import { checkText, type Checked, type TextState } from './validate';
import { cutAfterLineEnd, LineValidator, readPartAt, type FilePart } from './validator';
import { WalCheckpointer, type CheckpointerStats } from '../store/checkpointer';

export interface IngestOptions {
  timezone: string;
  /** Quarantine source of the refused lines (e.g. `file:day.jsonl`, `stdin`). */
  source: string;
  /** Called after a chunk's commit once `progressEvery` more lines were applied (default every 20,000). */
  onProgress?: (read: number, total: Counts) => void;
  progressEvery?: number;
  /** false: never start a validator thread (default true: for an input longer than one part). */
  pipeline?: boolean;
  /**
   * false: never start a WAL checkpointer thread (default true: for an input longer than one transaction, the WAL's
   * pages are copied into the database on a thread of their own while this one applies the next chunk).
   */
  checkpointer?: boolean;
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
  /** The checkpointer thread's checkpoints (null: none ran), and the error that stopped it, if any. */
  checkpoints: number | null;
  checkpointError: string | null;
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
/** How many parts a validator thread reading the file itself may have sent and not had taken. */
const INGEST_AHEAD_PARTS = 24;

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
  readonly stats: IngestStats = { lines: 0, onThread: 0, threadId: null, inThread: 0, checkpoints: null, checkpointError: null };
  private checkpointer: WalCheckpointer | null | undefined;
  private transactions = 0;
  private validator: LineValidator | null | undefined;
  private started: LineValidator | null = null;
  private readonly queue: Queued[] = [];
  private queued = 0;
  private nextProgress: number;
  /** For the bytes validated here: where the input's text stands. */
  private readonly text: TextState = { started: false };

  constructor(
    private readonly db: Db,
    private readonly consumer: LedgerConsumer,
    private readonly opts: IngestOptions,
    private readonly chunk: number,
    private readonly ahead: number,
  ) {
    this.validator = opts.pipeline === false ? null : undefined;
    this.checkpointer = opts.checkpointer === false ? null : undefined;
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

  /**
   * One transaction of parts a thread reading the input itself sends (ingestFile): `first`, then next() until a
   * chunk of the input's bytes or its end (null).
   */
  applyTaken(first: FilePart, next: () => FilePart | null): void {
    const { chunk, opts } = this;
    const counted = (c: Checked) => this.counted(c, true);
    let ended = false;
    function* parts(): Generator<Part> {
      let size = 0;
      for (let p: FilePart | null = first; p; ) {
        size += p.end - p.start;
        const c = p;
        // (the first part of a file is counted where it was validated: checkHere)
        yield { items: null, sources: opts.source, checked: () => (c.start === 0 ? c : counted(c)) };
        if (size >= chunk) return;
        p = next();
        ended = p === null;
      }
    }
    this.count(this.consumer.applyChecked(parts()), !ended);
  }

  /** The input's first bytes (ingestFile), validated on this thread, as a part to apply. */
  checkHere(bytes: Buffer): FilePart {
    this.text.started = false;
    const c = this.counted(checkText(bytes, this.text), false);
    return { ...c, start: 0, end: bytes.length };
  }

  /** From now on the lines are validated on this thread (ingestFile's thread stopped midway). */
  inThread(): void {
    this.validator = null;
    this.text.started = this.stats.lines > 0;
  }

  /** Applies everything queued. */
  finish(): void {
    while (this.queue.length > 0) this.applyChunk();
  }

  async close(): Promise<void> {
    const v = this.started;
    this.stats.threadId = v?.threadId ?? this.stats.threadId;
    if (v) await v.close(); // results a failed apply left on the thread are dropped with it
    await this.stopCheckpointer();
  }

  /** Stops the checkpointer thread (if one ran), after the checkpoint it is in. */
  async stopCheckpointer(): Promise<void> {
    const cp = this.checkpointer;
    this.checkpointer = null;
    if (!cp) return;
    const s: CheckpointerStats = await cp.stop();
    this.stats.checkpoints = s.checkpoints;
    this.stats.checkpointError = s.error;
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
    this.count(this.consumer.applyChecked(parts), this.queue.length > 0);
  }

  /** A transaction's counts into the total; progress; the checkpointer told (started after the first, if the input goes on). */
  private count(c: Counts, more: boolean): void {
    this.transactions++;
    if (this.checkpointer === undefined && more) this.checkpointer = WalCheckpointer.start(this.db.name);
    this.checkpointer?.committed();
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
    const c = q.v?.take() ?? null;
    if (c) return this.counted(c, true);
    if (q.v) this.validator = null; // the thread failed: validate the rest here
    if (q.start) this.text.started = false;
    return this.counted(checkText(q.bytes, this.text), false);
  }

  private counted(c: Checked, onThread: boolean): Checked {
    if (onThread) this.stats.onThread += c.n;
    else this.stats.inThread += c.n;
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
  try {
    await feed(pipe, input, true);
  } finally {
    await pipe.close();
  }
  opts.onStats?.(pipe.stats);
  return pipe.total;
}

/** Cuts `input` at line ends into batches for `pipe` and applies them all; `start`: it is the start of the input. */
async function feed(pipe: Pipeline, input: AsyncIterable<Buffer | string>, start: boolean): Promise<void> {
  let held: Buffer[] = []; // bytes read and not queued yet
  let heldBytes = 0;
  let first = start;
  const queue = (bytes: Buffer, more: boolean) => {
    pipe.add({ size: bytes.length, bytes, start: first }, more);
    first = false;
  };
  for await (const item of input) {
    const chunk = typeof item === 'string' ? Buffer.from(item, 'utf8') : item;
    const cut = cutAfterLineEnd(chunk, chunk.length);
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
}

/**
 * Applies a file after whatever the log holds unapplied; the counts of its lines. The validator thread reads the file
 * itself (this thread never holds its bytes) and sends back each part's results, at most INGEST_AHEAD_PARTS ahead;
 * this one applies them, a transaction per INGEST_CHUNK_BYTES of the file, taking each part as its turn comes. A file
 * of one part or less, `pipeline: false` or a thread that cannot start: the file as a stream (ingestStream). A thread
 * that fails or cannot read on midway: this thread reads on itself from the end of the last part it took.
 */
export async function ingestFile(db: Db, file: string, opts: IngestOptions): Promise<Counts> {
  const stream = (start: number) => createReadStream(file, { start, highWaterMark: 256 * 1024 });
  const v = opts.pipeline === false || statSync(file).size <= INGEST_PART_BYTES ? null : LineValidator.start();
  if (!v) return ingestStream(db, stream(0), opts);
  // The first part is read and validated here while the thread starts (it reads on after it).
  let head: { bytes: Buffer; eof: boolean };
  try {
    const fd = openSync(file, 'r');
    try {
      head = readPartAt(fd, 0, INGEST_PART_BYTES);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    await v.close();
    throw e;
  }
  const pipe = start(db, opts, INGEST_CHUNK_BYTES, 2 * INGEST_PART_BYTES);
  let end = head.bytes.length; // the file's bytes before `end` are taken (applied, or in the transaction being applied)
  let state = (head.eof ? 'eof' : 'reading') as 'reading' | 'eof' | 'stopped';
  try {
    try {
      if (!head.eof) v.readFile(file, head.bytes.length, INGEST_PART_BYTES, INGEST_AHEAD_PARTS);
      const next = (): FilePart | null => {
        if (state !== 'reading') return null;
        const r = v.takePart();
        if (r === null || 'eof' in r) {
          state = r?.eof ? 'eof' : 'stopped';
          return null;
        }
        end = r.end;
        return r;
      };
      pipe.applyTaken(pipe.checkHere(head.bytes), next);
      for (let first = next(); first; first = next()) pipe.applyTaken(first, next);
    } finally {
      pipe.stats.threadId = v.threadId;
      await v.close();
    }
    if (state === 'stopped') {
      pipe.inThread(); // the rest on this thread, as one input that goes on from `end` (no BOM there)
      await feed(pipe, stream(end), false);
    }
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
  return new Pipeline(db, consumer, opts, chunk, ahead);
}
