// No blind spot for missing prices (issue 11): every non-flat position is valued, for the band, the hard cap and
// DERISK alike: at its truth tick (the last one known, however old), else, never priced, at its average cost.
// Both an old tick (before the previous trading day) and an average cost are marked stale, for the trader to see;
// a position never priced is no candidate for an intent (no tick to put a limit near).
import type { BookPosition } from './math';

export interface TickInfo {
  /** micro-USD */
  price: number;
  /** epoch ms of the tick */
  ts: number;
}

export interface StalePrice {
  symbol: string;
  /** `old-tick`: valued at its last tick, from before the previous trading day; `avg-cost`: never priced. */
  basis: 'old-tick' | 'avg-cost';
  /** Time of the tick used (old-tick), null for avg-cost. */
  since: number | null;
}

export interface Valuation {
  /** symbol → the price every exposure figure uses (micro-USD). */
  prices: ReadonlyMap<string, number>;
  /** symbol → truth ticks only (no average costs): candidates, limit prices and an increase's cap check. */
  ticks: ReadonlyMap<string, number>;
  stale: StalePrice[];
}

/**
 * Values a book (both maps are read-only for callers: while no position is valued at its average cost, `prices`
 * and `ticks` are one map, the truth ticks; else `prices` is a copy of it with the average costs added).
 */
export function valueBook(positions: readonly BookPosition[], ticks: ReadonlyMap<string, TickInfo>, freshFrom: number): Valuation {
  const tickMap = new Map<string, number>();
  for (const [symbol, t] of ticks) tickMap.set(symbol, t.price);
  let prices: Map<string, number> = tickMap;
  const stale = new Map<string, StalePrice>();
  for (const p of positions) {
    if (p.qty === 0 || stale.has(p.symbol)) continue;
    const t = ticks.get(p.symbol);
    if (t && t.ts >= freshFrom) continue;
    if (t) {
      stale.set(p.symbol, { symbol: p.symbol, basis: 'old-tick', since: t.ts });
    } else {
      stale.set(p.symbol, { symbol: p.symbol, basis: 'avg-cost', since: null });
      // One price per symbol: a symbol held in two buckets takes the first position's average cost.
      if (!prices.has(p.symbol)) {
        if (prices === tickMap) prices = new Map(tickMap);
        prices.set(p.symbol, Math.round(p.costMicro / Math.abs(p.qty)));
      }
    }
  }
  return { prices, ticks: tickMap, stale: [...stale.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)) };
}
