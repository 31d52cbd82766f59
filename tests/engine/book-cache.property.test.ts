// Property test of the BookCache's incremental book (src/main/services/engine/book-cache.ts) on a real SQLite file:
// two connections, three caches (two sharing a connection, so sharing its TEMP write log), random inserts, upserts,
// replaces, deletes, flattenings, key changes, whole-table updates, writes from the other connection, committed,
// rolled-back and partly rolled-back transactions, and writes past the log's bound. After every operation each
// cache that reads must hold exactly a fresh full read of positions (rows, SQLite's order, the index behind
// qtyLookup), must not have changed an array it returned before, and must have taken the path a model of the cache
// predicts: nothing (generation unchanged), a patch (only this connection wrote since, and every touched key was
// in the copy or is flat now) or a full reload (first read or after invalidate(), another connection wrote, a
// cache on the same connection pruned the log since, a position opened from flat, more writes than the log holds).
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BookCache } from '../../src/main/services/engine/book-cache';
import type { BookPosition } from '../../src/main/services/bands/math';
import type { ConfigStateLike } from '../../src/main/services/engine/config';
import { openDb, type Db } from '../../src/main/services/store/db';
import { tempDir } from '../support/tmp';

const tmp = tempDir('book-cache-prop-');

// The two private steps of BookCache.positions(): a full reload calls loadPositions once; a patch is a non-null
// patchPositions result. Spied (calling through) to tell the paths apart.
const proto = BookCache.prototype as unknown as { loadPositions(): BookPosition[]; patchPositions(...args: unknown[]): unknown };
const loadSpy = vi.spyOn(proto, 'loadPositions');
const patchSpy = vi.spyOn(proto, 'patchPositions');
afterAll(() => {
  vi.restoreAllMocks();
  tmp.cleanup();
});

/** The cache's current copy (private): the array positions() returned and its bucket NUL symbol → index map. */
function copyOf(c: BookCache): { positions: BookPosition[]; index: Map<string, number> } | null {
  return (c as unknown as { bookCache: { positions: BookPosition[]; index: Map<string, number> } | null }).bookCache;
}

const CONFIG: ConfigStateLike = { config: null, valid: false, messages: [], file: null };
const SYMS = ['AA', 'BB', 'CC', 'DD', 'EE', 'FF', 'GG', 'HH', 'II', 'JJ'];
const KEYS: [string, string][] = SYMS.flatMap((s) => [['LT', s] as [string, string], ['MM', s] as [string, string]]);
const keyOf = (p: { bucket: string; symbol: string }): string => `${p.bucket}\u0000${p.symbol}`;
/** Own writes the TEMP log holds at most (book-cache.ts TOUCH_MAX). */
const LOG_HOLDS = 4096;
const LOG_HOLDS_AT_MOST = LOG_HOLDS;

function fullRead(db: Db): BookPosition[] {
  const rows = db.prepare('SELECT bucket, symbol, qty, cost_micro FROM positions WHERE qty != 0').raw().all() as [BookPosition['bucket'], string, number, number][];
  return rows.map((r) => ({ bucket: r[0], symbol: r[1], qty: r[2], costMicro: r[3] }));
}
const generation = (db: Db): number => db.prepare('SELECT generation FROM ledger_meta WHERE id = 1').pluck().get() as number;
const logSize = (db: Db): number => db.prepare('SELECT COUNT(*) FROM temp.book_cache_touched').pluck().get() as number;

// ---- writes ----

type Stmt =
  | { t: 'upsert' | 'replace'; k: number; qty: number; cost: number }
  | { t: 'delete' | 'flatten' | 'touch'; k: number }
  | { t: 'adjust'; k: number; d: number; cost: number }
  | { t: 'rekey'; k: number; to: number; replace: boolean }
  | { t: 'all'; d: number };

