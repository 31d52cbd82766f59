// In-memory copies of what every cycle and read path needs from the database: the book (non-flat positions), the
// truth ticks, and the config this book last ran on. The book and the ticks are valid while their generation
// counters are unchanged; the remembered config is read once. When the book's generation moved only by this
// connection's own writes (a TEMP trigger logs each positions row it writes), just those rows are read again;
// a write by anyone else (another process, another connection) moves the generation past that log: full reload.
import type { Statement } from 'better-sqlite3';
import { defaultConfig } from '../config/load';
import type { RiskConfig } from '../config/schema';
import { measureBand, type BandMeasure, type BookPosition } from '../bands/math';
import { valueBook, type TickInfo, type Valuation } from '../bands/valuation';
import { readTickInfo, readTicks, type TickRow } from '../prices/ticks';
import type { Db } from '../store/db';
import { rememberedConfig, type ConfigStateLike } from './config';

/** The positions rows this connection wrote, in write order (TEMP: only this connection's writes reach it). */
interface TouchLog {
  /** [id, bucket, symbol, old bucket, old symbol] of the writes after an id; the old key only for an UPDATE. */
  since: Statement;
  lastId: Statement;
  prune: Statement;
}

/**
 * Rows the log holds at most: past that a write is not logged (the generation then moved by more than the log
 * shows: a full reload, which empties the log). Its ids are contiguous (only a prefix is deleted, only a suffix
 * rolled back), so MAX − MIN + 1 is its size: two look-ups per write (two subqueries: MIN and MAX in one would scan).
 */
const TOUCH_MAX = 4096;
const TOUCH_ROOM = `WHEN COALESCE((SELECT MAX(id) FROM temp.book_cache_touched) - (SELECT MIN(id) FROM temp.book_cache_touched) + 1, 0) < ${TOUCH_MAX}`;
const TOUCH_SQL = `
  CREATE TEMP TABLE IF NOT EXISTS book_cache_touched (
    id INTEGER PRIMARY KEY AUTOINCREMENT, bucket TEXT NOT NULL, symbol TEXT NOT NULL, old_bucket TEXT, old_symbol TEXT);
  CREATE TEMP TRIGGER IF NOT EXISTS book_cache_touched_ins AFTER INSERT ON main.positions ${TOUCH_ROOM}
    BEGIN INSERT INTO book_cache_touched (bucket, symbol) VALUES (NEW.bucket, NEW.symbol); END;
  CREATE TEMP TRIGGER IF NOT EXISTS book_cache_touched_upd AFTER UPDATE ON main.positions ${TOUCH_ROOM}
    BEGIN INSERT INTO book_cache_touched (bucket, symbol, old_bucket, old_symbol) VALUES (NEW.bucket, NEW.symbol, OLD.bucket, OLD.symbol); END;
  CREATE TEMP TRIGGER IF NOT EXISTS book_cache_touched_del AFTER DELETE ON main.positions ${TOUCH_ROOM}
    BEGIN INSERT INTO book_cache_touched (bucket, symbol) VALUES (OLD.bucket, OLD.symbol); END;`;

/**
 * The TEMP log of this connection's positions writes, or null (no positions_gen_* triggers to compare it with, or
 * the log cannot be made): then every generation move is a full reload, as before.
 */
function touchLog(db: Db): TouchLog | null {
  try {
    const gens = db
      .prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ('positions_gen_ins', 'positions_gen_upd', 'positions_gen_del')")
      .pluck()
      .get() as number;
    if (gens !== 3) return null;
    db.exec(TOUCH_SQL);
    return {
      since: db.prepare('SELECT id, bucket, symbol, old_bucket, old_symbol FROM temp.book_cache_touched WHERE id > ? ORDER BY id').raw(),
      lastId: db.prepare('SELECT COALESCE(MAX(id), 0) FROM temp.book_cache_touched').pluck(),
      prune: db.prepare('DELETE FROM temp.book_cache_touched WHERE id <= ?'),
    };
  } catch {
    return null;
  }
}

interface BookCopy {
  /** ledger_meta.generation the copy is of. */
  gen: number;
  /** The last row of the touch log the copy includes. */
  logId: number;
  positions: BookPosition[];
  /** bucket NUL symbol → index in positions. */
  index: Map<string, number>;
}

