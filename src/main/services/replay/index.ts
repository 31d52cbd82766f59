// The policy lab's replay (docs/spec.md §16): the band controller run again over past trading days under a config,
// on an in-memory copy of the book. Each trading day of the account calendar in [from, to]: prices at the
// evaluation time, ONE cycle of the real Engine (the live controller, episodes, sizing, cap), the proposed
// intents approved per policy through the real approval path, the paper broker filling them on the day's later
// prices, day orders ended at the close. The live book is opened read-only and never written.
import { accountCalendar, endOfDateEpoch, isIsoDate, isTradingDay, localTimeToEpoch, nextTradingDay } from '../../../shared/calendar';
import { APPROVE_POLICIES, type ApprovePolicy, type ReplayConfig, type ReplayDay, type ReplayResult, type ReplayTotals } from '../../../shared/replay';
import type { RiskConfig } from '../config/schema';
import type { ConfigStateLike } from '../engine/config';
import { Engine } from '../engine/engine';
import { evaluateJson } from '../engine/evaluate';
import { StoreError, type Db } from '../store/db';
import { bookZone, storedZone } from '../store/book-zone';
import { copyOf, openCopy, rewindTo } from './copy';
import { ReplayError } from './errors';
import { pricePath, type PricePath } from './path';
import type { PriceSource } from '../prices/source';
import { setTicks } from '../prices/ticks';

export interface ReplayRequest {
  /** First and last trading date, YYYY-MM-DD (account zone). */
  from: string;
  to: string;
  /** Evaluation time of each day, HH:MM in the account zone (default '10:00'). */
  at?: string;
  /** Which proposed intents are approved (default 'all'). */
  approve?: ApprovePolicy;
  /** Historical ticks, CSV `symbol,price,ts` (docs/spec.md §7); null/absent: the stored tick history, else the simulator. */
  pricesCsv?: string | null;
  /** How errors about pricesCsv name it (default 'price file'). */
  pricesName?: string;
  /** Seed of the price simulator (default 42). */
  seed?: number;
}

export { ReplayError };