/** Runs one statement; the positions rows it wrote (each moves the generation by one and is logged once). */
function exec(db: Db, s: Stmt): number {
  if (s.t === 'all') return db.prepare('UPDATE positions SET qty = qty + ?').run(s.d).changes;
  const [bucket, symbol] = KEYS[s.k];
  switch (s.t) {
    case 'upsert':
      return db
        .prepare(
          `INSERT INTO positions (bucket, symbol, qty, cost_micro, realized_micro, updated_at) VALUES (?, ?, ?, ?, 0, 0)
           ON CONFLICT(bucket, symbol) DO UPDATE SET qty = excluded.qty, cost_micro = excluded.cost_micro`,
        )
        .run(bucket, symbol, s.qty, s.cost).changes;
    case 'replace': // a conflicting row is deleted without a DELETE trigger: one INSERT is logged
      return db
        .prepare('INSERT OR REPLACE INTO positions (bucket, symbol, qty, cost_micro, realized_micro, updated_at) VALUES (?, ?, ?, ?, 0, 0)')
        .run(bucket, symbol, s.qty, s.cost).changes;
    case 'adjust': // a trade on the row if it exists: may close it, or open it from flat
      return db.prepare('UPDATE positions SET qty = qty + ?, cost_micro = ? WHERE bucket = ? AND symbol = ?').run(s.d, s.cost, bucket, symbol).changes;
    case 'delete':
      return db.prepare('DELETE FROM positions WHERE bucket = ? AND symbol = ?').run(bucket, symbol).changes;
    case 'flatten':
      return db.prepare('UPDATE positions SET qty = 0, cost_micro = 0 WHERE bucket = ? AND symbol = ?').run(bucket, symbol).changes;
    case 'touch': // same content, generation moves
      return db.prepare('UPDATE positions SET updated_at = updated_at + 1 WHERE bucket = ? AND symbol = ?').run(bucket, symbol).changes;
    case 'rekey': {
      // a key change (bucket and/or symbol); OR REPLACE drops the row at the new key, unlogged
      const [toBucket, toSymbol] = KEYS[s.to];
      return db
        .prepare(`UPDATE OR ${s.replace ? 'REPLACE' : 'IGNORE'} positions SET bucket = ?, symbol = ? WHERE bucket = ? AND symbol = ?`)
        .run(toBucket, toSymbol, bucket, symbol).changes;
    }
  }
}

/** More own writes than the log holds (whole-table updates of updated_at: no content changes, nothing opened). */
function bulk(db: Db, rows: number): number {
  let n = db
    .prepare("INSERT OR IGNORE INTO positions (bucket, symbol, qty, cost_micro, realized_micro, updated_at) VALUES ('LT', 'AA', 0, 0, 0, 0)")
    .run().changes;
  while (n < rows) n += db.prepare('UPDATE positions SET updated_at = updated_at + 1').run().changes;
  return n;
}

const key = fc.integer({ min: 0, max: KEYS.length - 1 });
/** A signed quantity, flat one time in six (most writes keep a position open: those are what a patch covers). */
const qty = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: -3, max: 3 }).filter((q) => q !== 0) }, { weight: 1, arbitrary: fc.constant(0) });
const stmtArb: fc.Arbitrary<Stmt> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('upsert' as const), k: key, qty, cost: fc.nat(1_000_000) }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('adjust' as const), k: key, d: fc.constantFrom(-2, -1, 1, 2, 3), cost: fc.nat(1_000_000) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('replace' as const), k: key, qty, cost: fc.nat(1_000_000) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constantFrom('delete' as const, 'flatten' as const, 'touch' as const), k: key }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rekey' as const), k: key, to: key, replace: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('all' as const), d: fc.constantFrom(-1, 1) }) },
);
const stmts = fc.array(stmtArb, { minLength: 1, maxLength: 3 });

type Op =
  | { t: 'write'; conn: 0 | 1; stmts: Stmt[] } // autocommit, on a or b
  | { t: 'both'; stmts: Stmt[]; other: Stmt[] } // on a, then on b
  | { t: 'tx'; stmts: Stmt[] } // a transaction on a, committed
  | { t: 'rollback'; stmts: Stmt[]; reader: 0 | 1 } // a transaction on a, read inside by a cache, rolled back
  | { t: 'savepoint'; before: Stmt[]; inner: Stmt[]; after: Stmt[] } // a nested transaction rolled back, outer committed
  | { t: 'bulk'; conn: 0 | 1 }; // more writes than the log holds

