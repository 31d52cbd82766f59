// The demo book: an LT bucket out of band (long ≈ 77% of LT gross, short ≈ 23%), an MM bucket, a tick for
// every symbol. Loading it twice changes nothing.
import { toMicro } from '../../shared/money';
import type { Bucket } from '../../shared/domain';
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

/** Loads the demo book once per database. Returns false if it was already loaded. */
export function loadDemoBook(db: Db, now = Date.now()): boolean {
  if (getState(db, 'demo_loaded_at')) return false;
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
      pos.run(p.bucket, p.symbol, p.qty, toMicro(p.avgCost) * Math.abs(p.qty), now);
      tick.run(p.symbol, toMicro(p.tick), now);
    }
    setState(db, 'demo_loaded_at', new Date(now).toISOString());
  })();
  return true;
}
