// The body of `bandctl ingest` as a service (the bench measures this same code): the file's lines are applied
// straight to the book in chunks, each chunk in one transaction (fills, order events, positions, aggregates).
// Exactly-once does not need a copy of the file in the event log: every applied event's id is a UNIQUE column of its
// row (fills or order_events), so a run killed midway and run again applies exactly the lines it had not. The raw
// text of refused lines is kept (quarantine); the file is the record of the accepted ones. (The log stays for the
// producers inside the app, e.g. the paper broker; ingest applies whatever they left first.)
//
// Past the first chunk, parse + validate move to a validator thread, one chunk ahead: chunk k+1 is validated there
// while chunk k commits. A small input never starts the thread; if it cannot start (or dies), the lines are
// validated on this thread.
import { StringDecoder } from 'node:string_decoder';
import type { Db } from '../store/db';
import { LedgerConsumer, type Counts } from './consumer';
import type { Validated } from './validate';
import { LineValidator } from './validator';

export interface IngestOptions {
  timezone: string;
  /** event_log source of the appended lines (e.g. `file:day.jsonl`, `stdin`). */
  source: string;
  /** Lines per append and per consumer transaction (default 20,000). */
  chunk?: number;
  /** Called after a chunk once `progressEvery` more lines were read (default every 20,000). */
  onProgress?: (read: number, total: Counts) => void;
  progressEvery?: number;
  /** false: never start a validator thread (default true: from the second chunk on). */
  pipeline?: boolean;
}

export const INGEST_CHUNK = 20_000;

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
 * Appends `lines` (blank lines skipped, a leading BOM dropped) and applies the whole log; the counts of this run.
 * Lines come one by one or in arrays (streamLines).
 */
export async function ingestLines(
  db: Db,
  lines: AsyncIterable<string | readonly string[]> | Iterable<string>,
  opts: IngestOptions,
): Promise<Counts> {
  const chunkSize = opts.chunk ?? INGEST_CHUNK;
  const every = opts.progressEvery ?? INGEST_CHUNK;
  const consumer = new LedgerConsumer(db, { timezone: opts.timezone, batchSize: chunkSize });
  const total: Counts = { accepted: 0, duplicates: 0, rejected: 0 };
  const addTo = (c: Counts) => {
    total.accepted += c.accepted;
    total.duplicates += c.duplicates;
    total.rejected += c.rejected;
  };
  // Anything other producers (a console's paper broker) appended to the log and nobody applied yet goes first, to keep
  // the order; it is not this input's, so it is not in the counts this run prints.
  consumer.runToEnd();
  let validator: LineValidator | null | undefined = opts.pipeline === false ? null : undefined;
  let chunk: string[] = [];
  let behind: string[] | null = null; // submitted to the validator thread, applied at the next flush
  let read = 0;
  let nextProgress = every;
  const apply = (lines: string[], pre: Validated[] | null) => addTo(consumer.applyValidated(lines, opts.source, pre));
  const flush = () => {
    if (chunk.length === 0) return;
    if (validator === undefined && read > chunkSize) validator = LineValidator.start();
    if (validator) {
      validator.submit(chunk);
      if (behind) {
        const pre = validator.take();
        if (pre === null) validator = null; // the thread failed: validate the rest here
        apply(behind, pre);
        if (!validator) apply(chunk, null);
      }
      behind = validator ? chunk : null;
    } else {
      apply(chunk, null);
    }
    chunk = [];
    if (read >= nextProgress) {
      opts.onProgress?.(read, total);
      nextProgress = read + every;
    }
  };
  try {
    const take = (line: string) => {
      const raw = read === 0 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line; // a UTF-8 byte order mark
      if (raw.trim() === '') return;
      chunk.push(raw);
      read++;
      if (chunk.length >= chunkSize || read >= nextProgress) flush();
    };
    for await (const item of lines) {
      if (typeof item === 'string') take(item);
      else for (const line of item) take(line);
    }
    flush();
    const v = validator as LineValidator | null | undefined; // assigned in flush()
    if (behind && v) apply(behind, v.take());
  } finally {
    const v = validator as LineValidator | null | undefined;
    if (v) await v.close();
  }
  return total;
}