const opArb: fc.Arbitrary<{ op: Op; reads: boolean[] }> = fc.record({
  op: fc.oneof(
    { weight: 20, arbitrary: fc.record({ t: fc.constant('write' as const), conn: fc.constantFrom<(0 | 1)[]>(0, 0, 0, 0, 1), stmts }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('both' as const), stmts, other: stmts }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('tx' as const), stmts }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('rollback' as const), stmts, reader: fc.constantFrom(0 as const, 1 as const) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('savepoint' as const), before: stmts, inner: stmts, after: stmts }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('bulk' as const), conn: fc.constantFrom<(0 | 1)[]>(0, 0, 0, 1) }) },
  ),
  // which caches read after the operation: the first of a's two often, its second seldom (each read by one of
  // them prunes the log the other would patch from), b's half the time
  reads: fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 })).map(([x, y, z]) => [x < 7, y < 2, z < 5]),
});

// ---- the model ----

type Reason = 'first' | 'invalidated' | 'foreign' | 'sibling' | 'opened' | 'bound';

interface Seen {
  cache: BookCache;
  db: Db;
  conn: 0 | 1;
  /** The array positions() last returned and a deep copy of it (it must never change). */
  prev: BookPosition[] | null;
  prevCopy: BookPosition[];
  gen: number;
  first: boolean;
  invalidated: boolean;
  /** Since this cache's last read: the other connection wrote positions; this one did; a cache on this one pruned. */
  foreign: boolean;
  own: boolean;
  pruned: boolean;
}

interface Tally {
  checks: number;
  none: number;
  patch: number;
  patchRemoved: number;
  patchUpdatedOnly: number;
  /** Patches from inside a transaction (later rolled back). */
  patchInTx: number;
  reload: number;
  /** Full reloads with exactly this one reason. */
  only: Record<Reason, number>;
}
const tally: Tally = {
  checks: 0,
  none: 0,
  patch: 0,
  patchRemoved: 0,
  patchUpdatedOnly: 0,
  patchInTx: 0,
  reload: 0,
  only: { first: 0, invalidated: 0, foreign: 0, sibling: 0, opened: 0, bound: 0 },
};

const patchesSince = (from: number): number =>
  patchSpy.mock.results.slice(from).filter((r) => r.type === 'return' && r.value !== null).length;

/** One positions() call, checked against a full read and the model; updates the model. */
function read(s: Seen, all: Seen[]): void {
  const gen = generation(s.db);
  const l0 = loadSpy.mock.calls.length;
  const p0 = patchSpy.mock.results.length;
  const got = s.cache.positions();
  const loaded = loadSpy.mock.calls.length - l0;
  const patched = patchesSince(p0);

  // the rows, in SQLite's order
  const want = fullRead(s.db);
  expect(got).toEqual(want);
  // the index behind qtyLookup: exactly the rows' keys at their places, and the look-up for every key
  const copy = copyOf(s.cache);
  expect(copy?.positions).toBe(got);
  expect(copy?.index).toEqual(new Map(want.map((p, i) => [keyOf(p), i])));
  const qty = s.cache.qtyLookup(got);
  const wantQty = new Map(want.map((p) => [keyOf(p), p.qty]));
  expect(KEYS.map(([b, sym]) => qty(`${b}\u0000${sym}`))).toEqual(KEYS.map(([b, sym]) => wantQty.get(`${b}\u0000${sym}`) ?? 0));
  // what it returned before is shared, read-only: never changed in place
  if (s.prev) expect(s.prev).toEqual(s.prevCopy);

  // the path
  const reasons: Reason[] = [];
  let expected: 'none' | 'patch' | 'reload' | 'either';
  if (s.first || s.invalidated) {
    reasons.push(s.first ? 'first' : 'invalidated');
    expected = 'reload';
  } else if (gen === s.gen) {
    expected = 'none';
  } else {
    const before = new Set(s.prevCopy.map(keyOf));
    if (s.foreign) reasons.push('foreign');
    if (s.pruned) reasons.push('sibling');
    if (want.some((p) => !before.has(keyOf(p)))) reasons.push('opened');
    if (!s.foreign && gen - s.gen > LOG_HOLDS_AT_MOST) reasons.push('bound');
    expected = reasons.length > 0 ? 'reload' : !s.foreign && gen - s.gen > LOG_HOLDS ? 'either' : 'patch';
  }
  const took = loaded === 1 && patched === 0 ? 'reload' : patched === 1 && loaded === 0 ? 'patch' : loaded + patched === 0 ? 'none' : 'both?';
  if (expected !== 'either') expect({ took, reasons }).toEqual({ took: expected, reasons });
  tally.checks++;
  if (took === 'none') {
    tally.none++;
    expect(got).toBe(s.prev);
  } else if (took === 'patch') {
    tally.patch++;
    if (s.db.inTransaction) tally.patchInTx++;
    if (got.length < s.prevCopy.length) tally.patchRemoved++;
    else tally.patchUpdatedOnly++;
  } else {
    tally.reload++;
    if (reasons.length === 1) tally.only[reasons[0]]++;
  }
  // content changed → a new array (valued() and qtyLookup() key on its identity)
  if (s.prev && JSON.stringify(want) !== JSON.stringify(s.prevCopy)) expect(got).not.toBe(s.prev);

  // a load or a patch prunes the log: a cache on the same connection with logged writes since its read loses them
  if (took !== 'none') for (const o of all) if (o !== s && o.conn === s.conn && o.own) o.pruned = true;
  Object.assign(s, { prev: got, prevCopy: structuredClone(got), gen, first: false, invalidated: false, foreign: false, own: false, pruned: false });
}

