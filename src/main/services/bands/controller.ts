// The LT Band Drift Controller's corrective intents (docs/spec.md §5), as a pure function of the book, the ticks, the
// open intents and the config: the action table with its tie rule, candidates, PnL filter, dedup, order and count,
// lot-rounded sizes, limit prices, and the hard cap with pending and this cycle's increases counted.
import { parseClassification, sideOf, type Classification, type OrderType, type Side } from '../../../shared/domain';
import type { BandDriftConfig } from '../config/schema';
import { capMicro, pnlPct, type BandMeasure, type BookPosition } from './math';

export type Measure = 'long' | 'short';
export type Breach = 'HIGH' | 'LOW';

export interface BandViolation {
  long: Breach | null;
  short: Breach | null;
}

export interface DecidingRow {
  measure: Measure;
  breach: Breach;
  pct: number;
  bound: number;
  actions: readonly [Classification, Classification];
}

/** docs/spec.md §5 action table, first preferred first. */
const ACTIONS: Record<`${Measure}_${Breach}`, readonly [Classification, Classification]> = {
  short_HIGH: ['LT_SHORT_DECREASE', 'LT_LONG_INCREASE'],
  short_LOW: ['LT_SHORT_INCREASE', 'LT_LONG_DECREASE'],
  long_HIGH: ['LT_LONG_DECREASE', 'LT_SHORT_INCREASE'],
  long_LOW: ['LT_LONG_INCREASE', 'LT_SHORT_DECREASE'],
};

function breachOf(pct: number, range: readonly [number, number]): Breach | null {
  if (pct > range[1]) return 'HIGH';
  if (pct < range[0]) return 'LOW';
  return null; // bounds inclusive: in band
}

export function violationOf(m: Pick<BandMeasure, 'long_pct' | 'short_pct'>, cfg: BandDriftConfig): BandViolation {
  if (m.long_pct === null || m.short_pct === null) return { long: null, short: null };
  return { long: breachOf(m.long_pct, cfg.long_pct_range), short: breachOf(m.short_pct, cfg.short_pct_range) };
}

/** Every classification of the action table's rows that the violation makes (an intent "in its direction"). */
export function actionsOf(v: BandViolation): Set<Classification> {
  const out = new Set<Classification>();
  if (v.long) for (const c of ACTIONS[`long_${v.long}`]) out.add(c);
  if (v.short) for (const c of ACTIONS[`short_${v.short}`]) out.add(c);
  return out;
}

export function isViolated(v: BandViolation): boolean {
  return v.long !== null || v.short !== null;
}

/**
 * The row of the action table that decides. One band violated: its row. Both: the row whose first action is a
 * DECREASE (lowering gross is always cap-safe). Where the spec is silent (both first actions decrease, or
 * neither — only possible with ranges that are not complementary) the larger breach decides, long on a tie.
 */
export function decidingRow(m: Pick<BandMeasure, 'long_pct' | 'short_pct'>, cfg: BandDriftConfig): DecidingRow | null {
  const v = violationOf(m, cfg);
  const rows: DecidingRow[] = [];
  for (const measure of ['long', 'short'] as const) {
    const breach = v[measure];
    if (!breach) continue;
    const pct = (measure === 'long' ? m.long_pct : m.short_pct) as number;
    const range = measure === 'long' ? cfg.long_pct_range : cfg.short_pct_range;
    const bound = breach === 'HIGH' ? range[1] : range[0];
    rows.push({ measure, breach, pct, bound, actions: ACTIONS[`${measure}_${breach}`] });
  }
  if (rows.length <= 1) return rows[0] ?? null;
  const dec = rows.filter((r) => parseClassification(r.actions[0]).effect === 'DECREASE');
  if (dec.length === 1) return dec[0];
  const dist = (r: DecidingRow) => Math.abs(r.pct - r.bound);
  return dist(rows[1]) > dist(rows[0]) ? rows[1] : rows[0];
}

function reasonText(row: DecidingRow, days: number): string {
  const op = row.breach === 'HIGH' ? '>' : '<';
  return `LT ${row.measure} ${row.pct.toFixed(1)}% ${op} ${row.bound.toFixed(1)}% for ${days} trading day${days === 1 ? '' : 's'}`;
}

