// npm run soak [-- --only fuzz|corruption|engine|redis] [--mutations N] [--days N] [--redis-events N] [--seed S] [--keep]
// The long reliability suite (not part of npm test): prints its counts, exits 0, or 1 on any violation.
//   fuzz        100,000 mutations of valid docs/spec.md §7 events into the ledger's ingest path
//   corruption  truncated / scribbled-over copies of a database: clear message, restore from the daily backup
//   engine      the engine and the paper broker over simulated days with simulated prices: after every cycle the
//               ledger's positions equal the engine's view of the book, and gross never passes the hard cap
//   redis       the ledger's consumer on a redis-server of its own while faults strike (kill -9 and restart on the
//               AOF, poison entries, trims, FLUSHALL): prints applied, dead_lettered and lost (must be 0)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDb } from '../src/main/services/store/db';
import { runCorruptionSuite } from './corruption';
import { generateLines, runFuzz } from './fuzz';

interface SectionResult {
  name: string;
  counts: Record<string, number | string>;
  violations: string[];
  notes?: string[];
}

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    mutations: { type: 'string' },
    days: { type: 'string' },
    'redis-events': { type: 'string' },
    seed: { type: 'string' },
    keep: { type: 'boolean' },
    json: { type: 'boolean' },
  },
});

function num(v: string | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`soak: --${name} must be a whole number, got '${v}'\n`);
    process.exit(2);
  }
  return n;
}

const SECTIONS = ['fuzz', 'corruption', 'engine', 'redis'] as const;
const only = values.only?.split(',') ?? [...SECTIONS];
for (const o of only) {
  if (!(SECTIONS as readonly string[]).includes(o)) {
    process.stderr.write(`soak: unknown section '${o}' (fuzz, corruption, engine, redis)\n`);
    process.exit(2);
  }
}
const seed = num(values.seed, 20261125, 'seed');
const mutations = num(values.mutations, 100_000, 'mutations');
const days = num(values.days, 10, 'days');
const redisEvents = num(values['redis-events'], 20_000, 'redis-events');
const work = mkdtempSync(join(tmpdir(), 'band-soak-'));
const log = (s: string) => process.stderr.write(`${s}\n`);

async function fuzzSection(): Promise<SectionResult> {
  const t0 = Date.now();
  // The ingest path proper (raw lines, as `bandctl ingest` and the stream feed them) gets all the mutations; parsed
  // objects with values JSON cannot carry (NaN, BigInt, cycles: what an in-process caller could pass to applyBatch)
  // get a tenth more, in their own database so a failure there does not hide the rest.
  const passes = [
    { name: 'lines', count: mutations, objects: false },
    { name: 'objects', count: Math.ceil(mutations / 10), objects: true },
  ];
  const counts: Record<string, number | string> = {};
  const violations: string[] = [];
  for (const p of passes) {
    const db = openDb(join(work, `fuzz-${p.name}.db`));
    try {
      const lines = generateLines(p.count, seed, { objects: p.objects });
      log(`fuzz (${p.name}): ${lines.length} lines carrying ${p.count} mutations (seed ${seed})`);
      const r = runFuzz(db, lines, { chunk: 10_000 });
      const pre = p.name === 'lines' ? '' : `${p.name}_`;
      Object.assign(counts, {
        [`${pre}mutations`]: r.mutations,
        [`${pre}lines`]: r.lines,
        [`${pre}applied`]: r.applied,
        [`${pre}quarantined`]: r.quarantined,
        [`${pre}duplicates`]: r.duplicates,
        [`${pre}fills`]: r.fills,
      });
      if (!pre) counts.mutation_kinds = Object.keys(r.byMutation).length;
      violations.push(...r.violations.map((x) => `${p.name}: ${x}`));
    } finally {
      db.close();
    }
  }
  counts.seconds = ((Date.now() - t0) / 1000).toFixed(1);
  return { name: 'fuzz', counts, violations };
}

async function corruptionSection(): Promise<SectionResult> {
  const t0 = Date.now();
  const r = await runCorruptionSuite({ dir: join(work, 'corruption'), randomScribbles: 200, seed });
  return {
    name: 'corruption',
    counts: {
      cases: r.cases,
      detected_with_message: r.detected,
      detected_by_check: r.detectedByCheck,
      opened_undetectable_damage: r.undetected,
      opened_as_empty_GAP: r.openedEmpty,
      restored: r.restored,
      seconds: ((Date.now() - t0) / 1000).toFixed(1),
    },
    violations: r.violations,
    notes: r.notes.filter((n) => n.includes('GAP') || n.includes('differs') || n.includes('changed')),
  };
}

async function engineSection(): Promise<SectionResult> {
  const { runEngineSoak } = await import('./engine');
  const t0 = Date.now();
  const r = await runEngineSoak({ dir: join(work, 'engine'), days, seed, log });
  return { name: 'engine', counts: { ...r.counts, seconds: ((Date.now() - t0) / 1000).toFixed(1) }, violations: r.violations, notes: r.notes };
}

async function redisSection(): Promise<SectionResult> {
  const { runRedisSoak } = await import('./redis');
  const r = await runRedisSoak({ dir: join(work, 'redis'), events: redisEvents, seed, log });
  return { name: 'redis', counts: r.counts, violations: r.violations, notes: r.notes };
}

async function main(): Promise<number> {
  const results: SectionResult[] = [];
  const runners: Record<(typeof SECTIONS)[number], () => Promise<SectionResult>> = {
    fuzz: fuzzSection,
    corruption: corruptionSection,
    engine: engineSection,
    redis: redisSection,
  };
  for (const name of SECTIONS) {
    if (!only.includes(name)) continue;
    log(`soak: ${name}...`);
    try {
      results.push(await runners[name]());
    } catch (e) {
      results.push({ name, counts: {}, violations: [`${name} crashed: ${(e as Error).stack ?? String(e)}`] });
    }
  }
  let bad = 0;
  if (values.json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
  }
  for (const r of results) {
    bad += r.violations.length;
    if (values.json) continue;
    const counts = Object.entries(r.counts)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    process.stdout.write(`${r.name.padEnd(10)} ${r.violations.length ? 'FAIL' : 'ok  '} ${counts}\n`);
    for (const n of r.notes ?? []) process.stdout.write(`           note: ${n}\n`);
    for (const v of r.violations) process.stdout.write(`           VIOLATION: ${v}\n`);
  }
  if (!values.json) process.stdout.write(bad ? `soak: ${bad} violation(s)\n` : 'soak: all checks passed\n');
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else log(`soak: work files kept in ${work}`);
  return bad ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`soak: internal error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
