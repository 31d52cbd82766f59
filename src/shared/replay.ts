// The policy lab's replay (docs/spec.md §16): the band controller run again over past trading days under a config,
// on a copy of the book. These are the shapes `bandctl replay --json` prints and the console's Policy lab shows;
// the replay itself is src/main/services/replay.

/** Which proposed intents a replay approves: every one, none, or those whose estimated PnL is > 0. */
export const APPROVE_POLICIES = ['all', 'none', 'pnl-positive'] as const;
export type ApprovePolicy = (typeof APPROVE_POLICIES)[number];

/** One trading day of a replay, as the controller saw it at the evaluation time (`--at`). */
export interface ReplayDay {
  date: string;
  /** The controller's status that day: IN_BAND, WATCH, CORRECTING, … */
  status: string;
  long_pct: number | null;
  short_pct: number | null;
  gross_pct: number;
  days_in_violation: number;
  /** Intents proposed that day. */
  intents: number;
  /** Fills of approved intents that day. */
  fills: number;
  /** Gross notional of those fills, USD. */
  turnover_notional: number;
}

export interface ReplayTotals {
  trading_days: number;
  days_out_of_band: number;
  intents: number;
  fills: number;
  turnover_notional: number;
  max_gross_pct: number;
  /** Intents an approval refused because they would have passed the hard cap. */
  cap_refusals: number;
}

/** The effective band rules a replay ran under (the LT bucket's band_drift, plus the cap's inputs). */
export interface ReplayConfig {
  long_pct_range: [number, number];
  short_pct_range: [number, number];
  tolerance_days: number;
  corrective_intent_size_pct: number;
  max_intents_per_cycle: number;
  max_open_intents: number;
  prefer_positive_pnl: boolean;
  acceptable_loss_pct: number;
  lot_size: number;
  equity: number;
  hard_cap_gross_pct: number;
}

export interface ReplayResult {
  from: string;
  to: string;
  config: ReplayConfig;
  days: ReplayDay[];
  totals: ReplayTotals;
}

/** `--compare`: the same period under two configs. */
export interface ReplayComparison {
  a: ReplayResult;
  b: ReplayResult;
}
