// The validator thread (parse + validate of batch k+1 while batch k is applied) changes nothing but speed: the same
// stream through applyBatches with a LineValidator leaves exactly the same tables as applyBatch on one thread.
// Also: the timestamp parser's same-minute fast path agrees with an independent computation.
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { mixFile } from '../../bench/mixes';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LedgerConsumer, type Counts } from '../../src/main/services/ledger/consumer';
import { writeFileSync } from 'node:fs';
import { INGEST_PART_BYTES, ingestFile, ingestStream, type IngestStats } from '../../src/main/services/ledger/ingest';
import { appendEvents } from '../../src/main/services/ledger/log';
import { checkText, FIRST, parseTs, type Checked } from '../../src/main/services/ledger/validate';
import { LineValidator } from '../../src/main/services/ledger/validator';
import { openDb, type Db } from '../../src/main/services/store/db';
import { eventLine, SIDE } from './helpers';
import { tempDir } from '../support/tmp';

const TZ = 'America/New_York';
const CLASSES = Object.keys(SIDE);
const T0 = Date.UTC(2024, 2, 9, 3, 0, 0);

const lineArb = fc
  .record({
    id: fc.integer({ min: 0, max: 60 }), // small id space: many duplicates, within and across batches
    sym: fc.constantFrom('AAPL', 'BRK.B', 'X/Y'),
    cls: fc.constantFrom(...CLASSES),
    type: fc.constantFrom('FILL', 'FILL', 'PARTIAL_FILL', 'NEW', 'ACK', 'CANCELED'),
    qty: fc.integer({ min: 1, max: 900 }),
    px: fc.integer({ min: 1, max: 500_000 }),
    t: fc.integer({ min: 0, max: 3 * 86_400_000 }),
    form: fc.constantFrom('ms', 'Z', 'off', 'frac'),
    intent: fc.boolean(),
    bad: fc.constantFrom(null, null, null, null, null, null, 'json', 'side', 'qty', 'ts', 'id'),
  })
  .map((e) => {
    const ms = T0 + e.t;
    const iso = new Date(ms).toISOString();
    const ts =
      e.form === 'ms'
        ? ms
        : e.form === 'Z'
          ? iso
          : e.form === 'off'
            ? new Date(ms - 5 * 3_600_000).toISOString().replace('Z', '-05:00')
            : iso.replace(/\.\d{3}Z$/, `.${String(ms % 1000).padStart(3, '0')}4567+00:00`);
    const o: Record<string, unknown> = {
      event_id: `e${e.id}`,
      order_id: `o${e.id % 7}`,
      ts,
      symbol: e.sym,
      classification: e.cls,
      side: SIDE[e.cls],
      event_type: e.type,
      fill_qty: e.qty,
      fill_price: e.px / 100,
    };
    if (e.intent) o.intent_id = `i${e.id % 5}`;
    if (e.bad === 'side') o.side = o.side === 'BUY' ? 'SELL' : 'BUY';
    if (e.bad === 'qty') o.fill_qty = 1.5;
    if (e.bad === 'ts') o.ts = '2024-03-09T25:00:00Z';
    if (e.bad === 'id') o.event_id = '';
    const s = JSON.stringify(o);
    return e.bad === 'json' ? s.slice(0, -3) : s;
  });

function snapshot(db: Db) {
  const all = (sql: string) => db.prepare(sql).safeIntegers(true).all();
  return {
    fills: all('SELECT * FROM fills ORDER BY id'),
    orderEvents: all('SELECT * FROM order_events ORDER BY id'),
    positions: all('SELECT bucket, symbol, qty, cost_micro, realized_micro FROM positions ORDER BY bucket, symbol'),
    aggs: all('SELECT * FROM daily_agg ORDER BY trading_date, symbol, classification'),
    quarantine: all('SELECT source, raw, reason FROM ledger_quarantine ORDER BY id'),
  };
}

function batchesOf(lines: string[], cuts: number[]): string[][] {
  const out: string[][] = [];
  for (let i = 0, k = 0; i < lines.length; k++) {
    const n = cuts[k % cuts.length];
    out.push(lines.slice(i, i + n));
    i += n;
  }
  return out;
}

