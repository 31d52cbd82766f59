// Shared by the policy lab's tests: configs that differ from the shipped one in a few keys, and the demo book's
// ticks as a price file (docs/spec.md §14: the demo book's prices).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_CONFIG } from '../support/config';

/** The shipped risk_rules.yaml with tolerance_days (and optionally retention.raw_days) changed, written into dir. */
export function configWith(dir: string, name: string, opts: { tolerance?: number; rawDays?: number }): string {
  let text = readFileSync(SHIPPED_CONFIG, 'utf8');
  if (opts.tolerance !== undefined) text = text.replace(/tolerance_days: \d+/, `tolerance_days: ${opts.tolerance}`);
  if (opts.rawDays !== undefined) text = text.replace(/raw_days: \d+/, `raw_days: ${opts.rawDays}`);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The demo book's ticks (src/main/services/demo.ts), every symbol it holds. */
export const DEMO_TICKS: Readonly<Record<string, number>> = {
  AAPL: 190,
  MSFT: 415,
  NVDA: 120,
  AMZN: 178,
  JPM: 198,
  XOM: 112,
  'BRK.B': 410,
  TSLA: 240,
  INTC: 31,
  BA: 205,
  DIS: 98,
  SPY: 520,
  QQQ: 450,
  IWM: 210,
};

/** `symbol,price,ts` rows of the given prices at one instant. */
export function tickRows(prices: Readonly<Record<string, number>>, ts: string): string[] {
  return Object.entries(prices).map(([s, p]) => `${s},${p.toFixed(2)},${ts}`);
}