/** An intent PENDING or working (APPROVED / WORKING), for dedup, the open count and the hard cap. */
export interface OpenIntent {
  symbol: string;
  classification: Classification;
  /** Quantity still to fill. */
  remainingQty: number;
  /** Band controller intent (counts against max_open_intents). */
  band: boolean;
  /** Price to value its gross at when the symbol has no tick. */
  fallbackPriceMicro: number | null;
}

export interface ProposalInput {
  /** All positions (every bucket); LT ones are the candidates. */
  positions: readonly BookPosition[];
  ticks: ReadonlyMap<string, number>;
  measure: BandMeasure;
  cfg: BandDriftConfig;
  equity: number;
  hardCapPct: number;
  open: readonly OpenIntent[];
  days: number;
}

export interface ProposedIntent {
  symbol: string;
  classification: Classification;
  side: Side;
  qty: number;
  order_type: OrderType;
  /** Limit in micro-USD (whole cents); null for MARKET. */
  limitMicro: number | null;
  tickMicro: number;
  pnlPct: number;
  priority: number;
  reason: string;
  /** Gross this intent adds at the truth tick if it is an increase, else 0. */
  addsGrossMicro: bigint;
}

export interface ProposalResult {
  row: DecidingRow | null;
  classification: Classification | null;
  intents: ProposedIntent[];
  /** Human lines for the cycle log: skips, shrinks, caps. */
  log: string[];
}

/** floor(|qty| × size_pct / lot) × lot, at least one lot; a decrease never exceeds the position. */
function intentSize(absQty: number, sizePct: number, lot: number, decrease: boolean): number {
  const scaled = BigInt(Math.round(sizePct * 1e8));
  const raw = (BigInt(absQty) * scaled) / 100_000_000n;
  const lots = raw / BigInt(lot);
  let size = Number(lots * BigInt(lot));
  if (size < lot) size = lot;
  if (decrease && size > absQty) size = absQty;
  return size;
}

/** BUY limit = tick × (1 − bps/10⁴), SELL = tick × (1 + bps/10⁴), rounded half-up to the cent, at least $0.01. */
function limitPriceMicro(tickMicro: number, side: Side, bps: number): number {
  const b = BigInt(Math.round(bps * 10_000)); // units of 1e-8
  const factor = side === 'BUY' ? 100_000_000n - b : 100_000_000n + b;
  const num = BigInt(tickMicro) * factor; // micro × 1e8
  const cents = (num + 500_000_000_000n) / 1_000_000_000_000n;
  return Math.max(1, Number(cents)) * 10_000;
}

interface Candidate {
  p: BookPosition;
  tick: number;
  pnl: number;
  gross: number;
}

function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.pnl !== b.pnl) return a.pnl > b.pnl ? -1 : 1;
  if (a.gross !== b.gross) return b.gross - a.gross;
  return a.p.symbol < b.p.symbol ? -1 : a.p.symbol > b.p.symbol ? 1 : 0;
}

/**
 * Yields candidates best first (PnL% desc, gross desc, symbol asc) with a binary heap: O(n) to build, O(log n) per
 * candidate taken, so a cycle that needs three intents out of 10,000 candidates does not sort them all.
 */
function* bestFirst(items: Candidate[]): Generator<Candidate> {
  const h = items;
  const n0 = h.length;
  const down = (i: number, n: number) => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && compareCandidates(h[r], h[l]) < 0 ? r : l;
      if (compareCandidates(h[c], h[i]) >= 0) return;
      const t = h[i];
      h[i] = h[c];
      h[c] = t;
      i = c;
    }
  };
  for (let i = (n0 >> 1) - 1; i >= 0; i--) down(i, n0);
  for (let n = n0; n > 0; n--) {
    const top = h[0];
    h[0] = h[n - 1];
    h[n - 1] = top;
    down(0, n - 1);
    yield top;
  }
}

/** Gross of every PENDING or working increase, at truth ticks. */
export function openIncreaseGross(open: readonly OpenIntent[], ticks: ReadonlyMap<string, number>): bigint {
  let sum = 0n;
  for (const o of open) {
    if (parseClassification(o.classification).effect !== 'INCREASE' || o.remainingQty <= 0) continue;
    const t = ticks.get(o.symbol) ?? o.fallbackPriceMicro ?? 0;
    sum += BigInt(o.remainingQty) * BigInt(t);
  }
  return sum;
}