export interface ReplayHooks {
  /** After each trading day: days done, days in all. */
  onProgress?: (done: number, total: number) => void;
  /** Asked before each trading day; true stops the replay with ReplayError code CANCELED. */
  isCancelled?: () => boolean;
  /** The better-sqlite3 build to load (the desktop app passes its Electron build); default: the package's own. */
  nativeBinding?: string;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const ACTOR = 'replay';

/** The effective band rules a replay runs under (what `--json` prints as "config"). */
function replayConfig(c: RiskConfig): ReplayConfig {
  const b = c.buckets.LT.band_drift;
  return {
    long_pct_range: [b.long_pct_range[0], b.long_pct_range[1]],
    short_pct_range: [b.short_pct_range[0], b.short_pct_range[1]],
    tolerance_days: b.tolerance_days,
    corrective_intent_size_pct: b.corrective_intent_size_pct,
    max_intents_per_cycle: b.max_intents_per_cycle,
    max_open_intents: b.max_open_intents,
    prefer_positive_pnl: b.prefer_positive_pnl,
    acceptable_loss_pct: b.acceptable_loss_pct,
    lot_size: b.lot_size,
    equity: c.account.equity,
    hard_cap_gross_pct: c.global.hard_cap_gross_pct,
  };
}

/** The trading days of [from, to] in the account calendar of `config`. */
function tradingDays(from: string, to: string, config: RiskConfig, zone: string): string[] {
  const cal = accountCalendar(zone, config.account);
  const days: string[] = [];
  let d = isTradingDay(from, cal) ? from : nextTradingDay(from, cal);
  while (d <= to) {
    days.push(d);
    d = nextTradingDay(d, cal);
  }
  return days;
}

function checkRequest(req: ReplayRequest): { at: string; policy: ApprovePolicy } {
  for (const [name, v] of [['from', req.from], ['to', req.to]] as const) {
    if (typeof v !== 'string' || !isIsoDate(v)) throw new ReplayError(`--${name} '${String(v)}' must be a calendar date YYYY-MM-DD`);
  }
  if (req.from > req.to) throw new ReplayError(`--from ${req.from} is after --to ${req.to}`);
  const at = req.at ?? '10:00';
  if (!HHMM.test(at)) throw new ReplayError(`--at '${at}' must be HH:MM (24-hour, account time zone)`);
  const policy = req.approve ?? 'all';
  if (!(APPROVE_POLICIES as readonly string[]).includes(policy)) {
    throw new ReplayError(`--approve '${String(policy)}' must be ${APPROVE_POLICIES.slice(0, -1).join(', ')} or ${APPROVE_POLICIES[APPROVE_POLICIES.length - 1]}`);
  }
  if (req.seed !== undefined && (!Number.isSafeInteger(req.seed) || req.seed < 0)) {
    throw new ReplayError(`--seed '${String(req.seed)}' must be a whole number >= 0`);
  }
  return { at, policy };
}

/**
 * The rewound working copy of one book and request, kept for the next config of a comparison: a book that stores
 * its zone is rewound to the same instant whatever the config (bookZone forces the stored zone).
 */
export interface SharedCopy {
  image?: Buffer;
}

/**
 * Replays the band controller over the trading days of [req.from, req.to] under `config`, on a copy of the book in
 * `dbFile` (docs/spec.md §16). Throws ReplayError for bad input (one line) or a cancel. `shared`: the same object
 * for each config replayed over the same `dbFile` and `req`, so the copy is made and rewound once.
 */
export function replay(dbFile: string, config: RiskConfig, req: ReplayRequest, hooks: ReplayHooks = {}, shared?: SharedCopy): ReplayResult {
  const { at, policy } = checkRequest(req);
  const rewound = shared?.image;
  const db = rewound ? copyOf(rewound, hooks.nativeBinding) : openCopy(dbFile, hooks.nativeBinding);
  try {
    const zoneStored = storedZone(db) !== null;
    let zone: string;
    try {
      zone = bookZone(db, config.account.timezone, 'the replay config');
    } catch (e) {
      if (e instanceof StoreError) throw new ReplayError(e.message.replace('database :memory:', `database ${dbFile}`));
      throw e;
    }
    // Each day is evaluated before its close: at or after it, intents would be for the next session and never
    // work in this one (before the open they are staged and released at it, as in the console).
    if (at >= config.account.market_close) {
      throw new ReplayError(
        `--at '${at}' is at or after account.market_close (${config.account.market_close}): each day is evaluated before its close (before the open, approvals are staged and released at it)`,
      );
    }
    const days = tradingDays(req.from, req.to, config, zone);
    if (days.length === 0) throw new ReplayError(`no trading day from ${req.from} to ${req.to} in the account calendar (${zone})`);
    const fromOpen = localTimeToEpoch(req.from, '00:00', zone);
    if (!rewound) {
      rewindTo(db, fromOpen, req.from, zone);
      if (shared && zoneStored) shared.image = db.serialize();
    }
    const state: ConfigStateLike = { config, valid: true, messages: [], file: null };
    let clock = fromOpen;
    const firstAt = localTimeToEpoch(days[0], at, zone);
    const path = pricePath(db, {
      csv: req.pricesCsv ?? null,
      csvName: req.pricesName ?? 'price file',
      seed: req.seed ?? 42,
      fromOpen,
      end: endOfDateEpoch(days[days.length - 1], zone),
      firstAt,
      zone,
      at,
      firstDay: days[0],
    });
    // The day's prices reach the engine as a price source: its cycle sets them (patching its in-memory ticks), lets
    // the broker look, and evaluates — the live console's timed cycle.
    const prices: PriceSource = {
      name: `replay-${path.source}`,
      advance(d, now) {
        const rows = path.rowsAt(now);
        if (rows.length) setTicks(d, rows);
        return rows;
      },
    };
    const engine = new Engine({ db, config: () => state, actor: ACTOR, now: () => clock, timezone: zone, prices });
    return run(engine, db, path, days, at, policy, config, req, hooks, (t) => (clock = t));
  } finally {
    db.close();
  }
}

function run(
  engine: Engine,
  db: Db,
  path: PricePath,
  days: readonly string[],
  at: string,
  policy: ApprovePolicy,
  config: RiskConfig,
  req: ReplayRequest,
  hooks: ReplayHooks,
  setClock: (t: number) => void,
): ReplayResult {
  const zone = engine.zone;
  const fillsOf = db.prepare(
    'SELECT COUNT(*) AS n, COALESCE(SUM(qty * price_micro), 0) AS notional FROM fills WHERE intent_id IS NOT NULL AND trading_date = ?',
  );
  const working = db.prepare("SELECT DISTINCT symbol FROM paper_orders WHERE status = 'WORKING'").pluck();
  const out: ReplayDay[] = [];
  const totals: ReplayTotals = {
    trading_days: days.length,
    days_out_of_band: 0,
    intents: 0,
    fills: 0,
    turnover_notional: 0,
    max_gross_pct: 0,
    cap_refusals: 0,
  };
  let turnoverMicro = 0;
  for (let i = 0; i < days.length; i++) {
    if (hooks.isCancelled?.()) throw new ReplayError(`replay canceled after ${i} of ${days.length} trading days`, 'CANCELED');
    const day = days[i];
    const t = localTimeToEpoch(day, at, zone);
    const close = engine.closeOf(day);
    setClock(t);
    const r = engine.cycle(t);
    let ids = r.intents.map((x) => x.id);
    if (policy === 'none') ids = [];
    else if (policy === 'pnl-positive') ids = ids.filter((id) => (engine.store.get(id)?.pnl_pct ?? -Infinity) > 0);
    if (ids.length) {
      for (const o of engine.approve(ids, ACTOR, t)) {
        if (!o.ok && o.message.startsWith('hard cap:')) totals.cap_refusals++;
      }
    }
    const symbols = new Set(working.all() as string[]);
    if (symbols.size) {
      const intraday = path.intraday(t, close, symbols);
      if (intraday.length) {
        engine.applyTicks(intraday, t);
      }
    }
    setClock(close);
    engine.tidy(close);
    engine.sync(close);
    const f = fillsOf.get(day) as { n: number; notional: number };
    // The band figures rounded as `evaluate --json` rounds them.
    const e = evaluateJson(r);
    const row: ReplayDay = {
      date: day,
      status: e.status,
      long_pct: e.long_pct,
      short_pct: e.short_pct,
      gross_pct: e.gross_pct,
      days_in_violation: e.days_in_violation,
      intents: r.intents.length,
      fills: f.n,
      turnover_notional: Math.round(f.notional / 10_000) / 100,
    };
    out.push(row);
    if (r.days_in_violation > 0) totals.days_out_of_band++;
    totals.intents += row.intents;
    totals.fills += row.fills;
    turnoverMicro += f.notional;
    totals.max_gross_pct = Math.max(totals.max_gross_pct, row.gross_pct);
    hooks.onProgress?.(i + 1, days.length);
  }
  totals.turnover_notional = Math.round(turnoverMicro / 10_000) / 100;
  return { from: req.from, to: req.to, config: replayConfig(config), days: out, totals };
}

