// The Decision Engine (docs/spec.md §4–§7): cycles every engine.cycle_seconds and on demand; mode NORMAL / DERISK
// (automatic while gross is over the hard cap) / HALTED (the persisted kill switch); runs the LT Band Drift
// Controller only in NORMAL with a valid config; owns the intent lifecycle with its append-only audit, turns
// approvals into orders through a broker, and keeps a cycle log and the band history for the console.
//
// This class is the facade: the work is done by plain functions over one EngineContext, in book-cache (the
// in-memory book, ticks and remembered config), snapshot (the book as one read sees it), lifecycle (expiry, fills,
// day-order ends), evaluate and cycle (the cycle), approvals (approve / reject / cancel), status (status and the
// kill switch), views (the console's read models) and timer.
import { now as clockNow } from '../clock';
import { osUser } from '../os-user';
import type { IntentStatus } from '../../../shared/domain';
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
import { PaperBroker, type Broker } from '../execution/broker';
import { embeddedLedger, type LedgerLink } from '../execution/ledger-link';
import type { TickRow } from '../prices/ticks';
import { staticPrices, type PriceSource } from '../prices/source';
import { bookZone } from '../store/book-zone';
import type { Db } from '../store/db';
import { approve, cancel, reject } from './approvals';
import { BookCache } from './book-cache';
import type { ConfigStateLike } from './config';
import { prepareStatements, type EngineContext, type EngineEvents } from './context';
import { applyTicks, cycle, type ApplyTicksResult } from './cycle';
import { Emitter } from './emitter';
import { evaluate, type EvaluateResult } from './evaluate';
import { sync, tidy } from './tidy';
import { closeOf, closeTime, haltInfo, openOf, sessionNow } from './snapshot';
import type { SessionInfo } from '../../../shared/session';
import { emitStatus, halt, resume, status } from './status';
import { IntentStore } from './store';
import { CycleTimer } from './timer';
import { bandHistory, cycles, listIntents, preview } from './views';

export { evaluateJson, type EvaluateResult } from './evaluate';

interface EngineOptions {
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

export class Engine {
  readonly db: Db;
  readonly store: IntentStore;
  readonly prices: PriceSource;
  readonly broker: Broker;
  readonly ledger: LedgerLink;
  readonly actor: string;
  /** The book's account time zone: every trading date here is a date in it. */
  readonly zone: string;
  private readonly ctx: EngineContext;
  private readonly timer: CycleTimer;

  constructor(opts: EngineOptions) {
    this.db = opts.db;
    this.actor = opts.actor ?? osUser();
    this.prices = opts.prices ?? staticPrices;
    this.store = new IntentStore(this.db);
    this.zone = opts.timezone ?? bookZone(this.db, opts.config().config?.account.timezone);
    this.ledger = opts.ledger ?? embeddedLedger(this.db, () => this.zone);
    this.broker = opts.broker ?? new PaperBroker(this.db, this.ledger);
    const stream: StreamStatus = { state: 'off', detail: 'embedded log' };
    const integrity: IntegrityStatus = { state: 'off', detail: 'not checked by this process', at: null, ms: null, unclean_shutdown: false };
    this.ctx = {
      db: this.db,
      store: this.store,
      prices: this.prices,
      broker: this.broker,
      ledger: this.ledger,
      zone: this.zone,
      config: opts.config,
      now: opts.now ?? clockNow,
      events: new Emitter<EngineEvents>(),
      book: new BookCache(this.db, opts.config),
      st: prepareStatements(this.db),
      health: { stream, integrity },
    };
    this.timer = new CycleTimer(this.ctx);
  }

  // ---- events and hooks -------------------------------------------------------------------------------------

  on<K extends keyof EngineEvents>(event: K, cb: (payload: EngineEvents[K]) => void): () => void {
    return this.ctx.events.on(event, cb);
  }

  /** The console's database check reports here; status() shows it. */
  setIntegrity(s: IntegrityStatus): void {
    this.ctx.health.integrity = { ...s };
    emitStatus(this.ctx, this.now());
  }

  /** The Redis bridge reports its connection state here; status() shows it. */
  setStreamStatus(s: StreamStatus): void {
    this.ctx.health.stream = { ...s };
    emitStatus(this.ctx, this.now());
  }

  now(): number {
    return this.ctx.now();
  }

  // ---- reading the book -------------------------------------------------------------------------------------

  /** Forget the in-memory copies (after a rolled-back transaction that may have read uncommitted rows). */
  invalidate(): void {
    this.ctx.book.invalidate();
  }

  /** Epoch ms of the close of a trading date (an early close included): approved orders are DAY orders. */
  closeOf(tradingDate: string): number {
    return closeOf(this.ctx, tradingDate);
  }

