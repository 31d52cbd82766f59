// One evaluation of the book (docs/spec.md §4–§6), in one transaction: expiry and fills are settled, the violation
// episode is opened or ended, BAND intents are superseded when the band is back, the LT Band Drift Controller
// proposes while CORRECTING, and the band history and cycle log get their rows.
import { tradingDateOf } from '../../../shared/calendar';
import type { SessionPhase } from '../../../shared/session';
import type { BandStatus, EngineMode } from '../../../shared/domain';
import { decidingRow, isViolated, proposeIntents, violationOf } from '../bands/controller';
import { daysInViolation, endEpisode, openEpisode, startEpisode } from '../bands/episodes';
import type { StalePrice } from '../bands/valuation';
import { rememberConfig } from './config';
import type { EngineContext } from './context';
import { nextIntentIds } from './ids';
import { endDayOrders, expire, openIntents, syncFills } from './lifecycle';
import { releaseStaged } from './release';
import { bandStatus, MODE_KEY, pct1, snapshot, suspendedWhy } from './snapshot';
import { emitStatus } from './status';
import { getStateFast as getState, setStateFast as setState } from './stmt';
import type { IntentRecord } from './store';

/** One created intent as `bandctl evaluate --json` prints it (docs/spec.md §10). */
interface EvaluateIntent {
  id: string;
  symbol: string;
  classification: IntentRecord['classification'];
  side: IntentRecord['side'];
  qty: number;
  order_type: IntentRecord['order_type'];
  limit_price: number | null;
  priority: number;
  reason: string;
  /** The session it is for: today's while open, else the next one (docs/spec.md §2). */
  trading_date: string;
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
  /** The phase of the instant and the session its intents are for. */
  session: { phase: SessionPhase; date: string; opens_at: number; closes_at: number };
  expired: string[];
  superseded: string[];
  filled: string[];
  /** STAGED intents this evaluation released at their session's open (or sent back, or superseded there). */
  released: string[];
  /** The cycle log line of this evaluation. */
  message: string;
  /** Symbols valued without a fresh truth tick (at an old tick or at average cost). */
  stale_prices: string[];
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** "AAPL (average cost), MSFT (tick of 2024-01-02)", at most ten. */
function staleText(stale: readonly StalePrice[], zone: string): string {
  const one = (x: StalePrice) => `${x.symbol} (${x.basis === 'avg-cost' ? 'never priced: average cost' : `tick of ${tradingDateOf(x.since as number, zone)}`})`;
  return `${stale.slice(0, 10).map(one).join(', ')}${stale.length > 10 ? `, … ${stale.length - 10} more` : ''}`;
}

/** The docs/spec.md §10 `evaluate --json` object. */
export function evaluateJson(
  r: EvaluateResult,
): Pick<EvaluateResult, 'mode' | 'status' | 'long_pct' | 'short_pct' | 'gross_pct' | 'days_in_violation' | 'intents' | 'stale_prices'> & {
  session: { phase: SessionPhase; date: string; opens_at: string; closes_at: string };
} {
  return {
    mode: r.mode,
    status: r.status,
    long_pct: r.long_pct === null ? null : round4(r.long_pct),
    short_pct: r.short_pct === null ? null : round4(r.short_pct),
    gross_pct: round4(r.gross_pct),
    days_in_violation: r.days_in_violation,
    intents: r.intents,
    stale_prices: r.stale_prices,
    session: {
      phase: r.session.phase,
      date: r.session.date,
      opens_at: new Date(r.session.opens_at).toISOString(),
      closes_at: new Date(r.session.closes_at).toISOString(),
    },
  };
}

/** One engine cycle at `asOf` over the ticks in the database (docs/spec.md §4–§6). */
export function evaluate(ctx: EngineContext, asOf: number): EvaluateResult {
  ctx.ledger.run();
  let result: EvaluateResult;
  try {
    result = ctx.db.transaction(() => evaluateTx(ctx, asOf)).immediate();
  } catch (e) {
    ctx.book.invalidate();
    throw e;
  }
  const changed = [...result.expired, ...result.superseded, ...result.filled, ...result.released];
  if (changed.length) ctx.events.emit('intents:changed', { ids: changed });
  if (result.intents.length) {
    ctx.events.emit('intents:new', { ids: result.intents.map((i) => i.id), count: result.intents.length });
  }
  emitStatus(ctx, asOf);
  return result;
}

function evaluateTx(ctx: EngineContext, at: number): EvaluateResult {
  const s = snapshot(ctx, at);
  const band = s.cfg.buckets.LT.band_drift;
  const today = tradingDateOf(at, s.cal.timezone);
  // Intents are for the session open now, else the next one: outside market hours a desk prepares the next open.
  const target = s.session.session;
  const expired = expire(ctx, at);
  const filled = [...syncFills(ctx, at), ...endDayOrders(ctx, at)];
  const released = releaseStaged(ctx, at);
  const v = violationOf(s.measure, band);
  const violated = isViolated(v);
  let ep = openEpisode(ctx.db);
  let days = 0;
  if (violated) {
    if (!ep) {
      const desc = [v.long ? `long ${v.long}` : '', v.short ? `short ${v.short}` : ''].filter(Boolean).join(', ');
      ep = startEpisode(ctx.db, at, today, desc);
    }
    days = daysInViolation(ep.start_date, today, s.cal);
  } else if (ep) {
    endEpisode(ctx.db, ep.id, at, today);
    ep = undefined;
  }
  const status = bandStatus(s, violated, days);
  const log: string[] = [];
  const superseded: string[] = [];
  if (!violated) {
    const why =
      s.measure.long_pct === null
        ? 'LT bucket has no exposure'
        : `band back in range: LT long ${pct1(s.measure.long_pct)}, short ${pct1(s.measure.short_pct)}`;
    for (const r of ctx.store.open()) {
      if (r.status === 'PENDING' && r.kind === 'BAND' && ctx.store.transition(r.id, 'PENDING', 'SUPERSEDED', 'engine', why, at)) {
        superseded.push(r.id);
      }
    }
  }
  const created: EvaluateIntent[] = [];
  const row = violated ? decidingRow(s.measure, band) : null;
  if (status === 'CORRECTING') {
    const proposal = proposeIntents({
      positions: s.positions,
      ticks: s.ticks,
      measure: s.measure,
      cfg: band,
      equity: s.cfg.account.equity,
      hardCapPct: s.cfg.global.hard_cap_gross_pct,
      open: openIntents(ctx),
      days,
    });
    log.push(...proposal.log);
    const ids = nextIntentIds(ctx.db, proposal.intents.length, at);
    proposal.intents.forEach((p, i) => {
      const rec: IntentRecord = {
        id: ids[i],
        kind: 'BAND',
        created_at: at,
        updated_at: at,
        trading_date: target.date,
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
      ctx.store.insert(rec, 'engine', p.reason);
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
        trading_date: target.date,
      });
    });
    if (created.length) {
      const forNext = s.session.phase === 'OPEN' ? '' : ` for the session of ${target.date} (opens ${target.open} ${ctx.zone})`;
      log.unshift(
        `proposed ${created.length} ${proposal.classification}${forNext}: ${created.map((c) => `${c.side} ${c.qty} ${c.symbol}`).join(', ')}`,
      );
    } else if (proposal.log.length === 0) {
      log.push('no intent proposed');
    }
  }
  if (s.stale.length) log.push(`stale prices: ${staleText(s.stale, ctx.zone)}`);
  if (expired.length) log.push(`expired ${expired.length}`);
  if (superseded.length) log.push(`superseded ${superseded.length}`);
  if (filled.length) log.push(`filled or closed ${filled.length}`);
  if (released.length) log.push(`staged orders at the open: ${released.length} released or re-checked`);

