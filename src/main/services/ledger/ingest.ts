// The body of `bandctl ingest` as a service (the bench measures this same code): raw lines are appended to the event
// log in chunks and the consumer applies them, each batch in one transaction with its position (exactly-once).
//
// Past the first chunk, parse + validate move to a validator thread and the consumer runs one chunk behind the
// appends: chunk k+1 is appended and submitted to the thread while chunk k (validated meanwhile) commits. A crash
// anywhere leaves appended-but-unapplied lines in the log, which the next run applies first. A small input never
// starts the thread; if it cannot start (or dies), the lines are validated on this thread.
import { StringDecoder } from 'node:string_decoder';
import type { Db } from '../store/db';
import { LedgerConsumer, type Counts } from './consumer';
import { appendEvents } from './log';
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
  addTo(consumer.runToEnd()); // anything a previous run appended but did not apply (a crash)
  let validator: LineValidator | null | undefined = opts.pipeline === false ? null : undefined;
  let chunk: string[] = [];
  let read = 0;
  let nextProgress = every;
  const flush = () => {
    if (chunk.length === 0) return;
    if (validator === undefined && read > chunkSize) validator = LineValidator.start();
    const appended = appendEvents(db, chunk, opts.source);
    // one transaction, AUTOINCREMENT: the seqs are contiguous, so these rows are exactly this chunk
    if (appended.last - appended.first + 1 === chunk.length) consumer.noteAppended(appended.first, chunk, opts.source);
    chunk = [];
    if (validator) addTo(consumer.runToEnd(undefined, { validator, until: appended.first - 1 }));
    else addTo(consumer.runToEnd(undefined, { validator: null }));
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
    addTo(consumer.runToEnd(undefined, { validator: validator ?? null })); // the chunk still behind
  } finally {
    const v = validator as LineValidator | null | undefined; // assigned in flush()
    if (v) {
      consumer.release(v);
      await v.close();
    }
  }
  return total;
}
