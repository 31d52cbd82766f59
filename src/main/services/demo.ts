// The demo book: an LT bucket out of band (long ≈ 77% of LT gross, short ≈ 23%), an MM bucket, a tick for
// every symbol, and (unless asked not to) a short, honest history relative to today, so the first start shows the
// whole loop: CORRECTING with intents to approve, a band chart with its past, and fills in the EOD report. Everything
// it writes is marked demo (app_state demo_loaded_at; the console's header says so). Loading it twice changes
// nothing.
import { accountCalendar, closeTimeOf, DEFAULT_TIMEZONE, isTradingDay, localTimeToEpoch, previousTradingDay, tradingDateOf, tradingDaysBetween, type Calendar } from '../../shared/calendar';
import { sessionAt, type SessionHours } from '../../shared/session';
import { toMicro } from '../../shared/money';
import { parseClassification, sideOf, type Bucket, type Classification } from '../../shared/domain';
import { startEpisode } from './bands/episodes';
import { LedgerConsumer } from './ledger/consumer';
import { appendEvents } from './ledger/log';
import { now as clockNow } from './clock';
import { getState, setState, type Db } from './store/db';

interface DemoPosition {
  bucket: Bucket;
  symbol: string;
  qty: number;
  avgCost: number;
  tick: number;
}

export const DEMO_BOOK: readonly DemoPosition[] = [
  // LT longs (≈ $6.45M gross); AMZN and XOM under water
  { bucket: 'LT', symbol: 'AAPL', qty: 8_000, avgCost: 150.0, tick: 190.0 },
  { bucket: 'LT', symbol: 'MSFT', qty: 3_000, avgCost: 320.0, tick: 415.0 },
  { bucket: 'LT', symbol: 'NVDA', qty: 6_000, avgCost: 95.0, tick: 120.0 },
  { bucket: 'LT', symbol: 'AMZN', qty: 5_000, avgCost: 185.0, tick: 178.0 },
  { bucket: 'LT', symbol: 'JPM', qty: 4_000, avgCost: 160.0, tick: 198.0 },
  { bucket: 'LT', symbol: 'XOM', qty: 6_000, avgCost: 118.0, tick: 112.0 },
  { bucket: 'LT', symbol: 'BRK.B', qty: 1_500, avgCost: 380.0, tick: 410.0 },
  // LT shorts (≈ $1.88M gross); BA under water
  { bucket: 'LT', symbol: 'TSLA', qty: -2_500, avgCost: 260.0, tick: 240.0 },
  { bucket: 'LT', symbol: 'INTC', qty: -20_000, avgCost: 38.0, tick: 31.0 },
  { bucket: 'LT', symbol: 'BA', qty: -1_800, avgCost: 190.0, tick: 205.0 },
  { bucket: 'LT', symbol: 'DIS', qty: -3_000, avgCost: 105.0, tick: 98.0 },
  // MM bucket (≈ $1.8M gross)
  { bucket: 'MM', symbol: 'SPY', qty: 2_000, avgCost: 500.0, tick: 520.0 },
  { bucket: 'MM', symbol: 'QQQ', qty: -1_000, avgCost: 440.0, tick: 450.0 },
  { bucket: 'MM', symbol: 'IWM', qty: 1_500, avgCost: 205.0, tick: 210.0 },
];

export interface DemoOptions {
  /**
   * Seed a short history relative to `now` (default true): band history for the last ten trading days through the
   * last completed session, with a violation that started so that the first cycle at `now` is CORRECTING (its third
   * trading day); and paper fills on the last two sessions that have opened. Off: the book and its ticks only (tests
   * that replay a past period).
   */
  history?: boolean;
  /** The account calendar (default: New York with the NYSE calendar). */
  calendar?: Calendar;
  /** The regular session (default 09:30–16:00, the shipped config's). */
  hours?: SessionHours;
}

/** The shipped config's tolerance: the demo's violation starts so that the first cycle is its day TOLERANCE + 1. */
const TOLERANCE_DAYS = 2;

/** Fills of the demo's recent past: on the session before the latest one that opened, and on that one. */
const DEMO_FILLS: readonly { day: 'previous' | 'today'; at: string; symbol: string; classification: Classification; qty: number; price: number }[] = [
  { day: 'previous', at: '10:12', symbol: 'TSLA', classification: 'LT_SHORT_DECREASE', qty: 300, price: 241.6 },
  { day: 'previous', at: '11:05', symbol: 'SPY', classification: 'MM_LONG_INCREASE', qty: 500, price: 518.2 },
  { day: 'previous', at: '12:20', symbol: 'JPM', classification: 'LT_LONG_DECREASE', qty: 200, price: 197.4 },
  { day: 'today', at: '09:41', symbol: 'NVDA', classification: 'LT_LONG_DECREASE', qty: 100, price: 120.4 },
  { day: 'today', at: '09:52', symbol: 'QQQ', classification: 'MM_SHORT_DECREASE', qty: 200, price: 449.5 },
];

/** LT long % of the demo's past sessions: in band, then out from two trading days before today. */
const HISTORY_LONG_PCT = [66.4, 67.1, 66.8, 67.9, 68.6, 68.2, 69.1, 71.8, 74.2, 76.3];
const HISTORY_TIMES = ['10:00', '12:00', '14:00', '15:45'];

