// In-memory copies of what every cycle and read path needs from the database: the book (non-flat positions), the
// truth ticks, and the config this book last ran on. The book and the ticks are valid while their generation
// counters are unchanged; the remembered config is read once.
import type { Statement } from 'better-sqlite3';
import { defaultConfig } from '../config/load';
import type { RiskConfig } from '../config/schema';
import type { BookPosition } from '../bands/math';
import type { TickInfo } from '../bands/valuation';
import { readTickInfo, readTicks, type TickRow } from '../prices/ticks';
import type { Db } from '../store/db';
import { rememberedConfig, type ConfigStateLike } from './config';

export class BookCache {
  private readonly st: { positions: Statement; bookGen: Statement; tickGen: Statement | null };
  private bookCache: { gen: number; positions: BookPosition[] } | null = null;
  private tickCache: { gen: number; ticks: Map<string, TickInfo> } | null = null;
  /** The config this book last ran on, for display and the calendar while no config is in force (read once). */
  private remembered: RiskConfig | null | undefined;

  constructor(
    private readonly db: Db,
    private readonly config: () => ConfigStateLike,
  ) {
    this.st = {
      positions: db.prepare('SELECT bucket, symbol, qty, cost_micro FROM positions WHERE qty != 0').raw(),
      bookGen: db.prepare('SELECT generation FROM ledger_meta WHERE id = 1').pluck(),
      // engine_meta comes with migration 3; a database from a pre-release build of it reads ticks every time
      tickGen: db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'engine_meta'").get()
        ? db.prepare('SELECT tick_gen FROM engine_meta WHERE id = 1').pluck()
        : null,
    };
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
    if (this.bookCache && this.bookCache.gen === gen) return this.bookCache.positions;
    const positions = this.loadPositions();
    this.bookCache = { gen, positions };
    return positions;
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
    for (const r of rows) this.tickCache.ticks.set(r.symbol, { price: r.priceMicro, ts: r.ts });
    this.tickCache.gen = gen;
  }

  /** Forget the in-memory copies (after a rolled-back transaction that may have read uncommitted rows). */
  invalidate(): void {
    this.bookCache = null;
    this.tickCache = null;
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
