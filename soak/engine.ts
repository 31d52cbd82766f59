// The engine soak: the Decision Engine, the paper broker and the embedded ledger over simulated trading days with
// simulated prices (the seeded random walk), a "trader" approving, rejecting and ignoring intents, and a HALT for
// part of one day. After every cycle:
//   - the ledger has applied the whole log, and its positions equal the engine's view of the book: the opening book
//     plus every intent the engine holds FILLED (quantity), with cost and realized PnL equal to an average-cost
//     replay of the paper broker's fills;
//   - every WORKING / FILLED intent has its paper order in the same state;
//   - the band figures the engine reports equal a recomputation from the ledger's positions at the truth ticks;
//   - gross never passes the hard cap in NORMAL mode, and no approval commits increases past it;
//   - while HALTED no order is sent and nothing fills.
// Two books: the demo book (LT long too high: decreases) and one whose shorts are too high and under water, so the
// controller falls back to LT_LONG_INCREASE with the hard cap set just above gross (the cap binds).
import { mkdirSync } from 'node:fs';
import { DateTime } from 'luxon';
import { parseClassification, sideOf, type Classification } from '../src/shared/domain';
import { defaultConfig } from '../src/main/services/config/load';
import type { RiskConfig } from '../src/main/services/config/schema';
import { loadDemoBook } from '../src/main/services/demo';
import { Engine } from '../src/main/services/engine/engine';
import { logEnd } from '../src/main/services/ledger/log';
import { importPositions } from '../src/main/services/ledger/positions';
import { RandomWalkSimulator } from '../src/main/services/prices/simulator';
import { readTicks, setTicks } from '../src/main/services/prices/ticks';
import { openDb, type Db } from '../src/main/services/store/db';
import { Rng } from './rng';

export interface EngineSoakReport {
  counts: Record<string, number>;
  violations: string[];
  notes: string[];
}

interface Pos {
  qty: number;
  cost: bigint;
  realized: bigint;
}

const TZ = 'America/New_York';
const CYCLE_MIN = 10;

function tradingDays(start: string, n: number): DateTime[] {
  const out: DateTime[] = [];
  let d = DateTime.fromISO(start, { zone: TZ });
  while (out.length < n) {
    if (d.weekday <= 5) out.push(d);
    d = d.plus({ days: 1 });
  }
  return out;
}

function applyFill(book: Map<string, Pos>, key: string, side: 'BUY' | 'SELL', qty: number, priceMicro: number): void {
  let p = book.get(key);
  if (!p) {
    p = { qty: 0, cost: 0n, realized: 0n };
    book.set(key, p);
  }
  const signed = side === 'BUY' ? qty : -qty;
  const px = BigInt(priceMicro);
  if (p.qty === 0 || Math.sign(p.qty) === Math.sign(signed)) {
    p.qty += signed;
    p.cost += BigInt(qty) * px;
    return;
  }
  const open = Math.abs(p.qty);
  const close = Math.min(open, qty);
  const closedCost = close === open ? p.cost : (2n * p.cost * BigInt(close) + BigInt(open)) / (2n * BigInt(open));
  p.realized += p.qty > 0 ? BigInt(close) * px - closedCost : closedCost - BigInt(close) * px;
  p.cost -= closedCost;
  const rest = qty - close;
  if (rest === 0) p.qty += signed;
  else {
    p.qty = signed > 0 ? rest : -rest;
    p.cost = BigInt(rest) * px;
  }
}

function readBook(db: Db): Map<string, Pos> {
  const rows = db
    .prepare('SELECT bucket, symbol, qty, cost_micro, realized_micro FROM positions')
    .safeIntegers(true)
    .all() as { bucket: string; symbol: string; qty: bigint; cost_micro: bigint; realized_micro: bigint }[];
  return new Map(rows.map((r) => [`${r.bucket}|${r.symbol}`, { qty: Number(r.qty), cost: r.cost_micro, realized: r.realized_micro }]));
}

/** Band figures from positions and ticks, exactly (BigInt), as docs/spec.md §4 defines them. */
function band(book: Map<string, Pos>, ticks: Map<string, number>, equity: number) {
  let long = 0n;
  let short = 0n;
  let gross = 0n;
  for (const [key, p] of book) {
    if (p.qty === 0) continue;
    const [bucket, symbol] = key.split('|');
    const t = ticks.get(symbol);
    if (t === undefined) continue;
    const g = BigInt(Math.abs(p.qty)) * BigInt(t);
    gross += g;
    if (bucket === 'LT') {
      if (p.qty > 0) long += g;
      else short += g;
    }
  }
  const lt = long + short;
  const pct = (a: bigint, b: bigint) => (b === 0n ? null : Number((a * 10n ** 12n) / b) / 1e10);
  return {
    long_pct: pct(long, lt),
    short_pct: pct(short, lt),
    gross_pct: pct(gross, BigInt(Math.round(equity * 1e6))) ?? 0,
    grossMicro: gross,
  };
}

