// The Decision Engine (SPEC §4–§7): cycles every engine.cycle_seconds and on demand; mode NORMAL / DERISK
// (automatic while gross is over the hard cap) / HALTED (the persisted kill switch); runs the LT Band Drift
// Controller only in NORMAL with a valid config; owns the intent lifecycle with its append-only audit, turns
// approvals into orders through a broker, and keeps a cycle log and the band history for the console.
import { userInfo } from 'node:os';
import {
  accountCalendar,
  closeTimeOf,
  endOfDateEpoch,
  isTradingDay,
  localTimeToEpoch,
  previousTradingDay,
  tradingDateOf,
  type Calendar,
} from '../../../shared/calendar';
import { parseClassification, type BandStatus, type EngineMode, type IntentStatus } from '../../../shared/domain';
import type {
  AppStatus,
  AuditRow,
  BandPoint,
  BandPreview,
  CycleLogRow,
  IntentOutcome,
  IntegrityStatus,
  IntentView,
  StreamStatus,
} from '../../../shared/types';
import { defaultConfig } from '../config/load';
import type { RiskConfig } from '../config/schema';
import { actionsOf, decidingRow, isViolated, proposeIntents, violationOf, openIncreaseGross, type OpenIntent } from '../bands/controller';
import { daysInViolation, endEpisode, openEpisode, startEpisode } from '../bands/episodes';
import { lttb } from '../../../shared/lttb';
import { capMicro, measureBand, pctOf, pnlPct, type BandMeasure, type BookPosition } from '../bands/math';
import { valueBook, type StalePrice, type TickInfo } from '../bands/valuation';
import { PaperBroker, type Broker, type OrderRequest, type PositionOf } from '../execution/broker';
import { embeddedLedger, type LedgerLink } from '../execution/ledger-link';
import { readTickInfo, readTicks, setTicks, type TickRow } from '../prices/ticks';
import { staticPrices, type PriceSource } from '../prices/source';
import { bookZone } from '../store/book-zone';
import type { Db } from '../store/db';
import { dropQueued, outboxHeld, queuedOrders } from '../streams/outbox';
import { getStateFast as getState, setStateFast as setState } from './stmt';
import { rememberConfig, rememberedConfig, type ConfigStateLike } from './config';
import { Emitter } from './emitter';
import { nextIntentIds } from './ids';
import { IntentStore, OPEN_STATUSES, WORKING_STATUSES, type IntentRecord } from './store';

export type { ConfigStateLike } from './config';

export interface EngineOptions {
  db: Db;
  config: () => ConfigStateLike;
  prices?: PriceSource;
  broker?: Broker;
  /** The ledger the broker writes into and fills are read from (default: the embedded log + consumer). */
  ledger?: LedgerLink;
  /** Actor of manual actions when none is given (default: the OS user). */
  actor?: string;
  now?: () => number;
  /** The book's account time zone (default: the one stored in the database, see store/book-zone). */
  timezone?: string;
}

/** One created intent as `bandctl evaluate --json` prints it (SPEC §10). */
export interface EvaluateIntent {
  id: string;
  symbol: string;
  classification: IntentRecord['classification'];
  side: IntentRecord['side'];
  qty: number;
  order_type: IntentRecord['order_type'];
  limit_price: number | null;
  priority: number;
  reason: string;
}

export interface EvaluateResult {
  mode: EngineMode;
  status: BandStatus;
  long_pct: number | null;
  short_pct: number | null;
  gross_pct: number;
  days_in_violation: number;
  intents: EvaluateIntent[];
  /** Epoch ms of the evaluation and its trading date. */
  at: number;
  trading_date: string;
  expired: string[];
  superseded: string[];
  filled: string[];
  /** The cycle log line of this evaluation. */
  message: string;
  /** Symbols valued without a fresh truth tick (at an old tick or at average cost). */
  stale_prices: string[];
}

export interface EngineEvents {
  status: AppStatus;
  'intents:new': { ids: string[]; count: number };
  'intents:changed': { ids: string[] };
  fills: { count: number; date: string };
}

export interface ApplyTicksResult {
  ticks: number;
  fills: number;
  filled_intents: string[];
}

interface HaltInfo {
  at: number;
  actor: string;
  reason: string;
}

interface Snapshot {
  state: ConfigStateLike;
  cfg: RiskConfig;
  /** A config is in force (the file's, or the last valid one while the file is invalid): approvals may run. */
  usable: boolean;
  cal: Calendar;
  positions: BookPosition[];
  /** Truth ticks (micro-USD): candidates, limit prices, an increase's cap check. */
  ticks: Map<string, number>;
  /** The price each exposure figure uses: fresh tick, else old tick, else average cost. */
  prices: Map<string, number>;
  stale: StalePrice[];
  measure: BandMeasure;
  cap: bigint;
  mode: EngineMode;
  halt: HaltInfo | null;
  controllerOn: boolean;
}

const HALT_KEY = 'engine.halted';
const MODE_KEY = 'engine.mode';
const DAY_MS = 86_400_000;
const RANGE_MS: Record<'1D' | '1W' | '1M' | 'ALL', number> = { '1D': DAY_MS, '1W': 7 * DAY_MS, '1M': 30 * DAY_MS, ALL: Infinity };

