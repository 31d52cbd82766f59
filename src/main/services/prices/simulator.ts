// The built-in seeded random-walk tick simulator (docs/spec.md §7): each advance moves every ticked symbol by a
// log-normal step of `volBps` basis points (one sigma), rounded to the cent, never below $0.01.
// Same seed, same symbols, same sequence of advances -> the same ticks.
import type { Db } from '../store/db';
import type { PriceSource } from './source';
import { readTickRows, setTicks, type TickRow } from './ticks';

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimulatorOptions {
  seed?: number;
  /** One-sigma move per advance, in basis points (default 8). */
  volBps?: number;
}

export class RandomWalkSimulator implements PriceSource {
  readonly name = 'simulator';
  readonly sessionOnly = true;
  private readonly rand: () => number;
  private readonly vol: number;
  private spare: number | null = null;

  constructor(opts: SimulatorOptions = {}) {
    this.rand = mulberry32(opts.seed ?? 42);
    this.vol = (opts.volBps ?? 8) / 10_000;
  }

  private gauss(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.rand();
    const v = this.rand();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Next price (micro-USD, whole cents) from a price. */
  step(priceMicro: number): number {
    const next = priceMicro * Math.exp(this.vol * this.gauss());
    return Math.max(10_000, Math.round(next / 10_000) * 10_000);
  }

  advance(db: Db, now: number): TickRow[] {
    const rows = readTickRows(db).map((t) => ({
      symbol: t.symbol,
      priceMicro: this.step(t.priceMicro),
      ts: Math.max(now, t.ts),
      source: this.name,
    }));
    setTicks(db, rows);
    return rows;
  }
}
