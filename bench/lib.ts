// Shared bits of `npm run bench`: each section measures its figure beside its baseline in the same run.
import type { Db } from '../src/main/services/store/db';
export interface BenchResult {
  /** docs/spec.md §13 keys, e.g. raw_insert_rows_per_s. */
  figures: Record<string, number>;
  /** Human lines for the table: [label, value, note]. */
  rows: [string, string, string][];
}

export interface BenchSection {
  name: string;
  run(opts: { quick: boolean; tmpDir: string; log: (line: string) => void }): Promise<BenchResult>;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function timeIt<T>(fn: () => T): { ms: number; value: T } {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** The engine's and the replay's bench book: 10,000 LT positions, ~80% long (out of band), a tick each. */
export function book(db: Db, n = 10_000): void {
  const pos = db.prepare('INSERT INTO positions (bucket, symbol, qty, cost_micro, realized_micro, updated_at) VALUES (?, ?, ?, ?, 0, 0)');
  const tick = db.prepare("INSERT INTO ticks (symbol, price_micro, ts, source) VALUES (?, ?, 0, 'bench')");
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const sym = `S${i.toString(36).toUpperCase()}`;
      const qty = (i % 5 === 0 ? -1 : 1) * (100 + ((i * 7919) % 5000)); // ~80% long: out of band
      const avg = 10_000_000 + ((i * 104_729) % 90_000_000); // $10-$100
      const px = Math.round((avg * (90 + ((i * 31) % 30))) / 100 / 10_000) * 10_000; // -10%..+20%
      pos.run('LT', sym, qty, avg * Math.abs(qty));
      tick.run(sym, px);
    }
  })();
}

export function median(xs: number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 50);
}
