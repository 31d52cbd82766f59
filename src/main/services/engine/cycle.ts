// Prices moving: a timed cycle (the price source advances, the broker fills, the engine evaluates) and a series of
// ticks applied in order (the paper broker fills after each one).
import { tradingDateOf } from '../../../shared/calendar';
import type { PositionOf } from '../execution/broker';
import { setTicks, type TickRow } from '../prices/ticks';
import type { EngineContext } from './context';
import { evaluate, type EvaluateResult } from './evaluate';
import { endDayOrders } from './lifecycle';
import { sync, tidy } from './tidy';
import { haltInfo, sessionNow } from './snapshot';
import { releaseStaged } from './release';
import { emitStatus } from './status';

export interface ApplyTicksResult {
  ticks: number;
  fills: number;
  filled_intents: string[];
}

/** A full timed cycle: move prices, let the broker fill, apply the ledger, evaluate. */
export function cycle(ctx: EngineContext, now: number): EvaluateResult {
  const genBefore = ctx.book.tickGen();
  // A simulated market trades only in its session: outside it the last session's closing ticks stand.
  const trades = !ctx.prices.sessionOnly || sessionNow(ctx, now).phase === 'OPEN';
  const moved = (trades ? ctx.prices.advance?.(ctx.db, now) : undefined) ?? [];
  ctx.book.patchTicks(genBefore, moved);
  // Day orders past their close end, and staged orders of a session that opened go out, before the broker looks
  // at the new ticks.
  tidy(ctx, now);
  let fills = 0;
  let lastTs: number | null = null;
  if (!haltInfo(ctx) && ctx.broker.run) {
    // The broker fills against the book as it stands, fills from outside included.
    ctx.ledger.run();
    const r = ctx.broker.run(now, moved.length ? new Set(moved.map((t) => t.symbol)) : undefined, positionOf(ctx));
    fills = r.fills;
    lastTs = r.lastTs;
  }
  const result = evaluate(ctx, now);
  if (fills) {
    ctx.events.emit('fills', { count: fills, date: tradingDateOf(lastTs ?? now, ctx.zone) });
  }
  return result;
}

/** Sets ticks in order (a CSV may hold a series), letting the paper broker fill after each, then the ledger. */
export function applyTicks(ctx: EngineContext, rows: readonly TickRow[], now: number): ApplyTicksResult {
  let fills = 0;
  const filledIntents: string[] = [];
  let lastTs: number | null = null;
  const halted = haltInfo(ctx) !== null;
  const ended: string[] = [];
  ctx.ledger.run();
  // The fills of earlier rows are in the ledger's log but not yet in positions: count them in.
  const moved = new Map<string, number>();
  const base = positionOf(ctx);
  const position: PositionOf = (bucket, symbol) => base(bucket, symbol) + (moved.get(`${bucket}\u0000${symbol}`) ?? 0);
  const genBefore = ctx.book.tickGen();
  try {
    ctx.db.transaction(() => {
      for (const row of rows) {
        setTicks(ctx.db, [row]);
        // A tick after the close of an order's day finds that order ended, not fillable; one after the open of a
        // staged order's session finds it released, and may fill it.
        ended.push(...endDayOrders(ctx, row.ts), ...releaseStaged(ctx, row.ts));
        if (!halted && ctx.broker.run) {
          const r = ctx.broker.run(Math.max(now, row.ts), new Set([row.symbol]), position);
          for (const m of r.moved) moved.set(`${m.bucket}\u0000${m.symbol}`, (moved.get(`${m.bucket}\u0000${m.symbol}`) ?? 0) + m.qty);
          fills += r.fills;
          filledIntents.push(...r.intentIds);
          if (r.lastTs !== null) lastTs = Math.max(lastTs ?? r.lastTs, r.lastTs);
        }
      }
    })();
  } catch (e) {
    ctx.book.invalidate();
    throw e;
  }
  // The engine's in-memory ticks take the rows just written (reloaded instead if anyone else wrote ticks meanwhile).
  ctx.book.patchTicks(genBefore, rows);
  if (ended.length) ctx.events.emit('intents:changed', { ids: ended });
  sync(ctx, now);
  tidy(ctx, now);
  if (fills) {
    ctx.events.emit('fills', { count: fills, date: tradingDateOf(lastTs ?? now, ctx.zone) });
  }
  emitStatus(ctx, now);
  return { ticks: rows.length, fills, filled_intents: filledIntents };
}

/** The position of a bucket and symbol as the ledger has it (signed qty). */
function positionOf(ctx: EngineContext): PositionOf {
  return (bucket, symbol) => (ctx.st.position.get(bucket, symbol) as number | undefined) ?? 0;
}