/** Loads the demo book once per database. Returns false if it was already loaded. */
export function loadDemoBook(db: Db, now = clockNow(), opts: DemoOptions = {}): boolean {
  if (getState(db, 'demo_loaded_at')) return false;
  const cal = opts.calendar ?? accountCalendar(DEFAULT_TIMEZONE, { holidays: [] });
  const hours = opts.hours ?? { open: '09:30', close: '16:00' };
  const history = opts.history !== false;
  const zone = cal.timezone;
  const session = sessionAt(now, cal, hours);
  const todayDate = tradingDateOf(now, zone);
  // The latest trading day the first cycle counts (a weekend or a holiday adds none): the violation's third day.
  const counted = isTradingDay(todayDate, cal) ? todayDate : previousTradingDay(todayDate, cal);
  // The latest session that has opened (today's once open; before the open, on a weekend or a holiday the last one).
  const opened = session.phase === 'OPEN' || session.phase === 'CLOSED' ? todayDate : session.last.date;
  const previous = previousTradingDay(opened, cal);
  // Only fills that have happened: the latest session's once their time has passed.
  const fills = history
    ? DEMO_FILLS.map((f) => ({ ...f, ts: localTimeToEpoch(f.day === 'today' ? opened : previous, f.at, zone) })).filter((f) => f.ts < now)
    : [];
  // Ticks as of now while the session is open, else the last session's close (the closing prices stand overnight).
  const tickTs = session.phase === 'OPEN' ? now : Math.min(now, session.last.closes_at);
  // The opening book is the demo book less what those fills did, so that the ledger, applying them, lands on it.
  const opening = new Map(DEMO_BOOK.map((p) => [`${p.bucket}\u0000${p.symbol}`, p.qty]));
  for (const f of fills) {
    const key = `${parseClassification(f.classification).bucket}\u0000${f.symbol}`;
    opening.set(key, (opening.get(key) ?? 0) - (sideOf(f.classification) === 'BUY' ? f.qty : -f.qty));
  }
  const pos = db.prepare(
    `INSERT INTO positions (bucket, symbol, qty, cost_micro, realized_micro, updated_at) VALUES (?, ?, ?, ?, 0, ?)
     ON CONFLICT(bucket, symbol) DO NOTHING`,
  );
  const tick = db.prepare(
    `INSERT INTO ticks (symbol, price_micro, ts, source) VALUES (?, ?, ?, 'demo')
     ON CONFLICT(symbol) DO NOTHING`,
  );
  db.transaction(() => {
    for (const p of DEMO_BOOK) {
      const qty = opening.get(`${p.bucket}\u0000${p.symbol}`) ?? p.qty;
      pos.run(p.bucket, p.symbol, qty, toMicro(p.avgCost) * Math.abs(qty), now);
      tick.run(p.symbol, toMicro(p.tick), tickTs);
    }
    if (history) seedHistory(db, cal, counted, session.last.date, now);
    if (fills.length) {
      appendEvents(
        db,
        fills.flatMap((f, i) => {
          const base = { order_id: `demo-o-${i + 1}`, symbol: f.symbol, classification: f.classification, side: sideOf(f.classification) };
          return [
            JSON.stringify({ event_id: `demo-${i + 1}-new`, ts: new Date(f.ts - 60_000).toISOString(), event_type: 'NEW', ...base }),
            JSON.stringify({ event_id: `demo-${i + 1}-fill`, ts: new Date(f.ts).toISOString(), event_type: 'FILL', fill_qty: f.qty, fill_price: f.price, ...base }),
          ];
        }),
        'demo',
      );
    }
    setState(db, 'demo_loaded_at', new Date(now).toISOString());
  })();
  if (fills.length) new LedgerConsumer(db, { timezone: zone }).runToEnd();
  return true;
}

/**
 * Band history for the ten trading days up to `counted` (the latest trading day the first cycle counts), through
 * `lastDone`, the last completed session (a session still open or yet to open writes its own cycles); the open
 * violation episode that started TOLERANCE_DAYS trading days before `counted`; and a line a day in the cycle log.
 */
function seedHistory(db: Db, cal: Calendar, counted: string, lastDone: string, now: number): void {
  const zone = cal.timezone;
  const days: string[] = [];
  for (let d = counted; days.length < HISTORY_LONG_PCT.length; d = previousTradingDay(d, cal)) days.unshift(d);
  const hist = db.prepare('INSERT INTO band_history (ts, long_pct, short_pct, gross_pct, status, mode) VALUES (?, ?, ?, ?, ?, ?)');
  const cycle = db.prepare('INSERT INTO engine_cycles (at, mode, status, message) VALUES (?, ?, ?, ?)');
  const startIdx = days.length - 1 - TOLERANCE_DAYS;
  const start = days[startIdx];
  days.forEach((day, i) => {
    if (i === startIdx) startEpisode(db, localTimeToEpoch(day, HISTORY_TIMES[0], zone), day, 'long HIGH');
    if (day > lastDone) return;
    const base = HISTORY_LONG_PCT[i];
    const dayN = i >= startIdx ? tradingDaysBetween(start, day, cal) : 0;
    const close = closeTimeOf(day, cal, '16:00');
    HISTORY_TIMES.forEach((t, k) => {
      const ts = localTimeToEpoch(day, t, zone);
      if (ts >= now || t >= close) return; // the engine does not run cycles into the future, nor past an early close
      const long = Math.round((base + (k - 1.5) * 0.15) * 100) / 100;
      const status = dayN === 0 ? 'IN_BAND' : dayN <= TOLERANCE_DAYS ? 'WATCH' : 'CORRECTING';
      hist.run(ts, long, Math.round((100 - long) * 100) / 100, 101.2 + k * 0.05, status, 'NORMAL');
      if (k === 0) {
        const msg =
          dayN > 0
            ? `${status}: LT long ${long.toFixed(1)}% > 70.0%, day ${dayN} of tolerance ${TOLERANCE_DAYS}; gross 101.2% (demo history)`
            : `IN_BAND: LT long ${long.toFixed(1)}%, short ${(100 - long).toFixed(1)}%; gross 101.2% (demo history)`;
        cycle.run(ts, 'NORMAL', status, msg);
      }
    });
  });
}
