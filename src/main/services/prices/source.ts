// Price sources (docs/spec.md §7): something that moves truth ticks. The simulator is the default of the long-running
// console; CSV files are applied by `bandctl prices`; the Redis bridge writes ticks itself (no advance()).
import type { Db } from '../store/db';
import type { TickRow } from './ticks';

export interface PriceSource {
  /** Shown in the header: `simulator`, `csv`, `redis`, `static`. */
  readonly name: string;
  /** Moves ticks at `now` (writes them) and returns the ticks it set, in the order they happened. */
  advance?(db: Db, now: number): TickRow[];
  /** A simulated market: the engine advances it only while the session is open (docs/spec.md §7). */
  readonly sessionOnly?: boolean;
}

/** Ticks stay what the database holds (CLI evaluate; the Redis bridge updates them from outside). */
export const staticPrices: PriceSource = { name: 'static' };
