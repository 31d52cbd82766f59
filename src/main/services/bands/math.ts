// Band math (docs/spec.md §4): LT long/short split of LT gross at truth ticks, global gross against equity.
// Exposure is summed in integer micro-USD: exact as numbers while below 2^53 micro (~$9 billion), else in bigint.
import type { Bucket } from '../../../shared/domain';

export interface BookPosition {
  bucket: Bucket;
  symbol: string;
  /** Signed: short < 0. */
  qty: number;
  /** Total cost basis of the open quantity, micro-USD, >= 0. */
  costMicro: number;
}

export interface BandMeasure {
  /** LT long gross, micro-USD. */
  longMicro: bigint;
  shortMicro: bigint;
  /** Gross of all buckets, micro-USD. */
  globalGrossMicro: bigint;
  /** Null when LT gross is 0. */
  long_pct: number | null;
  short_pct: number | null;
  gross_pct: number;
  /** Symbols of non-flat positions without a truth tick (not valued). */
  missingTicks: string[];
}

/** Equity (USD) to micro-USD as bigint. */
function equityMicro(equity: number): bigint {
  return BigInt(Math.round(equity * 1_000_000));
}

/** hard_cap_gross_pct × equity in micro-USD (floored). */
export function capMicro(equity: number, hardCapPct: number): bigint {
  return (equityMicro(equity) * BigInt(Math.round(hardCapPct * 1_000_000))) / 100_000_000n;
}

export function pctOf(part: bigint, whole: bigint): number {
  if (whole === 0n) return 0;
  // 1e-9 % resolution before the float division keeps the result stable for huge books.
  return Number((part * 100_000_000_000n) / whole) / 1_000_000_000;
}

export function measureBand(
  positions: readonly BookPosition[],
  ticks: ReadonlyMap<string, number>,
  equity: number,
): BandMeasure {
  let longN = 0;
  let shortN = 0;
  let globalN = 0;
  const missing: string[] = [];
  for (const p of positions) {
    if (p.qty === 0) continue;
    const t = ticks.get(p.symbol);
    if (t === undefined) {
      missing.push(p.symbol);
      continue;
    }
    const g = (p.qty < 0 ? -p.qty : p.qty) * t;
    globalN += g;
    if (p.bucket === 'LT') {
      if (p.qty > 0) longN += g;
      else shortN += g;
    }
  }
  let longB: bigint;
  let shortB: bigint;
  let globalB: bigint;
  if (Number.isSafeInteger(globalN) && Number.isSafeInteger(longN + shortN)) {
    longB = BigInt(longN);
    shortB = BigInt(shortN);
    globalB = BigInt(globalN);
  } else {
    longB = 0n;
    shortB = 0n;
    globalB = 0n;
    for (const p of positions) {
      if (p.qty === 0) continue;
      const t = ticks.get(p.symbol);
      if (t === undefined) continue;
      const g = BigInt(p.qty < 0 ? -p.qty : p.qty) * BigInt(t);
      globalB += g;
      if (p.bucket === 'LT') {
        if (p.qty > 0) longB += g;
        else shortB += g;
      }
    }
  }
  const lt = longB + shortB;
  return {
    longMicro: longB,
    shortMicro: shortB,
    globalGrossMicro: globalB,
    long_pct: lt === 0n ? null : pctOf(longB, lt),
    short_pct: lt === 0n ? null : pctOf(shortB, lt),
    gross_pct: pctOf(globalB, equityMicro(equity)),
    missingTicks: missing,
  };
}

/** Unrealized PnL % of a position at a tick (docs/spec.md §5); ±Infinity for a zero cost basis. */
export function pnlPct(qty: number, costMicro: number, tickMicro: number): number {
  const abs = Math.abs(qty);
  const value = abs * tickMicro;
  if (costMicro === 0) return qty > 0 ? Infinity : value === 0 ? 0 : -Infinity;
  const diff = qty > 0 ? value - costMicro : costMicro - value;
  return (diff / costMicro) * 100;
}
