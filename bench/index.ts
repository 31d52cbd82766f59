// npm run bench [-- --json] [-- --quick] [-- --only ledger,engine]: measures on this machine and prints a table
// (or one JSON object with the docs/spec.md §13 keys). Sections live beside this file, one per capability.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSection } from './lib';

const SECTIONS: Record<string, () => Promise<{ section: BenchSection }>> = {
  ledger: () => import('./ledger'),
  engine: () => import('./engine'),
  replay: () => import('./replay'),
  console: () => import('./console'),
  redis: () => import('./redis'),
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const quick = args.includes('--quick');
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? args[onlyIdx + 1].split(',') : Object.keys(SECTIONS);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const figures: Record<string, number> = {};
  const rows: [string, string, string][] = [];
  for (const name of only) {
    const load = SECTIONS[name];
    if (!load) throw new Error(`unknown bench section '${name}' (have ${Object.keys(SECTIONS).join(', ')})`);
    const mod = await load();
    const tmpDir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
    try {
      log(`bench: ${name}…`);
      const r = await mod.section.run({ quick, tmpDir, log });
      Object.assign(figures, r.figures);
      rows.push(...r.rows);
    } finally {
      rmSync(tmpDir, { recursive: true, force: true });
    }
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return;
  }
  const w0 = Math.max(10, ...rows.map((r) => r[0].length));
  const w1 = Math.max(8, ...rows.map((r) => r[1].length));
  process.stdout.write(`${'measure'.padEnd(w0)}  ${'value'.padStart(w1)}  note\n`);
  for (const [a, b, c] of rows) process.stdout.write(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${String(e?.stack ?? e)}\n`);
  process.exitCode = 1;
});