/** A valuation and band measure of one book at one set of ticks (snapshot's, remembered while both are unchanged). */
export interface Valued {
  valuation: Valuation;
  measure: BandMeasure;
}

export class BookCache {
  private readonly st: { positions: Statement; position: Statement; bookGen: Statement; tickGen: Statement | null };
  private readonly log: TouchLog | null;
  private bookCache: BookCopy | null = null;
  private tickCache: { gen: number; ticks: Map<string, TickInfo> } | null = null;
  /** Bumped whenever the content of tickCache.ticks changes in place (patchTicks). */
  private tickVersion = 0;
  private valuedCache: {
    positions: readonly BookPosition[];
    ticks: ReadonlyMap<string, TickInfo>;
    tickVersion: number;
    freshFrom: number;
    equity: number;
    value: Valued;
  } | null = null;
  /** The config this book last ran on, for display and the calendar while no config is in force (read once). */
  private remembered: RiskConfig | null | undefined;

  constructor(
    private readonly db: Db,
    private readonly config: () => ConfigStateLike,
  ) {
    this.st = {
      positions: db.prepare('SELECT bucket, symbol, qty, cost_micro FROM positions WHERE qty != 0').raw(),
      position: db.prepare('SELECT qty, cost_micro FROM positions WHERE bucket = ? AND symbol = ?').raw(),
      bookGen: db.prepare('SELECT generation FROM ledger_meta WHERE id = 1').pluck(),
      // engine_meta comes with migration 3; a database from a pre-release build of it reads ticks every time
      tickGen: db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'engine_meta'").get()
        ? db.prepare('SELECT tick_gen FROM engine_meta WHERE id = 1').pluck()
        : null,
    };
    this.log = touchLog(db);
  }

  /**
   * The config for figures and the calendar: the one in force, else (a start on an invalid file) the one this book
   * last ran on, else the defaults. Only the first allows approvals and proposals (Snapshot.usable, controllerOn).
   */
  effectiveConfig(): RiskConfig {
    const c = this.config().config;
    if (c) return c;
    if (this.remembered === undefined) this.remembered = rememberedConfig(this.db);
    return this.remembered ?? defaultConfig();
  }

  /** The book (non-flat positions); shared, read-only. Reloaded when the ledger's generation moves. */
  positions(): BookPosition[] {
    const gen = this.st.bookGen.get() as number;
    const c = this.bookCache;
    if (c && c.gen === gen) return c.positions;
    const patched = c && this.log ? this.patchPositions(c, gen, this.log) : null;
    if (patched) {
      this.bookCache = patched;
      return patched.positions;
    }
    // The log's end before the rows: this connection writes nothing between these statements.
    const logId = this.log ? (this.log.lastId.get() as number) : 0;
    if (this.log) this.log.prune.run(logId);
    const positions = this.loadPositions();
    const index = new Map<string, number>();
    for (let i = 0; i < positions.length; i++) index.set(`${positions[i].bucket}\u0000${positions[i].symbol}`, i);
    this.bookCache = { gen, logId, positions, index };
    return positions;
  }

  /**
   * The book at `gen` from the copy at c.gen, when every write since was this connection's (the generation moved
   * by exactly the number of rows the TEMP log holds since c.logId: each positions row written moves it by one,
   * and the log sees this connection's writes only): those rows are read again, in place. Null → full reload:
   * someone else wrote, or a position was opened from flat (its place in SQLite's order is SQLite's to say).
   */
  private patchPositions(c: BookCopy, gen: number, log: TouchLog): BookCopy | null {
    const rows = log.since.all(c.logId) as [number, string, string, string | null, string | null][];
    if (rows.length === 0 || rows.length !== gen - c.gen) return null;
    const keys = new Map<string, [string, string]>();
    for (const r of rows) {
      keys.set(`${r[1]}\u0000${r[2]}`, [r[1], r[2]]);
      if (r[3] !== null && r[4] !== null) keys.set(`${r[3]}\u0000${r[4]}`, [r[3], r[4]]);
    }
    const positions = c.positions.slice();
    let removed = false;
    for (const [key, [bucket, symbol]] of keys) {
      const now = this.st.position.get(bucket, symbol) as [number, number] | undefined;
      const i = c.index.get(key);
      if (i === undefined) {
        if (now && now[0] !== 0) return null;
        continue;
      }
      if (!now || now[0] === 0) {
        removed = true;
        positions[i] = null as unknown as BookPosition;
      } else {
        const p = c.positions[i];
        positions[i] = { bucket: p.bucket, symbol: p.symbol, qty: now[0], costMicro: now[1] };
      }
    }
    const logId = rows[rows.length - 1][0];
    log.prune.run(logId);
    if (!removed) return { gen, logId, positions, index: c.index };
    const kept = positions.filter((p) => p !== null);
    const index = new Map<string, number>();
    for (let i = 0; i < kept.length; i++) index.set(`${kept[i].bucket}\u0000${kept[i].symbol}`, i);
    return { gen, logId, positions: kept, index };
  }

