// Shapes that cross the process boundary (IPC and the browser host). Plain data: numbers in dollars or percent
// for display; the books themselves stay in integer micro-units in the main process.
import type { BandStatus, Bucket, Classification, EngineMode, IntentStatus, OrderType, Side } from './domain';
import type { SessionPhase } from './session';

export interface StreamStatus {
  state: 'off' | 'connecting' | 'up' | 'down';
  detail: string;
}

export interface IntegrityStatus {
  state: 'pending' | 'ok' | 'failed' | 'off';
  /** "ok", or SQLite's first problems. */
  detail: string;
  at: number | null;
  ms: number | null;
  /** The previous session of this book did not close cleanly. */
  unclean_shutdown: boolean;
}

export interface AppStatus {
  mode: EngineMode;
  status: BandStatus;
  long_pct: number | null;
  short_pct: number | null;
  gross_pct: number;
  equity: number;
  hard_cap_gross_pct: number;
  days_in_violation: number;
  long_pct_range: [number, number];
  short_pct_range: [number, number];
  tolerance_days: number;
  price_source: string;
  stream: StreamStatus;
  timezone: string;
  /** Epoch ms of the status: the process's clock (BAND_NOW when set), which the header shows, not the browser's. */
  now: number;
  /** Where the process's time comes from: the system clock, or BAND_NOW (flowing from its instant, or frozen). */
  clock: { source: 'system' | 'BAND_NOW'; frozen: boolean };
  /** The phase of `now` (docs/spec.md §2) and the session intents are for: the one open now, else the next one. */
  session: SessionView;
  /**
   * `valid`: the file on disk is valid. `in_force`: which config runs: `file` (the valid file), `last-valid` (the
   * file became invalid while running: the last valid one stays in force, the controller is suspended), `none` (the
   * console started on an invalid file: nothing is proposed or approved).
   */
  config: { valid: boolean; messages: string[]; file: string | null; in_force: 'file' | 'last-valid' | 'none' };
  pending_intents: number;
  /** APPROVED or WORKING intents (orders at the broker). */
  working_intents: number;
  /** STAGED intents: approved, released at their session's open. */
  staged_intents: number;
  /** While HALTED: orders held back (queued for the execution service, paper orders not filled, staged ones); else 0. */
  orders_held: number;
  /** Symbols valued without a fresh truth tick: at an old tick or, never priced, at average cost. */
  stale_prices: string[];
  /** The close of the session orders are for (HH:MM, account time zone; an early close included): DAY orders end there. */
  market_close: string;
  /** The account calendar, for stepping dates by trading days (src/shared/calendar accountCalendar). */
  calendar: { exchange: 'NYSE' | null; holidays: string[]; open_dates: string[]; early_closes: Record<string, string> };
  /** The book was seeded by `init --demo` (the header says so). */
  demo: boolean;
  /** The database check: after an unclean shutdown at open, and in the background after the console starts. */
  integrity: IntegrityStatus;
  last_cycle_at: number | null;
}

export interface SessionView {
  phase: SessionPhase;
  /** NO_SESSION: a weekend or a holiday. */
  closed_for: 'weekend' | 'holiday' | null;
  /** The session intents are for: the one open now, else the next to open (its trading date, HH:MM, epoch ms). */
  date: string;
  open: string;
  close: string;
  opens_at: number;
  closes_at: number;
  /** The last session that has closed. */
  last_date: string;
  last_closes_at: number;
}

export interface IntentView {
  id: string;
  created_at: number;
  updated_at: number;
  trading_date: string;
  symbol: string;
  classification: Classification;
  side: Side;
  qty: number;
  order_type: OrderType;
  limit_price: number | null;
  priority: number;
  reason: string;
  status: IntentStatus;
  tick: number | null;
  pnl_pct: number | null;
  filled_qty: number;
  /** STAGED: epoch ms of its session's open, when it is released; else null. */
  releases_at: number | null;
  /** PENDING or STAGED: epoch ms of its session's close, when it expires if not worked by then; else null. */
  expires_at: number | null;
}

export interface AuditRow {
  id: number;
  intent_id: string;
  from: IntentStatus | null;
  to: IntentStatus;
  actor: string;
  at: number;
  reason: string;
}

export interface IntentOutcome {
  id: string;
  ok: boolean;
  status: IntentStatus | null;
  message: string;
}

export interface BandPoint {
  ts: number;
  long_pct: number | null;
  short_pct: number | null;
  gross_pct: number;
  status: BandStatus;
}

export interface BandPreview {
  long_pct: number | null;
  short_pct: number | null;
  gross_pct: number;
}

export interface PositionView {
  bucket: Bucket;
  symbol: string;
  qty: number;
  avg_cost: number;
  tick: number | null;
  /** qty × tick; without a tick, at average cost (as the engine values it). */
  market_value: number | null;
  unrealized_pnl: number | null;
  realized_pnl: number;
}

export interface QuarantinedEvent {
  id: number;
  source: string;
  raw: string;
  reason: string;
  at: number;
}

export interface CycleLogRow {
  id: number;
  at: number;
  mode: EngineMode;
  status: BandStatus;
  message: string;
}

/** One aggregate line of the JSON report (docs/spec.md §9). */
export interface ReportLine {
  filled_qty: number;
  filled_notional: number;
  realized_pnl: number;
  count_fills: number;
  net_qty_change: number;
}

export interface ReportJson {
  date: string;
  by_classification: Record<string, ReportLine & { symbols: string[] }>;
  by_symbol: Record<string, ReportLine & { classifications: string[] }>;
  totals: {
    total_filled_qty: number;
    total_filled_notional: number;
    total_realized_pnl: number;
    total_count_fills: number;
    total_net_qty_change: number;
  };
}

export interface ReportBundle {
  date: string;
  json: ReportJson;
  text: string;
  csv: string;
}

/** One (symbol, classification) line of the report, as the CSV carries it. */
export interface ReportRow extends ReportLine {
  date: string;
  symbol: string;
  classification: string;
}

/** What the console's report screen receives: the bundle plus its (symbol, classification) rows. */
export interface ReportView extends ReportBundle {
  rows: ReportRow[];
}