interface Scenario {
  name: string;
  setup(db: Db, now: number): void;
  config(): RiskConfig;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'demo book (LT long too high)',
    setup(db) {
      loadDemoBook(db);
    },
    config() {
      const c = defaultConfig();
      c.buckets.LT.band_drift.corrective_intent_size_pct = 0.05;
      c.buckets.LT.band_drift.tolerance_days = 1;
      return c;
    },
  },
  {
    name: 'shorts too high and under water, cap binding',
    setup(db, now) {
      const rows = [
        ['LT', 'AAPL', 4000, 150],
        ['LT', 'MSFT', 1500, 300],
        ['LT', 'JPM', 3000, 150],
        ['LT', 'TSLA', -9000, 200],
        ['LT', 'INTC', -60000, 25],
        ['LT', 'BA', -6000, 180],
        ['MM', 'SPY', 4000, 500],
      ];
      const ticks: Record<string, number> = { AAPL: 190, MSFT: 415, JPM: 198, TSLA: 240, INTC: 31, BA: 205, SPY: 520 };
      const csv = ['bucket,symbol,qty,avg_cost', ...rows.map((r) => r.join(','))].join('\n');
      const r = importPositions(db, csv, 'soak');
      if (r.errors.length) throw new Error(`soak book import failed: ${r.errors.join('; ')}`);
      setTicks(
        db,
        Object.entries(ticks).map(([symbol, p]) => ({ symbol, priceMicro: p * 1_000_000, ts: now, source: 'soak' })),
      );
    },
    config() {
      const c = defaultConfig();
      c.buckets.LT.band_drift.corrective_intent_size_pct = 0.05;
      c.buckets.LT.band_drift.tolerance_days = 1;
      c.buckets.LT.band_drift.max_open_intents = 6;
      return c;
    },
  },
];

