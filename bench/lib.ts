// Shared bits of `npm run bench`: each section measures its figure beside its baseline in the same run.
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