export function proposeIntents(input: ProposalInput): ProposalResult {
  const { cfg, measure, ticks } = input;
  const row = decidingRow(measure, cfg);
  const log: string[] = [];
  if (!row) return { row, classification: null, intents: [], log };
  const openBand = input.open.filter((o) => o.band && o.remainingQty > 0).length;
  const room = Math.min(cfg.max_intents_per_cycle, cfg.max_open_intents - openBand);
  if (room <= 0) {
    log.push(`open-intent cap reached: ${openBand} band intents pending or working (max_open_intents ${cfg.max_open_intents})`);
    return { row, classification: null, intents: [], log };
  }
  const busyBy = new Map<Classification, Set<string>>();
  for (const o of input.open) {
    let set = busyBy.get(o.classification);
    if (!set) busyBy.set(o.classification, (set = new Set()));
    set.add(o.symbol);
  }
  const cap = capMicro(input.equity, input.hardCapPct);
  const used = measure.globalGrossMicro + openIncreaseGross(input.open, ticks);
  const reason = reasonText(row, input.days);

  for (const cls of row.actions) {
    const { direction, effect } = parseClassification(cls);
    const side = sideOf(cls);
    const increase = effect === 'INCREASE';
    const busy = busyBy.get(cls);
    const cands: Candidate[] = [];
    let noTick = 0;
    let lossy = 0;
    let deduped = 0;
    for (const p of input.positions) {
      if (p.bucket !== 'LT' || (direction === 'LONG' ? p.qty <= 0 : p.qty >= 0)) continue;
      const tick = ticks.get(p.symbol);
      if (tick === undefined) {
        noTick++;
        continue;
      }
      const pnl = pnlPct(p.qty, p.costMicro, tick);
      if (cfg.prefer_positive_pnl && !(pnl >= -cfg.acceptable_loss_pct)) {
        lossy++;
        continue;
      }
      if (busy?.has(p.symbol)) {
        deduped++;
        continue;
      }
      cands.push({ p, tick, pnl, gross: Math.abs(p.qty) * tick });
    }
    const out: ProposedIntent[] = [];
    let cycleAdds = 0n;
    const total = cands.length;
    for (const c of bestFirst(cands)) {
      if (out.length >= room) break;
      const abs = Math.abs(c.p.qty);
      let qty = intentSize(abs, cfg.corrective_intent_size_pct, cfg.lot_size, !increase);
      let adds = 0n;
      if (increase) {
        const per = BigInt(c.tick);
        const want = BigInt(qty) * per;
        if (used + cycleAdds + want > cap) {
          const free = cap - used - cycleAdds;
          const lotGross = BigInt(cfg.lot_size) * per;
          const lots = free > 0n ? free / lotGross : 0n;
          if (lots < 1n) {
            log.push(
              `skipped ${cls} ${c.p.symbol}: ${qty} would take gross over the hard cap ` +
                `${input.hardCapPct.toFixed(1)}% and not one lot of ${cfg.lot_size} fits`,
            );
            continue;
          }
          const fit = Number(lots) * cfg.lot_size;
          log.push(`shrunk ${cls} ${c.p.symbol} from ${qty} to ${fit} to stay within the hard cap ${input.hardCapPct.toFixed(1)}%`);
          qty = fit;
        }
        adds = BigInt(qty) * per;
        cycleAdds += adds;
      }
      out.push({
        symbol: c.p.symbol,
        classification: cls,
        side,
        qty,
        order_type: cfg.use_limit_orders ? 'LIMIT' : 'MARKET',
        limitMicro: cfg.use_limit_orders ? limitPriceMicro(c.tick, side, cfg.limit_offset_bps) : null,
        tickMicro: c.tick,
        pnlPct: c.pnl,
        priority: cfg.priority,
        reason,
        addsGrossMicro: adds,
      });
    }
    if (out.length > 0) {
      return { row, classification: cls, intents: out, log };
    }
    const why = [
      `${total} candidate(s)`,
      lossy ? `${lossy} with PnL below -${cfg.acceptable_loss_pct.toFixed(1)}%` : '',
      deduped ? `${deduped} already pending or working` : '',
      noTick ? `${noTick} without a tick` : '',
    ]
      .filter(Boolean)
      .join(', ');
    log.push(`${cls}: no intent (${why})`);
  }
  return { row, classification: null, intents: [], log };
}
