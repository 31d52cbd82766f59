// Read models for the console: the intent queue and history, the band after a selection fills, the band history
// and the cycle log.
import type { IntentStatus } from '../../../shared/domain';
import { lttb } from '../../../shared/lttb';
import type { BandPoint, BandPreview, CycleLogRow, IntentView } from '../../../shared/types';
import { measureBand, pnlPct, type BookPosition } from '../bands/math';
import type { EngineContext } from './context';
import { tidy } from './tidy';
import { closeOf, openOf, snapshot } from './snapshot';
import { OPEN_STATUSES } from './store';

const DAY_MS = 86_400_000;
const RANGE_MS: Record<'1D' | '1W' | '1M' | 'ALL', number> = { '1D': DAY_MS, '1W': 7 * DAY_MS, '1M': 30 * DAY_MS, ALL: Infinity };

export function listIntents(ctx: EngineContext, status: IntentStatus | 'OPEN' | 'ALL', limit: number, now: number): IntentView[] {
  tidy(ctx, now);
  const recs = ctx.store.list(status, limit);
  if (recs.length === 0) return [];
  const ticks = ctx.book.ticks();
  const pos = new Map<string, BookPosition>();
  for (const p of ctx.book.positions()) if (p.bucket === 'LT') pos.set(p.symbol, p);
  const nonPending = recs.filter((r) => r.status !== 'PENDING' && r.status !== 'STAGED').map((r) => r.id);
  const filled = nonPending.length ? ctx.ledger.filledQty(nonPending) : new Map<string, number>();
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
      releases_at: r.status === 'STAGED' ? openOf(ctx, r.trading_date) : null,
      expires_at: r.status === 'PENDING' || r.status === 'STAGED' ? closeOf(ctx, r.trading_date) : null,
    };
  });
}

/** The band after the selected intents fill (exposure at truth ticks). */
export function preview(ctx: EngineContext, ids: readonly string[]): BandPreview {
  const cfg = ctx.book.effectiveConfig();
  const positions = ctx.book.positions();
  const index = new Map<string, BookPosition>();
  const book = positions.map((p) => {
    const c = { ...p };
    index.set(`${p.bucket}\u0000${p.symbol}`, c);
    return c;
  });
  for (const id of new Set(ids)) {
    const r = ctx.store.get(id);
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
  const m = measureBand(book, snapshot(ctx, ctx.now()).prices, cfg.account.equity);
  return { long_pct: m.long_pct, short_pct: m.short_pct, gross_pct: m.gross_pct };
}

export function bandHistory(ctx: EngineContext, range: '1D' | '1W' | '1M' | 'ALL', maxPoints: number, now: number): BandPoint[] {
  const span = RANGE_MS[range];
  const from = span === Infinity ? -8.64e15 : now - span;
  const rows = ctx.st.historySince.all(from) as BandPoint[];
  return lttb(rows, Math.max(3, maxPoints), (p) => p.ts, (p) => p.long_pct ?? 0);
}

export function cycles(ctx: EngineContext, limit: number): CycleLogRow[] {
  return ctx.st.cycles.all(limit) as CycleLogRow[];
}