  /** HH:MM of the close of a trading date in the account zone. */
  closeTime(tradingDate: string): string {
    return closeTime(this.ctx, tradingDate);
  }

  /** Epoch ms when PENDING and STAGED intents of a trading date's session expire: its close. */
  expiresAt(tradingDate: string): number {
    return closeOf(this.ctx, tradingDate);
  }

  /** Epoch ms of the open of a trading date's session: STAGED intents are released there. */
  opensAt(tradingDate: string): number {
    return openOf(this.ctx, tradingDate);
  }

  /** The phase of an instant and the session orders are for (docs/spec.md §2). */
  session(now = this.now()): SessionInfo {
    return sessionNow(this.ctx, now);
  }

  // ---- expiry, fills and the cycle --------------------------------------------------------------------------

  /**
   * Expiry and day-order ends at `now`. Every read path runs it (the queue, status counts, the console, the CLI),
   * not only evaluate, approve and reject, so nothing of an earlier day is ever shown as PENDING or WORKING.
   */
  tidy(now = this.now()): string[] {
    return tidy(this.ctx, now);
  }

  /** Applies the ledger's log and syncs intent fills (CLI commands and cycles call this first). */
  sync(now = this.now()): string[] {
    return sync(this.ctx, now);
  }

  /** One engine cycle at `asOf` over the ticks in the database (docs/spec.md §4–§6). */
  evaluate(asOf = this.now()): EvaluateResult {
    return evaluate(this.ctx, asOf);
  }

  /** A full timed cycle: move prices, let the broker fill, apply the ledger, evaluate. */
  cycle(now = this.now()): EvaluateResult {
    return cycle(this.ctx, now);
  }

  /** Sets ticks in order (a CSV may hold a series), letting the paper broker fill after each, then the ledger. */
  applyTicks(rows: readonly TickRow[], now = this.now()): ApplyTicksResult {
    return applyTicks(this.ctx, rows, now);
  }

  // ---- status and the kill switch ---------------------------------------------------------------------------

  status(now = this.now()): AppStatus {
    return status(this.ctx, now);
  }

  halt(actor = this.actor, reason = '', now = this.now()): AppStatus {
    return halt(this.ctx, actor, reason, now);
  }

  resume(actor = this.actor, now = this.now()): AppStatus {
    return resume(this.ctx, actor, now);
  }

  isHalted(): boolean {
    return haltInfo(this.ctx) !== null;
  }

  // ---- lifecycle: approve / reject / cancel -----------------------------------------------------------------

  /**
   * Approves each intent independently (docs/spec.md §6): PENDING → APPROVED → WORKING with an order at the broker.
   * Idempotent (an intent already approved, working or filled sends no second order); REJECTED / EXPIRED /
   * SUPERSEDED / CANCELED are refused with their state; an increase is refused if, at this moment's ticks, gross
   * plus every working increase plus it would pass the hard cap; nothing is sent while HALTED.
   */
  approve(ids: readonly string[], actor = this.actor, now = this.now()): IntentOutcome[] {
    return approve(this.ctx, ids, actor, now);
  }

  /** Rejects each PENDING intent independently, with the reason in the audit. */
  reject(ids: readonly string[], actor = this.actor, reason = 'rejected', now = this.now()): IntentOutcome[] {
    return reject(this.ctx, ids, actor, reason, now);
  }

  /**
   * Cancels working orders (APPROVED / WORKING intents) at the broker, each independently, with the reason in the
   * audit: `ids`, or every working one with 'all'. A PENDING intent is rejected, not canceled.
   */
  cancel(ids: readonly string[] | 'all', actor = this.actor, reason = 'canceled', now = this.now()): IntentOutcome[] {
    return cancel(this.ctx, ids, actor, reason, now);
  }

  // ---- queries for the console ------------------------------------------------------------------------------

  listIntents(status: IntentStatus | 'OPEN' | 'ALL' = 'PENDING', limit = 10_000, now = this.now()): IntentView[] {
    return listIntents(this.ctx, status, limit, now);
  }

  audit(intentId?: string, limit = 500): AuditRow[] {
    return this.store.audit(intentId, limit);
  }

  /** The band after the selected intents fill (exposure at truth ticks). */
  preview(ids: readonly string[]): BandPreview {
    return preview(this.ctx, ids);
  }

  bandHistory(range: '1D' | '1W' | '1M' | 'ALL' = '1D', maxPoints = 1500, now = this.now()): BandPoint[] {
    return bandHistory(this.ctx, range, maxPoints, now);
  }

  cycles(limit = 100): CycleLogRow[] {
    return cycles(this.ctx, limit);
  }

  // ---- the timer --------------------------------------------------------------------------------------------

  /** Runs a cycle now and then every engine.cycle_seconds (re-read each time) until stop(). */
  start(): void {
    this.timer.start();
  }

  stop(): void {
    this.timer.stop();
  }
}