export async function runEngineSoak(opts: { dir: string; days: number; seed: number; log?: (s: string) => void }): Promise<EngineSoakReport> {
  const counts: Record<string, number> = {
    scenarios: 0,
    days: 0,
    cycles: 0,
    intents: 0,
    approved: 0,
    rejected: 0,
    cap_refusals: 0,
    halt_refusals: 0,
    fills: 0,
    expired: 0,
    increases_approved: 0,
    derisk_cycles: 0,
    max_gross_pct_x100: 0,
    checks: 0,
  };
  const violations: string[] = [];
  const notes: string[] = [];
  const v = (m: string) => {
    if (violations.length < 40) violations.push(m);
  };
  mkdirSync(opts.dir, { recursive: true });

  for (const [si, sc] of SCENARIOS.entries()) {
    counts.scenarios++;
    const rng = new Rng(opts.seed + si);
    const db = openDb(`${opts.dir}/engine-${si}.db`);
    try {
      const days = tradingDays('2026-01-05', opts.days);
      let now = days[0].set({ hour: 9, minute: 0 }).toMillis();
      sc.setup(db, now);
      const cfg = sc.config();
      const state = { config: cfg, valid: true, messages: [] as string[] };
      const prices = new RandomWalkSimulator({ seed: opts.seed + si, volBps: 12 });
      const engine = new Engine({ db, config: () => state, prices, actor: 'soak-trader', now: () => now });
      engine.sync(now);
      const opening = readBook(db);
      if (si === 1) {
        // Make the cap bind: a little above the opening gross.
        const g = band(opening, readTicks(db), cfg.account.equity).gross_pct;
        cfg.global.hard_cap_gross_pct = Math.round((g + 1.5) * 10) / 10;
        notes.push(`${sc.name}: opening gross ${g.toFixed(2)}%, hard cap set to ${cfg.global.hard_cap_gross_pct}%`);
      }
      const capMicro = BigInt(Math.round(cfg.account.equity * 1e6)) * BigInt(Math.round(cfg.global.hard_cap_gross_pct * 1e6)) / 100_000_000n;
      // The kill switch on the first CORRECTING day (tolerance 1): intents proposed at the open are still pending.
      const haltDay = Math.min(1, days.length - 1);
      let scenarioFills = 0;

      for (const [di, day] of days.entries()) {
        counts.days++;
        for (let k = 0; k <= (6.5 * 60) / CYCLE_MIN; k++) {
          now = day.set({ hour: 9, minute: 30 }).plus({ minutes: k * CYCLE_MIN }).toMillis();
          const halted = di === haltDay && k >= 1 && k < 13;
          if (di === haltDay && k === 1) engine.halt('soak-trader', 'soak: kill switch test', now);
          if (di === haltDay && k === 13) engine.resume('soak-trader', now);
          const ordersBefore = db.prepare('SELECT COUNT(*) FROM paper_orders').pluck().get() as number;
          const fillsBefore = db.prepare("SELECT COUNT(*) FROM paper_orders WHERE status = 'FILLED'").pluck().get() as number;

          const r = engine.cycle(now);
          counts.cycles++;
          counts.intents += r.intents.length;
          counts.expired += r.expired.length;
          if (halted && r.intents.length) v(`cycle ${day.toISODate()} #${k}: HALTED but ${r.intents.length} intents proposed`);

          // The trader: approve most pending intents (some twice), reject a few, leave the rest to expire.
          // (the trader goes home early: what is still pending at the close expires)
          const pending = k < 30 && !(di === haltDay && k === 0) ? engine.listIntents('PENDING') : [];
          const toApprove = pending.filter(() => halted || rng.chance(0.5)).map((i) => i.id);
          const toReject = pending.filter((i) => !toApprove.includes(i.id) && rng.chance(0.15)).map((i) => i.id);
          let approvedIncrease = false;
          let approvedCommitted = 0n;
          if (toApprove.length) {
            const again = toApprove.filter(() => rng.chance(0.2));
            const outs = engine.approve([...toApprove, ...again], 'soak-trader', now);
            for (const o of outs.slice(0, toApprove.length)) {
              if (o.ok && o.status === 'WORKING') {
                const i = pending.find((x) => x.id === o.id);
                if (i && parseClassification(i.classification).effect === 'INCREASE') approvedIncrease = true;
              }
              if (o.ok) counts.approved++;
              else if (/hard cap/.test(o.message)) counts.cap_refusals++;
              else if (/HALTED/.test(o.message)) counts.halt_refusals++;
              else v(`approve ${o.id} refused: ${o.message}`);
              if (halted && o.ok) v(`approve ${o.id} succeeded while HALTED`);
            }
          }
          if (toReject.length) {
            for (const o of engine.reject(toReject, 'soak-trader', 'soak: not now', now)) if (o.ok) counts.rejected++;
          }
          if (approvedIncrease) {
            counts.increases_approved++;
            const t = readTicks(db);
            let c = band(readBook(db), t, cfg.account.equity).grossMicro;
            for (const i of engine.listIntents('OPEN', 1_000_000)) {
              if (i.status === 'PENDING' || parseClassification(i.classification).effect !== 'INCREASE') continue;
              c += BigInt(i.qty - i.filled_qty) * BigInt(t.get(i.symbol) ?? 0);
            }
            approvedCommitted = c;
          }

          // ---- checks ----
          counts.checks++;
          const where = `${sc.name}, ${DateTime.fromMillis(now, { zone: TZ }).toFormat('yyyy-LL-dd HH:mm')}`;
          const ordersAfter = db.prepare('SELECT COUNT(*) FROM paper_orders').pluck().get() as number;
          const fillsAfter = db.prepare("SELECT COUNT(*) FROM paper_orders WHERE status = 'FILLED'").pluck().get() as number;
          if (halted && ordersAfter !== ordersBefore) v(`${where}: an order was sent while HALTED`);
          if (halted && fillsAfter !== fillsBefore) v(`${where}: an order filled while HALTED`);
          scenarioFills = fillsAfter;
          engine.sync(now);

          const ledgerPos = db.prepare("SELECT pos FROM ledger_consumers WHERE name = 'ledger'").pluck().get() as number | undefined;
          if ((ledgerPos ?? 0) !== logEnd(db)) v(`${where}: ledger at ${ledgerPos} of ${logEnd(db)} log entries`);

          // The engine's view: opening book + FILLED intents; the ledger's positions must equal it.
          const all = engine.listIntents('ALL', 1_000_000);
          const engineQty = new Map<string, number>();
          for (const [key, p] of opening) engineQty.set(key, p.qty);
          for (const i of all) {
            if (i.side !== sideOf(i.classification as Classification)) v(`${where}: intent ${i.id} side ${i.side} disagrees with ${i.classification}`);
            if (!(i.qty > 0)) v(`${where}: intent ${i.id} qty ${i.qty}`);
            if (i.status !== 'FILLED') continue;
            const key = `${parseClassification(i.classification).bucket}|${i.symbol}`;
            engineQty.set(key, (engineQty.get(key) ?? 0) + (i.side === 'BUY' ? i.qty : -i.qty));
          }
          const ledger = readBook(db);
          for (const key of new Set([...engineQty.keys(), ...ledger.keys()])) {
            const a = engineQty.get(key) ?? 0;
            const b = ledger.get(key)?.qty ?? 0;
            if (a !== b) v(`${where}: ${key}: engine's book ${a}, ledger ${b}`);
          }
          // Cost and realized: an average-cost replay of the broker's fills over the opening book.
          const replay = new Map([...opening].map(([k, p]) => [k, { ...p }]));
          const fillRows = db
            .prepare("SELECT raw FROM event_log WHERE source = 'paper' AND raw LIKE '%\"FILL\"%' ORDER BY seq")
            .pluck()
            .all() as string[];
          for (const raw of fillRows) {
            const e = JSON.parse(raw) as { classification: string; symbol: string; side: 'BUY' | 'SELL'; fill_qty: number; fill_price: number };
            applyFill(replay, `${e.classification.slice(0, 2)}|${e.symbol}`, e.side, e.fill_qty, Math.round(e.fill_price * 1e6));
          }
          for (const [key, p] of replay) {
            const l = ledger.get(key);
            if (!l || l.qty !== p.qty || l.cost !== p.cost || l.realized !== p.realized) {
              v(`${where}: ${key}: ledger ${l ? `${l.qty}/${l.cost}/${l.realized}` : 'missing'}, replay ${p.qty}/${p.cost}/${p.realized}`);
            }
          }
          // Intent and order states agree.
          const orders = new Map(
            (db.prepare('SELECT intent_id, status FROM paper_orders').all() as { intent_id: string; status: string }[]).map((o) => [o.intent_id, o.status]),
          );
          for (const i of all) {
            const o = orders.get(i.id);
            if (i.status === 'WORKING' && o !== 'WORKING') v(`${where}: intent ${i.id} WORKING, its order ${o ?? 'missing'}`);
            if (i.status === 'FILLED' && o !== 'FILLED') v(`${where}: intent ${i.id} FILLED, its order ${o ?? 'missing'}`);
            if ((i.status === 'PENDING' || i.status === 'REJECTED' || i.status === 'EXPIRED') && o) v(`${where}: intent ${i.id} ${i.status} has an order`);
          }
          // The engine's band figures equal the recomputation from the ledger's positions (at this cycle's ticks).
          const ticks = readTicks(db);
          const mine = band(ledger, ticks, cfg.account.equity);
          const st = engine.status(now);
          const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) < 1e-6);
          if (!close(st.long_pct, mine.long_pct) || !close(st.short_pct, mine.short_pct) || !close(st.gross_pct, mine.gross_pct)) {
            v(`${where}: engine reports long ${st.long_pct} short ${st.short_pct} gross ${st.gross_pct}; recomputed ${mine.long_pct} ${mine.short_pct} ${mine.gross_pct}`);
          }
          counts.max_gross_pct_x100 = Math.max(counts.max_gross_pct_x100, Math.round(mine.gross_pct * 100));
          // The hard cap: never passed in NORMAL mode (prices alone can push gross over it: the engine is then in DERISK).
          if (st.mode === 'NORMAL' && mine.grossMicro > capMicro) v(`${where}: gross ${mine.gross_pct.toFixed(3)}% over the cap in NORMAL mode`);
          if (st.mode === 'DERISK') counts.derisk_cycles++;
          if (approvedIncrease) {
            // Right after an approval that committed an increase (same ticks): gross + every working increase <= cap.
            const committed = approvedCommitted;
            if (committed > capMicro) {
              v(`${where}: after approving an increase, gross + working increases = ${committed} micro > cap ${capMicro}`);
            }
          }
        }
      }
      counts.fills += scenarioFills;
      opts.log?.(`engine soak: ${sc.name}: ${counts.cycles} cycles so far, ${counts.fills} fills`);
    } finally {
      db.close();
    }
  }
  return { counts, violations, notes };
}
