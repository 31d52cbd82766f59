// The body of `bandctl ingest` as a service: the file's lines are applied straight to the book in chunks, each chunk
// in one transaction (fills, order events, positions, aggregates). Exactly-once does not need a copy of the file in
// the event log: every applied event's id is a UNIQUE column of its row (fills or order_events), so a run killed
// midway and run again applies exactly the lines it had not. The raw text of refused lines is kept (quarantine); the
// file is the record of the accepted ones. (The log stays for the producers inside the app, e.g. the paper broker;
// ingest applies whatever they left first.)
//
// Parse + validate run on a validator thread, in parts of INGEST_PART lines submitted as soon as they are read, so
// that the thread works on the next parts while this one applies a chunk (it takes each part's results as its turn
// comes, inside the chunk's transaction). An input of one part or less never starts the thread; if it cannot start
// (or dies), the lines are validated on this thread.
import { StringDecoder } from 'node:string_decoder';
import type { Db } from '../store/db';
import { LedgerConsumer, type Counts, type Part } from './consumer';
import { checkLines, checkText, type Checked, type TextState } from './validate';
import { LineValidator } from './validator';

interface IngestOptions {
  timezone: string;
  /** Quarantine source of the refused lines (e.g. `file:day.jsonl`, `stdin`). */
  source: string;
  /** Lines per transaction (default INGEST_CHUNK). */
  chunk?: number;
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

/**
 * Lines per transaction (ingestLines). Each transaction writes its aggregate rows and positions once (a day of 475
 * symbols × 8 classifications is 3,800 upserts, whatever the chunk's length), so a bulk load wants long ones; the
 * write lock is held for one chunk's apply (a fraction of a second).
 */
const INGEST_CHUNK = 100_000;
/** Lines per validator batch (ingestLines; the thread starts on an input longer than this). */
const INGEST_PART = 10_000;
/** ingestStream's transaction and validator batch, in bytes (about 100,000 and 5,000 lines of 200 bytes). */
const INGEST_CHUNK_BYTES = 20 << 20;
export const INGEST_PART_BYTES = 1 << 20;

/** A batch read and not applied yet: lines, or a piece of bytes that ends at a line end (or the input's end). */
interface Queued {
  /** Its length in the unit of the chunk (lines or bytes). */
  size: number;
  lines: string[] | null;
  bytes: Uint8Array | null;
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
    if (v) {
      if (q.lines) v.submit(q.lines);
      else v.submitBytes(q.bytes as Uint8Array, q.start);
    }
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
      parts.push({ items: q.lines, sources: this.opts.source, checked: () => this.checked(q) });
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
      if (q.bytes) {
        if (q.start) this.text.started = false;
        c = checkText(q.bytes, this.text);
      } else c = checkLines(q.lines as string[]);
      this.stats.inThread += c.n;
    }
    if (c.n > 0) this.text.started = true; // (the thread's own state went the same way)
    this.stats.lines += c.n;
    return c;
  }
}

/**
 * The lines of a text stream (UTF-8 bytes or strings), one array per chunk read: the line ends are those of
 * node:readline (\n, \r\n, or a lone \r), without its cost of one promise per line.
 */
export async function* streamLines(input: AsyncIterable<string | Buffer>): AsyncGenerator<string[]> {
  const dec = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of input) {
    let text = carry + (typeof chunk === 'string' ? chunk : dec.write(chunk));
    // a \r at the end may be the first half of a \r\n split across chunks: keep it for the next one
    const hold = text.endsWith('\r') ? 1 : 0;
    if (hold) text = text.slice(0, -1);
    const parts = text.split(/\r\n|\n|\r/);
    carry = (parts.pop() as string) + (hold ? '\r' : '');
    if (parts.length > 0) yield parts;
  }
  const rest = (carry + dec.end()).split(/\r\n|\n|\r/);
  if (rest[rest.length - 1] === '') rest.pop(); // the text ended with a line end
  if (rest.length > 0) yield rest;
}

/**
 * Applies `lines` (blank lines skipped, a leading BOM dropped) after whatever the log holds unapplied; the counts of
 * this input. Lines come one by one or in arrays (streamLines).
 */
export async function ingestLines(
  db: Db,
  lines: AsyncIterable<string | readonly string[]> | Iterable<string>,
  opts: IngestOptions,
): Promise<Counts> {
  const chunk = Math.max(1, opts.chunk ?? INGEST_CHUNK);
  const partSize = Math.min(INGEST_PART, chunk);
  const pipe = start(db, opts, chunk, 2 * partSize);
  let part: string[] = [];
  let read = 0;
  try {
    const take = (line: string) => {
      const raw = read === 0 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line; // a UTF-8 byte order mark
      if (raw.trim() === '') return;
      if (part.length >= partSize) {
        pipe.add({ size: part.length, lines: part, bytes: null, start: false }, true);
        part = [];
      }
      part.push(raw);
      read++;
    };
    for await (const item of lines) {
      if (typeof item === 'string') take(item);
      else for (const line of item) take(line);
    }
    if (part.length > 0) pipe.add({ size: part.length, lines: part, bytes: null, start: false }, false);
    pipe.finish();
  } finally {
    await pipe.close();
  }
  opts.onStats?.(pipe.stats);
  return pipe.total;
}

/**
 * ingestLines of a byte stream (a file, stdin), which this thread only cuts at line ends: the validator thread
 * decodes the UTF-8, splits the lines (as streamLines does) and parses and validates them. `chunk` does not apply:
 * a transaction takes INGEST_CHUNK_BYTES.
 */
export async function ingestStream(db: Db, input: AsyncIterable<Buffer | string>, opts: IngestOptions): Promise<Counts> {
  const pipe = start(db, opts, INGEST_CHUNK_BYTES, 2 * INGEST_PART_BYTES);
  let held: Buffer[] = []; // bytes read and not queued yet
  let heldBytes = 0;
  let first = true;
  const queue = (bytes: Buffer, more: boolean) => {
    pipe.add({ size: bytes.length, lines: null, bytes, start: first }, more);
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