  const prevMode = getState(ctx.db, MODE_KEY);
  if (prevMode !== s.mode) {
    if (prevMode) log.unshift(`mode ${prevMode} -> ${s.mode}`);
    setState(ctx.db, MODE_KEY, s.mode);
  }
  if (s.state.valid && s.state.config) rememberConfig(ctx.db, s.state.config);

  const head =
    status === 'SUSPENDED'
      ? `SUSPENDED: ${suspendedWhy(s)}`
      : status === 'NO_EXPOSURE'
        ? 'NO_EXPOSURE: LT gross is 0'
        : status === 'IN_BAND'
          ? `IN_BAND: LT long ${pct1(s.measure.long_pct)}, short ${pct1(s.measure.short_pct)}`
          : `${status}: ${row ? `LT ${row.measure} ${row.pct.toFixed(1)}% ${row.breach === 'HIGH' ? '>' : '<'} ${row.bound.toFixed(1)}%` : ''}, day ${days} of tolerance ${band.tolerance_days}`;
  const message = [`${head}; gross ${pct1(s.measure.gross_pct)}`, ...log].join('; ');
  ctx.st.history.run(at, s.measure.long_pct, s.measure.short_pct, s.measure.gross_pct, status, s.mode);
  ctx.st.cycle.run(at, s.mode, status, message);
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
    session: { phase: s.session.phase, date: target.date, opens_at: target.opens_at, closes_at: target.closes_at },
    expired,
    superseded,
    filled,
    released,
    message,
    stale_prices: s.stale.map((x) => x.symbol),
  };
}