/** `rows` positions rows written by connection `conn` (a rolled-back transaction's: the model is restored after). */
function wrote(all: Seen[], conn: 0 | 1, rows: number): void {
  if (rows === 0) return;
  for (const s of all) {
    if (s.conn === conn) s.own = true;
    else s.foreign = true;
  }
}

class Rollback extends Error {}

let runs = 0;
function run(ops: { op: Op; reads: boolean[] }[]): void {
  const file = join(tmp.dir, `run-${runs++}.sqlite`);
  const a = openDb(file);
  const b = openDb(file);
  try {
    const mk = (db: Db, conn: 0 | 1): Seen => ({
      cache: new BookCache(db, () => CONFIG),
      db,
      conn,
      prev: null,
      prevCopy: [],
      gen: -1,
      first: true,
      invalidated: false,
      foreign: false,
      own: false,
      pruned: false,
    });
    // an opening book on every key (by b, before any cache reads): most writes then change open positions
    b.transaction(() => KEYS.forEach((_, k) => exec(b, { t: 'upsert', k, qty: (k % 5) - 2 || 1, cost: 1_000 * k })))();
    const all = [mk(a, 0), mk(a, 0), mk(b, 1)];
    const dbs = [a, b];
    const execAll = (db: Db, list: Stmt[]): number => list.reduce((n, s) => n + exec(db, s), 0);
    for (const { op, reads } of ops) {
      if (op.t === 'write') wrote(all, op.conn, execAll(dbs[op.conn], op.stmts));
      else if (op.t === 'both') {
        wrote(all, 0, execAll(a, op.stmts));
        wrote(all, 1, execAll(b, op.other));
      } else if (op.t === 'tx') wrote(all, 0, a.transaction(() => execAll(a, op.stmts))());
      else if (op.t === 'rollback') {
        // the reader sees its connection's uncommitted writes; everything (the writes, the log, its pruning) is
        // rolled back, and, as the engine does after a rollback, the reader forgets its copy
        const saved = all.map((s) => ({ ...s }));
        const reader = all[op.reader];
        try {
          a.transaction(() => {
            wrote(all, 0, execAll(a, op.stmts));
            read(reader, all);
            throw new Rollback();
          })();
        } catch (e) {
          if (!(e instanceof Rollback)) throw e;
        }
        all.forEach((s, i) => Object.assign(s, saved[i]));
        reader.cache.invalidate();
        reader.invalidated = true;
      } else if (op.t === 'savepoint') {
        const n = a.transaction(() => {
          let k = execAll(a, op.before);
          try {
            a.transaction(() => {
              execAll(a, op.inner);
              throw new Rollback();
            })();
          } catch (e) {
            if (!(e instanceof Rollback)) throw e;
          }
          k += execAll(a, op.after);
          return k;
        })();
        wrote(all, 0, n);
      } else {
        const db = dbs[op.conn];
        wrote(all, op.conn, db.transaction(() => bulk(db, 4_500))());
      }
      all.forEach((s, i) => {
        if (reads[i]) read(s, all);
      });
    }
    for (const s of all) read(s, all);
  } finally {
    a.close();
    b.close();
  }
}