export function osUser(): string {
  try {
    return userInfo().username || 'user';
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'user';
  }
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** "AAPL (average cost), MSFT (tick of 2024-01-02)", at most ten. */
function staleText(stale: readonly StalePrice[], zone: string): string {
  const one = (x: StalePrice) => `${x.symbol} (${x.basis === 'avg-cost' ? 'never priced: average cost' : `tick of ${tradingDateOf(x.since as number, zone)}`})`;
  return `${stale.slice(0, 10).map(one).join(', ')}${stale.length > 10 ? `, … ${stale.length - 10} more` : ''}`;
}
const pct1 = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)}%`);

/** The SPEC §10 `evaluate --json` object. */
export function evaluateJson(
  r: EvaluateResult,
): Pick<EvaluateResult, 'mode' | 'status' | 'long_pct' | 'short_pct' | 'gross_pct' | 'days_in_violation' | 'intents' | 'stale_prices'> {
  return {
    mode: r.mode,
    status: r.status,
    long_pct: r.long_pct === null ? null : round4(r.long_pct),
    short_pct: r.short_pct === null ? null : round4(r.short_pct),
    gross_pct: round4(r.gross_pct),
    days_in_violation: r.days_in_violation,
    intents: r.intents,
    stale_prices: r.stale_prices,
  };
}

export class Engine {
  readonly db: Db;
  readonly store: IntentStore;
  readonly prices: PriceSource;
  readonly broker: Broker;
  readonly ledger: LedgerLink;
  readonly actor: string;
  private readonly config: () => ConfigStateLike;
  private readonly clock: () => number;
  private readonly events = new Emitter<EngineEvents>();
  private stream: StreamStatus = { state: 'off', detail: 'embedded log' };
  private integrity: IntegrityStatus = { state: 'off', detail: 'not checked by this process', at: null, ms: null, unclean_shutdown: false };
  private timer: NodeJS.Timeout | null = null;
  /** In-memory copies of the book and the ticks, valid while their generation counters are unchanged. */
  private bookCache: { gen: number; positions: BookPosition[] } | null = null;
  private tickCache: { gen: number; ticks: Map<string, TickInfo> } | null = null;
  /** The config this book last ran on, for display and the calendar while no config is in force (read once). */
  private remembered: RiskConfig | null | undefined;
  /** The book's account time zone: every trading date here is a date in it. */
  readonly zone: string;
  private running = false;
  private readonly st;

  constructor(opts: EngineOptions) {
    this.db = opts.db;
    this.config = opts.config;
    this.clock = opts.now ?? Date.now;
    this.actor = opts.actor ?? osUser();
    this.prices = opts.prices ?? staticPrices;
    this.store = new IntentStore(this.db);
    this.zone = opts.timezone ?? bookZone(this.db, opts.config().config?.account.timezone);
    this.ledger = opts.ledger ?? embeddedLedger(this.db, () => this.zone);
    this.broker = opts.broker ?? new PaperBroker(this.db, this.ledger);
    this.st = {
      positions: this.db.prepare('SELECT bucket, symbol, qty, cost_micro FROM positions WHERE qty != 0').raw(),
      bookGen: this.db.prepare('SELECT generation FROM ledger_meta WHERE id = 1').pluck(),
      // engine_meta comes with migration 3; a database from a pre-release build of it reads ticks every time
      tickGen: this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'engine_meta'").get()
        ? this.db.prepare('SELECT tick_gen FROM engine_meta WHERE id = 1').pluck()
        : null,
      history: this.db.prepare(
        'INSERT INTO band_history (ts, long_pct, short_pct, gross_pct, status, mode) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      cycle: this.db.prepare('INSERT INTO engine_cycles (at, mode, status, message) VALUES (?, ?, ?, ?)'),
      cycles: this.db.prepare('SELECT id, at, mode, status, message FROM engine_cycles ORDER BY id DESC LIMIT ?'),
      lastCycle: this.db.prepare('SELECT at FROM engine_cycles ORDER BY id DESC LIMIT 1').pluck(),
      position: this.db.prepare('SELECT qty FROM positions WHERE bucket = ? AND symbol = ?').pluck(),
      hasOutbox: !!this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stream_outbox'").get(),
      historySince: this.db.prepare(
        'SELECT ts, long_pct, short_pct, gross_pct, status FROM band_history WHERE ts >= ? ORDER BY ts, id',
      ),
    };
  }

  // ---- events and hooks -------------------------------------------------------------------------------------

  on<K extends keyof EngineEvents>(event: K, cb: (payload: EngineEvents[K]) => void): () => void {
    return this.events.on(event, cb);
  }

  /** The console's database check reports here; status() shows it. */
  setIntegrity(s: IntegrityStatus): void {
    this.integrity = { ...s };
    this.emitStatus();
  }

  /** The Redis bridge reports its connection state here; status() shows it. */
  setStreamStatus(s: StreamStatus): void {
    this.stream = { ...s };
    this.emitStatus();
  }

  now(): number {
    return this.clock();
  }

  // ---- reading the book -------------------------------------------------------------------------------------

  /**
   * The config for figures and the calendar: the one in force, else (a start on an invalid file) the one this book
   * last ran on, else the defaults. Only the first allows approvals and proposals (Snapshot.usable, controllerOn).
   */
  private effectiveConfig(): RiskConfig {
    const c = this.config().config;
    if (c) return c;
    if (this.remembered === undefined) this.remembered = rememberedConfig(this.db);
    return this.remembered ?? defaultConfig();
  }

  /** The book (non-flat positions); shared, read-only. Reloaded when the ledger's generation moves. */
  private readPositions(): BookPosition[] {
    const gen = this.st.bookGen.get() as number;
    if (this.bookCache && this.bookCache.gen === gen) return this.bookCache.positions;
    const positions = this.loadPositions();
    this.bookCache = { gen, positions };
    return positions;
  }

  /** Truth ticks with their times; shared, read-only. Reloaded when a tick is written. */
  private readTickInfo(): Map<string, TickInfo> {
    if (!this.st.tickGen) return readTickInfo(this.db);
    const gen = this.st.tickGen.get() as number;
    if (this.tickCache && this.tickCache.gen === gen) return this.tickCache.ticks;
    const ticks = readTickInfo(this.db);
    this.tickCache = { gen, ticks };
    return ticks;
  }

  /** The last truth tick of each symbol (micro-USD), however old: what the console shows beside an intent. */
  private readTicks(): Map<string, number> {
    if (!this.st.tickGen) return readTicks(this.db);
    const m = new Map<string, number>();
    for (const [sym, t] of this.readTickInfo()) m.set(sym, t.price);
    return m;
  }

  /**
   * Applies ticks this engine just wrote to its in-memory copy, when nobody else wrote ticks in between (each
   * written row bumps the generation once), so a simulator cycle does not re-read every tick.
   */
  private patchTicks(genBefore: number | null, rows: readonly TickRow[]): void {
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

  private haltInfo(): HaltInfo | null {
    const s = getState(this.db, HALT_KEY);
    if (!s) return null;
    try {
      return JSON.parse(s) as HaltInfo;
    } catch {
      return { at: 0, actor: 'unknown', reason: s };
    }
  }

  private snapshot(now = this.now()): Snapshot {
    const state = this.config();
    const cfg = this.effectiveConfig();
    const cal: Calendar = accountCalendar(this.zone, cfg.account);
    const positions = this.readPositions();
    // Stale: a tick from before the previous trading day, or none at all (valued at average cost).
    const freshFrom = localTimeToEpoch(previousTradingDay(tradingDateOf(now, this.zone), cal), '00:00', this.zone);
    const v = valueBook(positions, this.readTickInfo(), freshFrom);
    const measure = measureBand(positions, v.prices, cfg.account.equity);
    const cap = capMicro(cfg.account.equity, cfg.global.hard_cap_gross_pct);
    const halt = this.haltInfo();
    const mode: EngineMode = halt ? 'HALTED' : measure.globalGrossMicro > cap ? 'DERISK' : 'NORMAL';
    const controllerOn = state.valid && state.config !== null && cfg.buckets.LT.band_drift.enabled;
    return {
      state,
      cfg,
      usable: state.config !== null,
      cal,
      positions,
      ticks: v.ticks,
      prices: v.prices,
      stale: v.stale,
      measure,
      cap,
      mode,
      halt,
      controllerOn,
    };
  }

  /** Epoch ms of the close of a trading date (an early close included): approved orders are DAY orders. */
  closeOf(tradingDate: string): number {
    return localTimeToEpoch(tradingDate, this.closeTime(tradingDate), this.zone);
  }

  /** HH:MM of the close of a trading date in the account zone. */
  closeTime(tradingDate: string): string {
    const cfg = this.effectiveConfig();
    return closeTimeOf(tradingDate, accountCalendar(this.zone, cfg.account), cfg.account.market_close);
  }

  private bandStatus(s: Snapshot, violated: boolean, days: number): BandStatus {
    if (s.mode !== 'NORMAL' || !s.controllerOn) return 'SUSPENDED';
    if (s.measure.long_pct === null) return 'NO_EXPOSURE';
    if (!violated) return 'IN_BAND';
    return days <= s.cfg.buckets.LT.band_drift.tolerance_days ? 'WATCH' : 'CORRECTING';
  }

  private suspendedWhy(s: Snapshot): string {
    if (s.mode === 'HALTED') return `HALTED by ${s.halt?.actor ?? '?'}${s.halt?.reason ? ` (${s.halt.reason})` : ''}`;
    if (s.mode === 'DERISK') {
      return `DERISK: gross ${pct1(s.measure.gross_pct)} > hard cap ${s.cfg.global.hard_cap_gross_pct.toFixed(1)}%`;
    }
    if (!s.state.valid || s.state.config === null) return `config invalid: ${s.state.messages.join('; ') || 'no valid config'}`;
    return 'controller disabled (buckets.LT.band_drift.enabled: false)';
  }

  // ---- fills and order state from the ledger ----------------------------------------------------------------

  /** Moves working intents to FILLED (or CANCELED) from what the ledger has recorded. Inside a transaction. */
  private syncFills(at: number): string[] {
    const working = this.store.open().filter((r) => WORKING_STATUSES.includes(r.status));
    if (working.length === 0) return [];
    const ids = working.map((r) => r.id);
    const filled = this.ledger.filledQty(ids);
    const closed = this.ledger.closedOrders(ids);
    const changed: string[] = [];
    for (const r of working) {
      const f = filled.get(r.id) ?? 0;
      if (f >= r.qty) {
        if (this.store.transition(r.id, r.status, 'FILLED', 'engine', `filled ${f} of ${r.qty}`, at)) changed.push(r.id);
      } else if (closed.has(r.id)) {
        const why = `order ${r.order_id ?? ''} ${closed.get(r.id)} by execution after ${f} of ${r.qty} filled`;
        // The execution side closed it: the paper order must not fill later (no event back: it came from there).
        if (r.order_id) this.broker.cancel([{ intentId: r.id, orderId: r.order_id }], at, { reason: why, notify: false });
        if (this.store.transition(r.id, r.status, 'CANCELED', 'engine', why, at)) changed.push(r.id);
      }
    }
    return changed;
  }

  /**
   * Approved orders are DAY orders: a working order whose trading day has closed (account.market_close in the
   * account time zone) is canceled at the broker and its intent CANCELED ("day order ended"). Inside a transaction.
   */
  private endDayOrders(at: number): string[] {
    const working = this.store.open().filter((r) => WORKING_STATUSES.includes(r.status));
    const due = working.filter((r) => at >= this.closeOf(r.trading_date));
    if (due.length === 0) return [];
    const filled = this.ledger.filledQty(due.map((r) => r.id));
    const changed: string[] = [];
    for (const r of due) {
      const f = filled.get(r.id) ?? 0;
      if (f >= r.qty) {
        if (this.store.transition(r.id, r.status, 'FILLED', 'engine', `filled ${f} of ${r.qty}`, at)) changed.push(r.id);
        continue;
      }
      const closedAt = this.closeOf(r.trading_date);
      const why = `day order ended at the close (${this.closeTime(r.trading_date)} ${this.zone}) of ${r.trading_date}; filled ${f} of ${r.qty}`;
      if (r.order_id) this.broker.cancel([{ intentId: r.id, orderId: r.order_id }], closedAt, { reason: why, notify: true });
      if (this.store.transition(r.id, r.status, 'CANCELED', 'engine', why, Math.max(closedAt, r.updated_at))) changed.push(r.id);
    }
    return changed;
  }

  /** Is there a PENDING intent of an earlier day, or a working order past its close? (Cheap: read paths ask.) */
  private untidy(now: number): boolean {
    const today = tradingDateOf(now, this.zone);
    for (const r of this.store.openUpTo(today)) {
      if (r.status === 'PENDING' ? r.trading_date < today : now >= this.closeOf(r.trading_date)) return true;
    }
    return false;
  }

  /**
   * Expiry and day-order ends at `now`. Every read path runs it (the queue, status counts, the console, the CLI),
   * not only evaluate, approve and reject, so nothing of an earlier day is ever shown as PENDING or WORKING.
   */
  tidy(now = this.now()): string[] {
    if (!this.untidy(now)) return [];
    let changed: string[];
    this.ledger.run();
    try {
      changed = this.db
        .transaction(() => [...this.expire(tradingDateOf(now, this.zone), now), ...this.syncFills(now), ...this.endDayOrders(now)])
        .immediate();
    } catch (e) {
      this.invalidate();
      throw e;
    }
    if (changed.length) this.events.emit('intents:changed', { ids: changed });
    return changed;
  }

  private expire(today: string, at: number): string[] {
    const out: string[] = [];
    for (const r of this.store.stalePending(today)) {
      if (this.store.transition(r.id, 'PENDING', 'EXPIRED', 'engine', `end of trading day ${r.trading_date}`, at)) {
        out.push(r.id);
      }
    }
    return out;
  }

  private openIntents(workingOnly = false): OpenIntent[] {
    const open = this.store.open().filter((r) => !workingOnly || r.status !== 'PENDING');
    const working = open.filter((r) => r.status !== 'PENDING').map((r) => r.id);
    const filled = working.length ? this.ledger.filledQty(working) : new Map<string, number>();
    return open.map((r) => ({
      symbol: r.symbol,
      classification: r.classification,
      remainingQty: r.qty - (filled.get(r.id) ?? 0),
      band: r.kind === 'BAND',
      fallbackPriceMicro: r.tick_micro ?? r.limit_micro,
    }));
  }

  // ---- the cycle --------------------------------------------------------------------------------------------

  /** Applies the ledger's log and syncs intent fills (CLI commands and cycles call this first). */
  sync(now = this.now()): string[] {
    this.ledger.run();
    const changed = this.db.transaction(() => this.syncFills(now))();
    if (changed.length) this.events.emit('intents:changed', { ids: changed });
    return changed;
  }

  /** One engine cycle at `asOf` over the ticks in the database (SPEC §4–§6). */
  evaluate(asOf = this.now()): EvaluateResult {
    this.ledger.run();
    let result: EvaluateResult;
    try {
      result = this.db.transaction(() => this.evaluateTx(asOf)).immediate();
    } catch (e) {
      this.invalidate();
      throw e;
    }
    const changed = [...result.expired, ...result.superseded, ...result.filled];
    if (changed.length) this.events.emit('intents:changed', { ids: changed });
    if (result.intents.length) {
      this.events.emit('intents:new', { ids: result.intents.map((i) => i.id), count: result.intents.length });
    }
    this.emitStatus(asOf);
    return result;
  }

  private evaluateTx(at: number): EvaluateResult {
    const s = this.snapshot(at);
    const band = s.cfg.buckets.LT.band_drift;
    const today = tradingDateOf(at, s.cal.timezone);
    const expired = this.expire(today, at);
    const filled = [...this.syncFills(at), ...this.endDayOrders(at)];
    const v = violationOf(s.measure, band);
    const violated = isViolated(v);
    let ep = openEpisode(this.db);
    let days = 0;
    if (violated) {
      if (!ep) {
        const desc = [v.long ? `long ${v.long}` : '', v.short ? `short ${v.short}` : ''].filter(Boolean).join(', ');
        ep = startEpisode(this.db, at, today, desc);
      }
      days = daysInViolation(ep.start_date, today, s.cal);
    } else if (ep) {
      endEpisode(this.db, ep.id, at, today);
      ep = undefined;
    }
    const status = this.bandStatus(s, violated, days);
    const log: string[] = [];
    const superseded: string[] = [];
    if (!violated) {
      const why =
        s.measure.long_pct === null
          ? 'LT bucket has no exposure'
          : `band back in range: LT long ${pct1(s.measure.long_pct)}, short ${pct1(s.measure.short_pct)}`;
      for (const r of this.store.open()) {
        if (r.status === 'PENDING' && r.kind === 'BAND' && this.store.transition(r.id, 'PENDING', 'SUPERSEDED', 'engine', why, at)) {
          superseded.push(r.id);
        }
      }
    }
    const created: EvaluateIntent[] = [];
    const row = violated ? decidingRow(s.measure, band) : null;
    if (status === 'CORRECTING' && !isTradingDay(today, s.cal)) {
      log.push(`${today} is not a trading day: no intents`);
    } else if (status === 'CORRECTING') {
      const proposal = proposeIntents({
        positions: s.positions,
        ticks: s.ticks,
        measure: s.measure,
        cfg: band,
        equity: s.cfg.account.equity,
        hardCapPct: s.cfg.global.hard_cap_gross_pct,
        open: this.openIntents(),
        days,
      });
      log.push(...proposal.log);
      const ids = nextIntentIds(this.db, proposal.intents.length, at);
      proposal.intents.forEach((p, i) => {
        const rec: IntentRecord = {
          id: ids[i],
          kind: 'BAND',
          created_at: at,
          updated_at: at,
          trading_date: today,
          bucket: 'LT',
          symbol: p.symbol,
          classification: p.classification,
          side: p.side,
          qty: p.qty,
          order_type: p.order_type,
          limit_micro: p.limitMicro,
          tick_micro: p.tickMicro,
          pnl_pct: p.pnlPct,
          priority: p.priority,
          reason: p.reason,
          status: 'PENDING',
          order_id: null,
          episode_id: ep?.id ?? null,
        };
        this.store.insert(rec, 'engine', p.reason);
        created.push({
          id: rec.id,
          symbol: p.symbol,
          classification: p.classification,
          side: p.side,
          qty: p.qty,
          order_type: p.order_type,
          limit_price: p.limitMicro === null ? null : p.limitMicro / 1e6,
          priority: p.priority,
          reason: p.reason,
        });
      });
      if (created.length) {
        log.unshift(
          `proposed ${created.length} ${proposal.classification}: ${created.map((c) => `${c.side} ${c.qty} ${c.symbol}`).join(', ')}`,
        );
      } else if (proposal.log.length === 0) {
        log.push('no intent proposed');
      }
    }
    if (s.stale.length) log.push(`stale prices: ${staleText(s.stale, this.zone)}`);
    if (expired.length) log.push(`expired ${expired.length}`);
    if (superseded.length) log.push(`superseded ${superseded.length}`);
    if (filled.length) log.push(`filled or closed ${filled.length}`);

    const prevMode = getState(this.db, MODE_KEY);
    if (prevMode !== s.mode) {
      if (prevMode) log.unshift(`mode ${prevMode} -> ${s.mode}`);
      setState(this.db, MODE_KEY, s.mode);
    }
    if (s.state.valid && s.state.config) rememberConfig(this.db, s.state.config);

    const head =
      status === 'SUSPENDED'
        ? `SUSPENDED: ${this.suspendedWhy(s)}`
        : status === 'NO_EXPOSURE'
          ? 'NO_EXPOSURE: LT gross is 0'
          : status === 'IN_BAND'
            ? `IN_BAND: LT long ${pct1(s.measure.long_pct)}, short ${pct1(s.measure.short_pct)}`
            : `${status}: ${row ? `LT ${row.measure} ${row.pct.toFixed(1)}% ${row.breach === 'HIGH' ? '>' : '<'} ${row.bound.toFixed(1)}%` : ''}, day ${days} of tolerance ${band.tolerance_days}`;
    const message = [`${head}; gross ${pct1(s.measure.gross_pct)}`, ...log].join('; ');
    this.st.history.run(at, s.measure.long_pct, s.measure.short_pct, s.measure.gross_pct, status, s.mode);
    this.st.cycle.run(at, s.mode, status, message);
    return {
      mode: s.mode,
      status,
      long_pct: s.measure.long_pct,
      short_pct: s.measure.short_pct,
      gross_pct: s.measure.gross_pct,
      days_in_violation: days,
      intents: created,
      at,
      trading_date: today,
      expired,
      superseded,
      filled,
      message,
      stale_prices: s.stale.map((x) => x.symbol),
    };
  }

  /** A full timed cycle: move prices, let the broker fill, apply the ledger, evaluate. */
  cycle(now = this.now()): EvaluateResult {
    const genBefore = this.st.tickGen ? (this.st.tickGen.get() as number) : null;
    const moved = this.prices.advance?.(this.db, now) ?? [];
    this.patchTicks(genBefore, moved);
    // Day orders past their close end before the broker looks at the new ticks.
    this.tidy(now);
    let fills = 0;
    let lastTs: number | null = null;
    if (!this.haltInfo() && this.broker.run) {
      // The broker fills against the book as it stands, fills from outside included.
      this.ledger.run();
      const r = this.broker.run(now, moved.length ? new Set(moved.map((t) => t.symbol)) : undefined, this.positionOf());
      fills = r.fills;
      lastTs = r.lastTs;
    }
    const result = this.evaluate(now);
    if (fills) {
      this.events.emit('fills', { count: fills, date: tradingDateOf(lastTs ?? now, this.zone) });
    }
    return result;
  }

  /** Sets ticks in order (a CSV may hold a series), letting the paper broker fill after each, then the ledger. */
  applyTicks(rows: readonly TickRow[], now = this.now()): ApplyTicksResult {
    let fills = 0;
    const filledIntents: string[] = [];
    let lastTs: number | null = null;
    const halted = this.haltInfo() !== null;
    const ended: string[] = [];
    this.ledger.run();
    // The fills of earlier rows are in the ledger's log but not yet in positions: count them in.
    const moved = new Map<string, number>();
    const base = this.positionOf();
    const position: PositionOf = (bucket, symbol) => base(bucket, symbol) + (moved.get(`${bucket}\u0000${symbol}`) ?? 0);
    try {
      this.db.transaction(() => {
        for (const row of rows) {
          setTicks(this.db, [row]);
          // A tick after the close of an order's day finds that order ended, not fillable.
          ended.push(...this.endDayOrders(row.ts));
          if (!halted && this.broker.run) {
            const r = this.broker.run(Math.max(now, row.ts), new Set([row.symbol]), position);
            for (const m of r.moved) moved.set(`${m.bucket}\u0000${m.symbol}`, (moved.get(`${m.bucket}\u0000${m.symbol}`) ?? 0) + m.qty);
            fills += r.fills;
            filledIntents.push(...r.intentIds);
            if (r.lastTs !== null) lastTs = Math.max(lastTs ?? r.lastTs, r.lastTs);
          }
        }
      })();
    } catch (e) {
      this.invalidate();
      throw e;
    }
    if (ended.length) this.events.emit('intents:changed', { ids: ended });
    this.sync(now);
    this.tidy(now);
    if (fills) {
      this.events.emit('fills', { count: fills, date: tradingDateOf(lastTs ?? now, this.zone) });
    }
    this.emitStatus(now);
    return { ticks: rows.length, fills, filled_intents: filledIntents };
  }

  /** The position of a bucket and symbol as the ledger has it (signed qty). */
  private positionOf(): PositionOf {
    return (bucket, symbol) => (this.st.position.get(bucket, symbol) as number | undefined) ?? 0;
  }

  // ---- status -----------------------------------------------------------------------------------------------

  status(now = this.now()): AppStatus {
    this.tidy(now);
    const s = this.snapshot(now);
    const band = s.cfg.buckets.LT.band_drift;
    const violated = isViolated(violationOf(s.measure, band));
    let days = 0;
    if (violated) {
      const ep = openEpisode(this.db);
      days = ep ? daysInViolation(ep.start_date, tradingDateOf(now, s.cal.timezone), s.cal) : 1;
    }
    return {
      mode: s.mode,
      status: this.bandStatus(s, violated, days),
      long_pct: s.measure.long_pct,
      short_pct: s.measure.short_pct,
      gross_pct: s.measure.gross_pct,
      equity: s.cfg.account.equity,
      hard_cap_gross_pct: s.cfg.global.hard_cap_gross_pct,
      days_in_violation: days,
      long_pct_range: [band.long_pct_range[0], band.long_pct_range[1]],
      short_pct_range: [band.short_pct_range[0], band.short_pct_range[1]],
      tolerance_days: band.tolerance_days,
      price_source: this.prices.name,
      stream: { ...this.stream },
      timezone: s.cal.timezone,
      now,
      config: {
        valid: s.state.valid,
        messages: [...s.state.messages],
        file: s.state.file ?? null,
        in_force: s.state.config === null ? 'none' : s.state.valid ? 'file' : 'last-valid',
      },
      pending_intents: this.store.countPending(),
      working_intents: this.store.countWorking(),
      orders_held: s.mode === 'HALTED' ? this.heldOrders() : 0,
      stale_prices: s.stale.map((x) => x.symbol),
      market_close: this.closeTime(tradingDateOf(now, this.zone)),
      calendar: {
        exchange: s.cal.exchange ?? null,
        holidays: [...s.cal.holidays],
        open_dates: [...(s.cal.openDates ?? [])],
        early_closes: { ...(s.cal.earlyCloses ?? {}) },
      },
      demo: !!getState(this.db, 'demo_loaded_at'),
      integrity: { ...this.integrity },
      last_cycle_at: (this.st.lastCycle.get() as number | undefined) ?? null,
    };
  }

  private emitStatus(now = this.now()): void {
    if (!this.events.has('status')) return;
    try {
      this.events.emit('status', this.status(now));
    } catch {
      // status is best effort for listeners (e.g. the database is closing)
    }
  }

  halt(actor = this.actor, reason = '', now = this.now()): AppStatus {
    const info: HaltInfo = { at: now, actor, reason };
    this.db.transaction(() => {
      setState(this.db, HALT_KEY, JSON.stringify(info));
      const s = this.snapshot();
      this.st.cycle.run(now, 'HALTED', 'SUSPENDED', `HALTED by ${actor}${reason ? `: ${reason}` : ''}; nothing is proposed and no order is sent`);
      setState(this.db, MODE_KEY, s.mode);
    })();
    const st = this.status(now);
    this.events.emit('status', st);
    return st;
  }

  resume(actor = this.actor, now = this.now()): AppStatus {
    const changed: string[] = [];
    this.ledger.run();
    this.db.transaction(() => {
      if (!this.haltInfo()) return;
      // Orders held by the HALT go out now only if still valid: their intent still WORKING and its day not closed.
      changed.push(...this.expire(tradingDateOf(now, this.zone), now), ...this.syncFills(now), ...this.endDayOrders(now));
      if (this.st.hasOutbox) {
        for (const q of queuedOrders(this.db)) {
          const rec = this.store.get(q.intent_id);
          if (rec && WORKING_STATUSES.includes(rec.status)) continue;
          dropQueued(this.db, q.id, `not published after the HALT: intent ${q.intent_id} is ${rec?.status ?? 'unknown'}`, now);
        }
      }
      setState(this.db, HALT_KEY, '');
      const s = this.snapshot();
      this.st.cycle.run(now, s.mode, s.mode === 'NORMAL' ? 'IN_BAND' : 'SUSPENDED', `resumed by ${actor}; mode ${s.mode}`);
      setState(this.db, MODE_KEY, s.mode);
    })();
    if (changed.length) this.events.emit('intents:changed', { ids: changed });
    const st = this.status(now);
    this.events.emit('status', st);
    return st;
  }

  /** Orders the kill switch holds back: queued for the execution service, or paper orders that may not fill. */
  private heldOrders(): number {
    const queued = this.st.hasOutbox ? outboxHeld(this.db) : 0;
    return this.broker.name === 'paper' ? queued + this.store.countWorking() : queued;
  }

  isHalted(): boolean {
    return this.haltInfo() !== null;
  }

  // ---- lifecycle: approve / reject --------------------------------------------------------------------------

  /**
   * Approves each intent independently (SPEC §6): PENDING → APPROVED → WORKING with an order at the broker.
   * Idempotent (an intent already approved, working or filled sends no second order); REJECTED / EXPIRED /
   * SUPERSEDED / CANCELED are refused with their state; an increase is refused if, at this moment's ticks, gross
   * plus every working increase plus it would pass the hard cap; nothing is sent while HALTED.
   */
  approve(ids: readonly string[], actor = this.actor, now = this.now()): IntentOutcome[] {
    if (ids.length === 0) return [];
    this.ledger.run();
    let outcomes: IntentOutcome[];
    const changed: string[] = [];
    try {
      outcomes = this.db.transaction(() => this.approveTx(ids, actor, now, changed)).immediate();
    } catch (e) {
      this.invalidate();
      const msg = `internal error, nothing approved: ${(e as Error).message}`;
      changed.length = 0;
      outcomes = ids.map((id) => ({ id, ok: false, status: this.store.get(id)?.status ?? null, message: msg }));
    }
    if (changed.length) {
      this.events.emit('intents:changed', { ids: changed });
      this.emitStatus(now);
    }
    return outcomes;
  }

  private approveTx(ids: readonly string[], actor: string, now: number, changed: string[]): IntentOutcome[] {
    const today = tradingDateOf(now, this.zone);
    // What happened since the intents were proposed is settled first: stale ones expire, fills and external
    // cancels are synced, day orders past their close end.
    changed.push(...this.expire(today, now), ...this.syncFills(now), ...this.endDayOrders(now));
    const s = this.snapshot(now);
    const band = s.cfg.buckets.LT.band_drift;
    const lot = band.lot_size;
    const violation = violationOf(s.measure, band);
    const inDirection = actionsOf(violation);
    const closeAt = this.closeOf(today);
    // Working increases count against the cap; PENDING ones are not committed and do not.
    const committed = this.openIntents(true);
    let used = s.measure.globalGrossMicro + openIncreaseGross(committed, s.prices);
    // What each position still has to give: its size less what working decreases of it will take.
    const held = new Map<string, number>();
    for (const p of s.positions) held.set(`${p.bucket}\u0000${p.symbol}`, p.qty);
    const reserved = new Map<string, number>();
    for (const r of this.store.open()) {
      if (!WORKING_STATUSES.includes(r.status) || parseClassification(r.classification).effect !== 'DECREASE') continue;
      const k = `${r.bucket}\u0000${r.symbol}`;
      const left = r.qty - (this.ledger.filledQty([r.id]).get(r.id) ?? 0);
      reserved.set(k, (reserved.get(k) ?? 0) + Math.max(0, left));
    }
    const outcomes = new Map<number, IntentOutcome>();
    const toPlace: { idx: number; rec: IntentRecord }[] = [];
    const clamped = new Map<string, string>();
    const supersede = (idx: number, rec: IntentRecord, why: string) => {
      if (this.store.transition(rec.id, 'PENDING', 'SUPERSEDED', 'engine', why, now)) changed.push(rec.id);
      outcomes.set(idx, { id: rec.id, ok: false, status: 'SUPERSEDED', message: `not approved: ${why}; intent ${rec.id} is SUPERSEDED` });
    };
    ids.forEach((id, idx) => {
      let rec = this.store.get(id);
      if (!rec) {
        outcomes.set(idx, { id, ok: false, status: null, message: `no intent ${id}` });
        return;
      }
      if (rec.status === 'PENDING' && rec.trading_date < today) {
        if (this.store.transition(id, 'PENDING', 'EXPIRED', 'engine', `end of trading day ${rec.trading_date}`, now)) {
          changed.push(id);
        }
        rec = this.store.get(id) as IntentRecord;
      }
      const st = rec.status;
      if (st === 'APPROVED' || st === 'WORKING' || st === 'FILLED') {
        outcomes.set(idx, { id, ok: true, status: st, message: `intent ${id} is already ${st}; no second order sent` });
        return;
      }
      if (st !== 'PENDING') {
        const extra = st === 'EXPIRED' ? ` (its trading day ${rec.trading_date} ended)` : '';
        outcomes.set(idx, { id, ok: false, status: st, message: `intent ${id} is ${st}${extra}; cannot approve` });
        return;
      }
      if (!s.usable) {
        outcomes.set(idx, {
          id,
          ok: false,
          status: st,
          message: `config invalid: ${s.state.messages.join('; ') || 'no valid config'}; nothing is approved until it is valid (intent ${id} stays PENDING)`,
        });
        return;
      }
      if (s.mode === 'HALTED') {
        outcomes.set(idx, {
          id,
          ok: false,
          status: st,
          message: `engine is HALTED: no order is sent; intent ${id} stays PENDING (resume first)`,
        });
        return;
      }
      if (now >= closeAt) {
        outcomes.set(idx, {
          id,
          ok: false,
          status: st,
          message: `the market closed at ${this.closeTime(today)} ${this.zone}: a day order approved now would end at once; intent ${id} stays PENDING until its day ends`,
        });
        return;
      }
      // The band must still be out in this intent's direction.
      if (rec.kind === 'BAND' && !inDirection.has(rec.classification)) {
        const now_ = `LT long ${pct1(s.measure.long_pct)}, short ${pct1(s.measure.short_pct)}`;
        supersede(idx, rec, isViolated(violation) ? `the band is now out the other way (${now_})` : `the band is back in range (${now_})`);
        return;
      }
      const c = parseClassification(rec.classification);
      const key = `${rec.bucket}\u0000${rec.symbol}`;
      const qty = held.get(key) ?? 0;
      const side = c.direction === 'LONG' ? 1 : -1;
      const now_ = qty === 0 ? 'flat' : `${qty > 0 ? 'long' : 'short'} ${Math.abs(qty)}`;
      if (c.effect === 'DECREASE') {
        // A decrease never exceeds the position it decreases, and never flips it.
        if (qty === 0 || Math.sign(qty) !== side) {
          supersede(idx, rec, `${rec.bucket} ${rec.symbol} is ${now_} now: a ${c.direction} decrease has nothing to decrease`);
          return;
        }
        const busy = reserved.get(key) ?? 0;
        const free = Math.max(0, Math.abs(qty) - busy);
        // Rounded down to lots; a position under one lot may still be closed whole (the controller sizes it so).
        const lots = Math.floor(free / lot) * lot;
        const fits = rec.qty <= free ? rec.qty : lots > 0 ? lots : free === Math.abs(qty) ? free : 0;
        if (fits <= 0) {
          outcomes.set(idx, {
            id,
            ok: false,
            status: st,
            message: `${rec.bucket} ${rec.symbol} is ${now_}, ${busy} of it in working decreases: ${free} left, less than a lot of ${lot}; intent ${id} stays PENDING`,
          });
          return;
        }
        if (fits < rec.qty) {
          const why = `qty clamped from ${rec.qty} to ${fits} at approval: ${rec.bucket} ${rec.symbol} is ${Math.abs(qty)} now${
            reserved.get(key) ? ` (${reserved.get(key)} already in working decreases)` : ''
          }, lot ${lot}`;
          this.store.clampQty(id, fits, 'engine', why, now);
          clamped.set(id, why);
          rec = { ...rec, qty: fits };
        }
        reserved.set(key, (reserved.get(key) ?? 0) + rec.qty);
      } else {
        // An increase adds to its own side only: on a position now on the other side it would go through zero.
        if (qty !== 0 && Math.sign(qty) !== side) {
          supersede(idx, rec, `${rec.bucket} ${rec.symbol} is ${now_} now: a ${c.direction} increase would go through zero`);
          return;
        }
        const tick = s.ticks.get(rec.symbol);
        if (tick === undefined) {
          outcomes.set(idx, {
            id,
            ok: false,
            status: st,
            message: `no truth tick for ${rec.symbol}: cannot check the hard cap; intent ${id} stays PENDING`,
          });
          return;
        }
        const adds = BigInt(rec.qty) * BigInt(tick);
        if (used + adds > s.cap) {
          const eq = BigInt(Math.round(s.cfg.account.equity * 1e6));
          const pct = pctOf(used + adds, eq);
          outcomes.set(idx, {
            id,
            ok: false,
            status: st,
            message:
              `hard cap: approving ${id} would take gross to ${pct.toFixed(2)}% > ${s.cfg.global.hard_cap_gross_pct.toFixed(1)}% ` +
              `at current ticks; it stays PENDING`,
          });
          return;
        }
        used += adds;
      }
      this.store.transition(id, 'PENDING', 'APPROVED', actor, 'approved', now);
      changed.push(id);
      toPlace.push({ idx, rec });
    });
    if (toPlace.length) {
      const reqs: OrderRequest[] = toPlace.map(({ rec }) => ({
        intentId: rec.id,
        symbol: rec.symbol,
        classification: rec.classification,
        side: rec.side,
        qty: rec.qty,
        orderType: rec.order_type,
        limitMicro: rec.limit_micro,
      }));
      const orderIds = this.broker.place(reqs, now);
      toPlace.forEach(({ idx, rec }, i) => {
        this.store.setOrderId(rec.id, orderIds[i]);
        this.store.transition(rec.id, 'APPROVED', 'WORKING', 'engine', `order ${orderIds[i]} sent to ${this.broker.name}`, now);
        const note = clamped.has(rec.id) ? ` (${clamped.get(rec.id)})` : '';
        outcomes.set(idx, { id: rec.id, ok: true, status: 'WORKING', message: `approved${note}; order ${orderIds[i]} working at ${this.broker.name}` });
      });
    }
    return ids.map((_, i) => outcomes.get(i) as IntentOutcome);
  }

  /** Rejects each PENDING intent independently, with the reason in the audit. */
  reject(ids: readonly string[], actor = this.actor, reason = 'rejected', now = this.now()): IntentOutcome[] {
    if (ids.length === 0) return [];
    const changed: string[] = [];
    const why = reason.trim() || 'rejected';
    const outcomes = this.db
      .transaction(() => {
        const today = tradingDateOf(now, this.zone);
        return ids.map((id): IntentOutcome => {
          let rec = this.store.get(id);
          if (!rec) return { id, ok: false, status: null, message: `no intent ${id}` };
          if (rec.status === 'PENDING' && rec.trading_date < today) {
            if (this.store.transition(id, 'PENDING', 'EXPIRED', 'engine', `end of trading day ${rec.trading_date}`, now)) {
              changed.push(id);
            }
            rec = this.store.get(id) as IntentRecord;
          }
          if (rec.status === 'REJECTED') return { id, ok: true, status: 'REJECTED', message: `intent ${id} is already REJECTED` };
          if (rec.status !== 'PENDING') {
            return { id, ok: false, status: rec.status, message: `intent ${id} is ${rec.status}; only a PENDING intent can be rejected` };
          }
          this.store.transition(id, 'PENDING', 'REJECTED', actor, why, now);
          changed.push(id);
          return { id, ok: true, status: 'REJECTED', message: `rejected: ${why}` };
        });
      })
      .immediate();
    if (changed.length) {
      this.events.emit('intents:changed', { ids: changed });
      this.emitStatus(now);
    }
    return outcomes;
  }

  /**
   * Cancels working orders (APPROVED / WORKING intents) at the broker, each independently, with the reason in the
   * audit: `ids`, or every working one with 'all'. A PENDING intent is rejected, not canceled.
   */
  cancel(ids: readonly string[] | 'all', actor = this.actor, reason = 'canceled', now = this.now()): IntentOutcome[] {
    const changed: string[] = [];
    const why = reason.trim() || 'canceled';
    this.ledger.run();
    let outcomes: IntentOutcome[];
    try {
      outcomes = this.db
        .transaction(() => {
          changed.push(...this.syncFills(now), ...this.endDayOrders(now));
          const targets = ids === 'all' ? this.store.open().filter((r) => WORKING_STATUSES.includes(r.status)).map((r) => r.id) : ids;
          const filled = this.ledger.filledQty([...targets]);
          return targets.map((id): IntentOutcome => {
            const rec = this.store.get(id);
            if (!rec) return { id, ok: false, status: null, message: `no intent ${id}` };
            if (rec.status === 'CANCELED') return { id, ok: true, status: 'CANCELED', message: `intent ${id} is already CANCELED` };
            if (rec.status === 'PENDING') {
              return { id, ok: false, status: 'PENDING', message: `intent ${id} is PENDING: no order to cancel (reject it instead)` };
            }
            if (!WORKING_STATUSES.includes(rec.status)) {
              return { id, ok: false, status: rec.status, message: `intent ${id} is ${rec.status}; nothing to cancel` };
            }
            const f = filled.get(id) ?? 0;
            const text = `canceled by ${actor}: ${why}; filled ${f} of ${rec.qty}`;
            if (rec.order_id) this.broker.cancel([{ intentId: id, orderId: rec.order_id }], now, { reason: text, notify: true });
            this.store.transition(id, rec.status, 'CANCELED', actor, text, now);
            changed.push(id);
            return { id, ok: true, status: 'CANCELED', message: text };
          });
        })
        .immediate();
    } catch (e) {
      this.invalidate();
      throw e;
    }
    if (changed.length) {
      this.events.emit('intents:changed', { ids: changed });
      this.emitStatus(now);
    }
    return outcomes;
  }

  // ---- queries for the console ------------------------------------------------------------------------------

  listIntents(status: IntentStatus | 'OPEN' | 'ALL' = 'PENDING', limit = 10_000, now = this.now()): IntentView[] {
    this.tidy(now);
    const recs = this.store.list(status, limit);
    if (recs.length === 0) return [];
    const ticks = this.readTicks();
    const pos = new Map<string, BookPosition>();
    for (const p of this.readPositions()) if (p.bucket === 'LT') pos.set(p.symbol, p);
    const nonPending = recs.filter((r) => r.status !== 'PENDING').map((r) => r.id);
    const filled = nonPending.length ? this.ledger.filledQty(nonPending) : new Map<string, number>();
    return recs.map((r) => {
      const tick = ticks.get(r.symbol);
      const p = pos.get(r.symbol);
      const pnl = p && tick !== undefined ? pnlPct(p.qty, p.costMicro, tick) : null;
      return {
        id: r.id,
        created_at: r.created_at,
        updated_at: r.updated_at,
        trading_date: r.trading_date,
        symbol: r.symbol,
        classification: r.classification,
        side: r.side,
        qty: r.qty,
        order_type: r.order_type,
        limit_price: r.limit_micro === null ? null : r.limit_micro / 1e6,
        priority: r.priority,
        reason: r.reason,
        status: r.status,
        tick: tick === undefined ? null : tick / 1e6,
        pnl_pct: pnl === null || !Number.isFinite(pnl) ? null : Math.round(pnl * 100) / 100,
        filled_qty: filled.get(r.id) ?? 0,
      };
    });
  }

  audit(intentId?: string, limit = 500): AuditRow[] {
    return this.store.audit(intentId, limit);
  }

  /** The band after the selected intents fill (exposure at truth ticks). */
  preview(ids: readonly string[]): BandPreview {
    const cfg = this.effectiveConfig();
    const positions = this.readPositions();
    const index = new Map<string, BookPosition>();
    const book = positions.map((p) => {
      const c = { ...p };
      index.set(`${p.bucket}\u0000${p.symbol}`, c);
      return c;
    });
    for (const id of new Set(ids)) {
      const r = this.store.get(id);
      if (!r || !OPEN_STATUSES.includes(r.status)) continue;
      const key = `${r.bucket}\u0000${r.symbol}`;
      let p = index.get(key);
      if (!p) {
        p = { bucket: r.bucket, symbol: r.symbol, qty: 0, costMicro: 0 };
        index.set(key, p);
        book.push(p);
      }
      p.qty += r.side === 'BUY' ? r.qty : -r.qty;
    }
    const m = measureBand(book, this.snapshot().prices, cfg.account.equity);
    return { long_pct: m.long_pct, short_pct: m.short_pct, gross_pct: m.gross_pct };
  }

  bandHistory(range: '1D' | '1W' | '1M' | 'ALL' = '1D', maxPoints = 1500, now = this.now()): BandPoint[] {
    const span = RANGE_MS[range];
    const from = span === Infinity ? -8.64e15 : now - span;
    const rows = this.st.historySince.all(from) as BandPoint[];
    return lttb(rows, Math.max(3, maxPoints), (p) => p.ts, (p) => p.long_pct ?? 0);
  }

  cycles(limit = 100): CycleLogRow[] {
    return this.st.cycles.all(limit) as CycleLogRow[];
  }

  // ---- the timer --------------------------------------------------------------------------------------------

  /** Runs a cycle now and then every engine.cycle_seconds (re-read each time) until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.cycle();
      } catch (e) {
        try {
          this.st.cycle.run(this.now(), 'NORMAL', 'SUSPENDED', `cycle failed: ${(e as Error).message}`);
        } catch {
          // the database is gone; the next cycle will tell
        }
      }
      this.schedule(this.effectiveConfig().engine.cycle_seconds * 1000);
    }, delayMs);
    this.timer.unref?.();
  }

  /** Epoch ms when PENDING intents of a trading date expire. */
  expiresAt(tradingDate: string): number {
    return endOfDateEpoch(tradingDate, this.zone);
  }
}