  /**
   * A look-up of the signed qty by `bucket NUL symbol` in `positions` (0 when it holds none): through this copy's
   * index when `positions` is the copy positions() returned, else a map built from it.
   */
  qtyLookup(positions: readonly BookPosition[]): (key: string) => number {
    const c = this.bookCache;
    if (c && c.positions === positions) {
      const { index } = c;
      return (key) => {
        const i = index.get(key);
        return i === undefined ? 0 : positions[i].qty;
      };
    }
    const held = new Map<string, number>();
    for (const p of positions) held.set(`${p.bucket}\u0000${p.symbol}`, p.qty);
    return (key) => held.get(key) ?? 0;
  }

  /**
   * valueBook and measureBand of the book at the ticks, remembered while the book (array), the ticks (map and
   * its in-place version), freshFrom and equity are the same: their results are shared, read-only.
   */
  valued(positions: readonly BookPosition[], freshFrom: number, equity: number): Valued {
    const ticks = this.tickInfo();
    const v = this.valuedCache;
    if (v && v.positions === positions && v.ticks === ticks && v.tickVersion === this.tickVersion && v.freshFrom === freshFrom && v.equity === equity) {
      return v.value;
    }
    const valuation = valueBook(positions, ticks, freshFrom);
    const value: Valued = { valuation, measure: measureBand(positions, valuation.prices, equity) };
    this.valuedCache = { positions, ticks, tickVersion: this.tickVersion, freshFrom, equity, value };
    return value;
  }

  /** Truth ticks with their times; shared, read-only. Reloaded when a tick is written. */
  tickInfo(): Map<string, TickInfo> {
    if (!this.st.tickGen) return readTickInfo(this.db);
    const gen = this.st.tickGen.get() as number;
    if (this.tickCache && this.tickCache.gen === gen) return this.tickCache.ticks;
    const ticks = readTickInfo(this.db);
    this.tickCache = { gen, ticks };
    return ticks;
  }

  /** The last truth tick of each symbol (micro-USD), however old: what the console shows beside an intent. */
  ticks(): Map<string, number> {
    if (!this.st.tickGen) return readTicks(this.db);
    const m = new Map<string, number>();
    for (const [sym, t] of this.tickInfo()) m.set(sym, t.price);
    return m;
  }

  /** The tick generation now (null on a database without engine_meta): take it before writing ticks. */
  tickGen(): number | null {
    return this.st.tickGen ? (this.st.tickGen.get() as number) : null;
  }

  /**
   * Applies ticks this engine just wrote to its in-memory copy, when nobody else wrote ticks in between (each
   * written row bumps the generation once), so a simulator cycle does not re-read every tick.
   */
  patchTicks(genBefore: number | null, rows: readonly TickRow[]): void {
    if (genBefore === null || !this.tickCache || this.tickCache.gen !== genBefore || !this.st.tickGen) return;
    const gen = this.st.tickGen.get() as number;
    if (gen !== genBefore + rows.length) {
      this.tickCache = null;
      return;
    }
    this.tickVersion++;
    for (const r of rows) this.tickCache.ticks.set(r.symbol, { price: r.priceMicro, ts: r.ts });
    this.tickCache.gen = gen;
  }

  /** Forget the in-memory copies (after a rolled-back transaction that may have read uncommitted rows). */
  invalidate(): void {
    this.bookCache = null;
    this.tickCache = null;
    this.valuedCache = null;
  }

  private loadPositions(): BookPosition[] {
    const rows = this.st.positions.all() as [BookPosition['bucket'], string, number, number][];
    const out: BookPosition[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      out[i] = { bucket: r[0], symbol: r[1], qty: r[2], costMicro: r[3] };
    }
    return out;
  }
}