describe('BookCache: the incremental book equals a full read', () => {
  it('after every random operation, on every cache, by the path the model predicts', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 60 }), (ops) => run(ops)),
      { numRuns: 150, seed: 20261201 },
    );
    // every path was taken, every reason for a full reload on its own (the seed is fixed: these are stable)
    expect(tally.patch).toBeGreaterThan(500);
    expect(tally.patchRemoved).toBeGreaterThan(200);
    expect(tally.patchUpdatedOnly).toBeGreaterThan(250);
    expect(tally.patchInTx).toBeGreaterThan(20);
    expect(tally.none).toBeGreaterThan(200);
    expect(tally.reload).toBeGreaterThan(1000);
    for (const r of Object.keys(tally.only) as Reason[]) expect({ reason: r, seen: tally.only[r] >= 20 }).toEqual({ reason: r, seen: true });
  });

  it('writes past the log bound: a full reload that empties the log, then patches again', () => {
    const db = openDb(join(tmp.dir, 'bound.sqlite'));
    try {
      const cache = new BookCache(db, () => CONFIG);
      for (let k = 0; k < KEYS.length; k++) exec(db, { t: 'upsert', k, qty: k + 1, cost: 1000 * k });
      const paths = (): string => {
        const l0 = loadSpy.mock.calls.length;
        const p0 = patchSpy.mock.results.length;
        const got = cache.positions();
        expect(got).toEqual(fullRead(db));
        return loadSpy.mock.calls.length > l0 ? 'reload' : patchesSince(p0) > 0 ? 'patch' : 'none';
      };
      const wholeTable = (rows: number): void =>
        db.transaction(() => {
          for (let n = 0; n < rows; n += KEYS.length) db.prepare('UPDATE positions SET qty = qty + 1').run();
        })();
      expect(paths()).toBe('reload');
      expect(logSize(db)).toBe(0);
      // 4,000 own writes: all logged, a patch
      const g0 = generation(db);
      wholeTable(4_000);
      expect(generation(db) - g0).toBe(4_000);
      expect(logSize(db)).toBe(4_000);
      expect(paths()).toBe('patch');
      expect(logSize(db)).toBe(0);
      // 5,000: the log stops at its bound, the generation does not: a full reload, which empties the log
      wholeTable(5_000);
      expect(logSize(db)).toBeGreaterThanOrEqual(LOG_HOLDS);
      expect(logSize(db)).toBeLessThanOrEqual(LOG_HOLDS_AT_MOST);
      expect(paths()).toBe('reload');
      expect(logSize(db)).toBe(0);
      // and the next own write is a patch again
      exec(db, { t: 'upsert', k: 3, qty: -7, cost: 5 });
      expect(paths()).toBe('patch');
      // a log left full by a connection that writes without reading is bounded, and the reload after it is right
      wholeTable(20_000);
      expect(logSize(db)).toBeLessThanOrEqual(LOG_HOLDS_AT_MOST);
      exec(db, { t: 'delete', k: 5 });
      expect(paths()).toBe('reload');
    } finally {
      db.close();
    }
  });

  it('without the generation triggers it keeps no log: every move of the generation is a full reload', () => {
    const db = openDb(join(tmp.dir, 'nogen.sqlite'));
    try {
      // the same counting under another name: the cache does not recognise it and must not patch
      db.exec(`DROP TRIGGER positions_gen_del;
        CREATE TRIGGER other_gen_del AFTER DELETE ON positions BEGIN UPDATE ledger_meta SET generation = generation + 1 WHERE id = 1; END;`);
      const cache = new BookCache(db, () => CONFIG);
      expect(db.prepare("SELECT COUNT(*) FROM sqlite_temp_master WHERE name = 'book_cache_touched'").pluck().get()).toBe(0);
      const p0 = patchSpy.mock.calls.length;
      const l0 = loadSpy.mock.calls.length;
      for (let i = 0; i < 40; i++) {
        exec(db, { t: 'upsert', k: i % KEYS.length, qty: (i % 5) - 2, cost: i });
        if (i % 3 === 0) exec(db, { t: 'delete', k: (i * 7) % KEYS.length });
        expect(cache.positions()).toEqual(fullRead(db));
      }
      expect(patchSpy.mock.calls.length - p0).toBe(0);
      expect(loadSpy.mock.calls.length - l0).toBe(40);
    } finally {
      db.close();
    }
  });
});