describe('validator thread', () => {
  let validator: LineValidator | null = null;
  beforeAll(() => {
    validator = LineValidator.start();
  });
  afterAll(async () => {
    await validator?.close();
  });

  it('starts (a .ts entry under vitest) and is not needed to be correct', () => {
    expect(validator).not.toBeNull();
    expect(LineValidator.start('/nonexistent/validator.js')).toBeNull();
  });

  it('leaves exactly the tables applyBatch leaves, batch by batch (randomised streams)', () => {
    fc.assert(
      fc.property(
        fc.array(lineArb, { minLength: 1, maxLength: 120 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        (lines, cuts) => {
          const batches = batchesOf(lines, cuts);
          const a = openDb(':memory:');
          const b = openDb(':memory:');
          try {
            const ca = new LedgerConsumer(a, { timezone: TZ, now: () => 1 });
            const want = { accepted: 0, duplicates: 0, rejected: 0 };
            for (const batch of batches) {
              const c = ca.applyBatch(batch, 'src');
              want.accepted += c.accepted;
              want.duplicates += c.duplicates;
              want.rejected += c.rejected;
            }
            const cb = new LedgerConsumer(b, { timezone: TZ, now: () => 1 });
            expect(cb.applyBatches(batches, 'src', validator)).toEqual(want);
            expect(snapshot(b)).toEqual(snapshot(a));
          } finally {
            a.close();
            b.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a validator that has stopped: the consumer validates in-thread, same result', async () => {
    const v = LineValidator.start();
    expect(v).not.toBeNull();
    await v?.close();
    const lines = fc.sample(lineArb, { numRuns: 200, seed: 7 });
    const batches = batchesOf(lines, [13, 50, 7]);
    const a = openDb(':memory:');
    const b = openDb(':memory:');
    const ca = new LedgerConsumer(a, { timezone: TZ, now: () => 1 });
    const cb = new LedgerConsumer(b, { timezone: TZ, now: () => 1 });
    expect(cb.applyBatches(batches, 'src', v)).toEqual(ca.applyBatches(batches, 'src'));
    expect(snapshot(b)).toEqual(snapshot(a));
    expect(snapshot(a).fills.length).toBeGreaterThan(0);
    a.close();
    b.close();
  });
});

/** Adds b into a. */
function plus(a: Counts, b: Counts): Counts {
  a.accepted += b.accepted;
  a.duplicates += b.duplicates;
  a.rejected += b.rejected;
  return a;
}

/** The reference: the log applied on this thread only, one runToEnd after each append. */
function reference(chunks: string[][], batchSize: number): { db: Db; counts: Counts } {
  const db = openDb(':memory:');
  const c = new LedgerConsumer(db, { timezone: TZ, now: () => 1, batchSize });
  const counts = { accepted: 0, duplicates: 0, rejected: 0 };
  for (const ch of chunks) {
    appendEvents(db, ch, 'src');
    plus(counts, c.runToEnd(undefined, { validator: null }));
  }
  return { db, counts };
}

describe('runToEnd pipelined (read ahead + validator thread)', () => {
  let validator: LineValidator | null = null;
  const t = tempDir('ledger-pipe-');
  beforeAll(() => {
    validator = LineValidator.start();
  });
  afterAll(async () => {
    await validator?.close();
    t.cleanup();
  });

  it('one chunk behind the appends, as bandctl ingest runs it: the same tables and counts (randomised)', () => {
    expect(validator).not.toBeNull();
    fc.assert(
      fc.property(
        fc.array(lineArb, { minLength: 1, maxLength: 150 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 3, max: 25 }),
        (lines, cuts, batchSize) => {
          const chunks = batchesOf(lines, cuts);
          const ref = reference(chunks, batchSize);
          const b = openDb(':memory:');
          try {
            const cb = new LedgerConsumer(b, { timezone: TZ, now: () => 1, batchSize });
            const got = { accepted: 0, duplicates: 0, rejected: 0 };
            for (const ch of chunks) {
              const r = appendEvents(b, ch, 'src');
              plus(got, cb.runToEnd(undefined, { validator, until: r.first - 1 }));
            }
            plus(got, cb.runToEnd(undefined, { validator }));
            expect(got).toEqual(ref.counts);
            expect(snapshot(b)).toEqual(snapshot(ref.db));
            expect(cb.position()).toBe(lines.length);
          } finally {
            ref.db.close();
            b.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a batch read ahead is dropped when another connection moved the position; the validator stays in step', () => {
    const file = join(t.dir, 'two.db');
    const lines = fc.sample(lineArb, { numRuns: 300, seed: 11 });
    const a = openDb(file);
    const b = openDb(file);
    const ca = new LedgerConsumer(a, { timezone: TZ, now: () => 1, batchSize: 40 });
    const cb = new LedgerConsumer(b, { timezone: TZ, now: () => 1, batchSize: 40 });
    const first = appendEvents(a, lines.slice(0, 100), 'src');
    // a stops at 60 with the batch after it (61..100) submitted to the validator
    const c1 = ca.runToEnd(undefined, { validator, until: 60 });
    expect(ca.position()).toBe(80); // whole batches: 1..40, 41..80
    expect(first.last).toBe(100);
    // b (same consumer name, other connection) applies the rest, then more is appended
    const c2 = cb.runToEnd(undefined, { validator: null });
    expect(cb.position()).toBe(100);
    appendEvents(b, lines.slice(100), 'src');
    const c3 = ca.runToEnd(undefined, { validator });
    expect(ca.position()).toBe(300);
    const total = plus(plus(plus({ accepted: 0, duplicates: 0, rejected: 0 }, c1), c2), c3);
    const ref = reference([lines.slice(0, 100), lines.slice(100)], 40);
    expect(total).toEqual(ref.counts);
    expect(snapshot(a)).toEqual(snapshot(ref.db));
    // the validator answers the next batch with that batch's results (not a stale one)
    appendEvents(a, [lines[5], '{"not": "an event"}'], 'src');
    const c4 = ca.runToEnd(undefined, { validator });
    expect(c4.rejected + c4.duplicates).toBe(2);
    ref.db.close();
    a.close();
    b.close();
  });

  it('starts its own validator only for a backlog of pipelineMin lines or more, and gets the same result', () => {
    const start = vi.spyOn(LineValidator, 'start');
    try {
      const lines = fc.sample(lineArb, { numRuns: 120, seed: 3 });
      const ref = reference([lines], 25);
      const small = openDb(':memory:');
      const big = openDb(':memory:');
      appendEvents(small, lines, 'src');
      appendEvents(big, lines, 'src');
      const cs = new LedgerConsumer(small, { timezone: TZ, now: () => 1, batchSize: 25 });
      const cbig = new LedgerConsumer(big, { timezone: TZ, now: () => 1, batchSize: 25 });
      expect(cs.runToEnd(undefined, { pipelineMin: 121 })).toEqual(ref.counts);
      expect(start).not.toHaveBeenCalled();
      expect(cbig.runToEnd(undefined, { pipelineMin: 120 })).toEqual(ref.counts);
      expect(start).toHaveBeenCalledTimes(1);
      expect(start.mock.results[0].value).not.toBeNull(); // it really ran on the thread
      expect(snapshot(small)).toEqual(snapshot(ref.db));
      expect(snapshot(big)).toEqual(snapshot(ref.db));
      small.close();
      big.close();
      ref.db.close();
    } finally {
      start.mockRestore();
    }
  });

  it('a validator that has stopped: runToEnd validates in-thread, same result', async () => {
    const v = LineValidator.start();
    expect(v).not.toBeNull();
    await v?.close();
    const lines = fc.sample(lineArb, { numRuns: 150, seed: 5 });
    const ref = reference([lines], 20);
    const b = openDb(':memory:');
    appendEvents(b, lines, 'src');
    const cb = new LedgerConsumer(b, { timezone: TZ, now: () => 1, batchSize: 20 });
    expect(cb.runToEnd(undefined, { validator: v })).toEqual(ref.counts);
    expect(snapshot(b)).toEqual(snapshot(ref.db));
    b.close();
    ref.db.close();
  });
});

describe('ingestStream line splitting', () => {
  // the lines as ingestStream split them: all of these are bad, so each one's raw text is in the quarantine, in order
  async function linesOf(parts: (Buffer | string)[]): Promise<string[]> {
    const db = openDb(':memory:');
    try {
      await ingestStream(db, Readable.from(parts), { timezone: TZ, source: 'src', pipeline: false });
      return db.prepare('SELECT raw FROM ledger_quarantine ORDER BY rowid').pluck().all() as string[];
    } finally {
      db.close();
    }
  }

  it('splits like node:readline (\\n, \\r\\n, lone \\r) across any chunking, bytes split mid-character', async () => {
    const text = '{"a":"é€"}\r\nb\n\nc\rd\r\n\r\ne€\r';
    // (the blank lines are split too, and skipped: ingest never applies nor quarantines them)
    const want = ['{"a":"é€"}', 'b', '', 'c', 'd', '', 'e€'].filter((l) => l !== '');
    const bytes = Buffer.from(text, 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const parts = [bytes.subarray(0, cut), bytes.subarray(cut)];
      const got = await linesOf(parts);
      expect([cut, got]).toEqual([cut, want]);
    }
    const got = await linesOf(['x\ny']); // no final line end
    expect(got).toEqual(['x', 'y']);
  });
});

describe('checkText: the decode of a part', () => {
  /** The event ids of a part's FIRST lines, in order. */
  const ids = (c: Checked): string[] => {
    const out: string[] = [];
    for (let i = 0, s = 0; i < c.n; i++) {
      if (c.kind[i] === FIRST) {
        out.push(c.strs[s] as string);
        s += 3;
      } else if (c.kind[i] === 0) s++;
    }
    return out;
  };

  it('an all-ASCII part (decoded the fast way) and parts with multi-byte or invalid bytes give the exact ids', () => {
    const st = { started: false };
    expect(ids(checkText(Buffer.from(`${eventLine('a-1')}\n${eventLine('a-2')}\n`), st))).toEqual(['a-1', 'a-2']);
    // é € 😀 as UTF-8 (each byte >= 0x80 would be a different character in latin1)
    const multi = Buffer.from(`${eventLine('a-3')}\n${eventLine('é-1')}\n${eventLine('€-2')}\n${eventLine('😀-3')}\n`, 'utf8');
    expect(ids(checkText(multi, st))).toEqual(['a-3', 'é-1', '€-2', '😀-3']);
    // only the last byte of the part is not ASCII: the whole part is still UTF-8
    const lastByte = Buffer.from(`${eventLine('a-4')}\n${eventLine('x-é')}`, 'utf8');
    expect(ids(checkText(lastByte, st))).toEqual(['a-4', 'x-é']);
    // an invalid byte: U+FFFD, as UTF-8 decoding gives (latin1 would make it ÿ)
    const bad = Buffer.concat([Buffer.from(eventLine('a-5').replace('a-5', 'b-')), Buffer.from('\n')]);
    const at = bad.indexOf('b-') + 2;
    const withFf = Buffer.concat([bad.subarray(0, at), Buffer.from([0xff]), bad.subarray(at)]);
    expect(ids(checkText(withFf, st))).toEqual(['b-\uFFFD']);
    expect(ids(checkText(Buffer.from(`${eventLine('a-6')}\n`), st))).toEqual(['a-6']); // and ASCII again after it
  });
});

describe('ingestStream of a short input (bandctl ingest)', () => {
  it('a multi-chunk input through the validator thread equals the one-thread reference; a re-run is all duplicates', async () => {
    const lines = fc.sample(lineArb, { numRuns: 700, seed: 21 });
    const ref = reference([lines], 100);
    const db = openDb(':memory:');
    const start = vi.spyOn(LineValidator, 'start');
    try {
      // a blank line of one part's length: the input is longer than a part, so the thread starts
      const text = `\uFEFF${lines.join('\n')}\n${' '.repeat(INGEST_PART_BYTES)}\n\n`;
      const c = await ingestStream(db, Readable.from([Buffer.from(text, 'utf8')]), { timezone: TZ, source: 'src' });
      expect(start).toHaveBeenCalledTimes(1); // past the first chunk
      expect(c).toEqual(ref.counts);
      const again = await ingestStream(db, Readable.from([Buffer.from(lines.join('\n'), 'utf8')]), { timezone: TZ, source: 'src' });
      expect(again).toEqual({ accepted: 0, duplicates: lines.length, rejected: 0 });
    } finally {
      start.mockRestore();
    }
    // quarantine timestamps differ (a real clock): compare the rest
    const { quarantine: q1, ...rest1 } = snapshot(db);
    const { quarantine: q2, ...rest2 } = snapshot(ref.db);
    expect(rest1).toEqual(rest2);
    expect(q1).toEqual(q2);
    db.close();
    ref.db.close();
  });
});

describe('ingestStream (bandctl ingest of a file or stdin: bytes cut at line ends, decoded on the validator thread)', () => {
  // an input of several validator parts: random line ends, blank lines, a BOM, multi-byte text in good and bad lines
  function makeInput(seed: number): { bytes: Buffer; lines: string[] } {
    const sampled = fc.sample(lineArb, { numRuns: 14_000, seed });
    const lines = sampled.map((l, i) => (i % 97 === 5 ? `{"note":"é€ ${i}"` : i % 89 === 3 ? l.replace('"symbol":"', '"symbol":"€') : l));
    let text = '\uFEFF';
    const ends = ['\n', '\r\n', '\r'];
    lines.forEach((l, i) => {
      text += l + ends[(i * 7 + seed) % 3];
      if (i % 53 === 0) text += i % 2 ? '\n' : '   \r\n'; // blank lines are skipped
    });
    const bytes = Buffer.from(text, 'utf8');
    expect(bytes.length).toBeGreaterThan(2 * INGEST_PART_BYTES); // the thread starts and takes several parts
    return { bytes, lines };
  }

  /** The bytes in pieces of random length (cutting characters and \r\n pairs anywhere). */
  function pieces(bytes: Buffer, seed: number): Buffer[] {
    const out: Buffer[] = [];
    let x = seed;
    for (let i = 0; i < bytes.length; ) {
      x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
      const n = 1 + (x % 70_000);
      out.push(bytes.subarray(i, i + n));
      i += n;
    }
    return out;
  }

  async function run(bytes: Buffer, seed: number, pipeline = true) {
    const db = openDb(':memory:');
    let stats: IngestStats | null = null;
    const counts = await ingestStream(db, Readable.from(pieces(bytes, seed)), {
      timezone: TZ,
      source: 'src',
      pipeline,
      onStats: (s) => (stats = s),
    });
    return { db, counts, stats: stats as unknown as IngestStats };
  }

  function expectSame(db: Db, ref: Db): void {
    const { quarantine: q1, ...rest1 } = snapshot(db);
    const { quarantine: q2, ...rest2 } = snapshot(ref);
    expect(rest1).toEqual(rest2);
    expect(q1).toEqual(q2); // the raw text of the refused lines, multi-byte characters included
  }

  it('equals the one-thread reference of the same lines, over any chunking; the thread did the validating', async () => {
    for (const seed of [1, 2]) {
      const { bytes, lines } = makeInput(seed);
      const ref = reference([lines], 1_000);
      expect(ref.counts.rejected).toBeGreaterThan(70);
      const got = await run(bytes, seed);
      expect(got.counts).toEqual(ref.counts);
      expect(got.stats.lines).toBe(lines.length);
      expect(got.stats.onThread).toBe(lines.length);
      expect(got.stats.threadId).not.toBeNull();
      expectSame(got.db, ref.db);
      const off = await run(bytes, seed + 10, false);
      expect(off.counts).toEqual(ref.counts);
      expect(off.stats.inThread).toBe(lines.length);
      expectSame(off.db, ref.db);
      got.db.close();
      off.db.close();
      ref.db.close();
    }
  });

  /** The thread's `method` answers as usual `n` times, then as a thread that failed (null); how often it was asked. */
  function failAfter(method: 'take' | 'takePart', n: number): { calls: () => number; restore: () => void } {
    const real = LineValidator.prototype[method] as (this: LineValidator) => unknown;
    let calls = 0;
    const spy = vi.spyOn(LineValidator.prototype, method).mockImplementation(function (this: LineValidator) {
      calls++;
      return (calls <= n ? real.call(this) : null) as never;
    });
    return { calls: () => calls, restore: () => spy.mockRestore() };
  }

  async function runFile(bytes: Buffer, name: string, dbFile = ':memory:') {
    const t = tempDir('ledger-file-');
    const file = join(t.dir, name);
    writeFileSync(file, bytes);
    const db = openDb(dbFile);
    let stats: IngestStats | null = null;
    try {
      const counts = await ingestFile(db, file, { timezone: TZ, source: 'src', onStats: (s) => (stats = s) });
      return { db, counts, stats: stats as unknown as IngestStats };
    } finally {
      t.cleanup();
    }
  }

  it('a file the validator thread reads itself equals the one-thread reference (BOM, line ends, blank lines, UTF-8)', async () => {
    for (const seed of [1, 2]) {
      const { bytes, lines } = makeInput(seed);
      const ref = reference([lines], 1_000);
      const got = await runFile(bytes, 'in.jsonl');
      expect(got.counts).toEqual(ref.counts);
      expect(got.stats.lines).toBe(lines.length);
      expect(got.stats.inThread).toBeGreaterThan(0); // the first part, read here while the thread starts
      expect(got.stats.onThread).toBeGreaterThan(got.stats.inThread); // the rest, read and validated there
      expect(got.stats.onThread + got.stats.inThread).toBe(lines.length);
      expect(got.stats.threadId).not.toBeNull();
      expectSame(got.db, ref.db);
      got.db.close();
      ref.db.close();
    }
  });

  it('a file whose thread fails midway: this thread reads on from the last part it took, same result', async () => {
    const { bytes, lines } = makeInput(4);
    const ref = reference([lines], 1_000);
    const spy = failAfter('takePart', 1);
    try {
      const got = await runFile(bytes, 'in.jsonl');
      expect(spy.calls()).toBe(2);
      expect(got.counts).toEqual(ref.counts);
      expect(got.stats.onThread).toBeGreaterThan(0);
      expect(got.stats.onThread + got.stats.inThread).toBe(lines.length);
      expectSame(got.db, ref.db);
      got.db.close();
    } finally {
      spy.restore();
      ref.db.close();
    }
  });

  it('a file of several transactions into a book file: a checkpointer thread copies the WAL after each commit', async () => {
    const mix = mixFile('day', 130_000); // about 27 MB: two of the ingest's transactions
    const t = tempDir('ledger-ckpt-');
    try {
      const got = await runFile(Buffer.from(`${mix.lines.join('\n')}\n`), 'day.jsonl', join(t.dir, 'book.db'));
      expect(got.counts).toEqual(mix.expect);
      expect(got.stats.checkpointError).toBeNull();
      expect(got.stats.checkpoints).toBeGreaterThanOrEqual(1); // (at least the one it makes when stopped)
      const applied = got.db.prepare('SELECT (SELECT COUNT(*) FROM fills) + (SELECT COUNT(*) FROM order_events)').pluck().get();
      expect(applied).toBe(mix.expect.accepted);
      got.db.close();
    } finally {
      t.cleanup();
    }
  });

  it('a validator thread that fails midway: the rest is validated here, same result', async () => {
    const { bytes, lines } = makeInput(3);
    const ref = reference([lines], 1_000);
    const spy = failAfter('take', 2);
    try {
      const got = await run(bytes, 3);
      expect(got.counts).toEqual(ref.counts);
      expect(got.stats.onThread).toBeGreaterThan(0);
      expect(got.stats.inThread).toBeGreaterThan(0);
      expect(got.stats.onThread + got.stats.inThread).toBe(lines.length);
      expectSame(got.db, ref.db);
      got.db.close();
    } finally {
      spy.restore();
      ref.db.close();
    }
  });
});

describe('parseTs same-minute fast path', () => {
  it('agrees with an independent computation on runs of timestamps in one minute, valid or not', () => {
    const two = (n: number) => String(n).padStart(2, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: 86_400_000, max: 2_000_000_000_000 }),
        fc.constantFrom('Z', '+00:00', '-05:00', '+0530', '+05:30'),
        fc.array(
          fc.record({
            ss: fc.integer({ min: 0, max: 61 }),
            frac: fc.constantFrom('', '.1', '.12', '.123', '.1234', '.999999999', '.9999999999', '.', '.x'),
            tail: fc.constantFrom('same', 'same', 'same', 'Z', '-01:00', 'junk'),
            noSeconds: fc.boolean(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (base, off, items) => {
          const minute = Math.floor(base / 60_000) * 60_000;
          const offMin = off === 'Z' ? 0 : (off[0] === '-' ? -1 : 1) * (Number(off.slice(1, 3)) * 60 + Number(off.slice(-2)));
          const local = new Date(minute + offMin * 60_000).toISOString().slice(0, 16); // YYYY-MM-DDTHH:MM
          for (const it of items) {
            const tail = it.tail === 'same' ? off : it.tail === 'junk' ? `${off}x` : it.tail;
            const tailMin = tail === 'Z' ? 0 : tail === off ? offMin : -60;
            const secs = it.noSeconds ? '' : `:${two(it.ss)}${it.frac}`;
            const s = `${local}${secs}${tail}`;
            const fracOk = /^(\.\d{1,9})?$/.test(it.frac);
            const valid = it.tail !== 'junk' && (it.noSeconds || (it.ss <= 59 && fracOk));
            const ms = it.noSeconds ? 0 : Number(`${it.frac.slice(1)}000`.slice(0, 3) || '0');
            const want = valid
              ? minute + offMin * 60_000 - tailMin * 60_000 + (it.noSeconds ? 0 : it.ss * 1000 + ms)
              : null;
            expect([s, parseTs(s)]).toEqual([s, want]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
