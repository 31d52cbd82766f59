// The ledger section of npm run bench (docs/spec.md §13): the physical baseline (raw better-sqlite3 batched inserts, same
// schema width, time-ordered event_id with a UNIQUE index, 1,000 rows per transaction) measured in the same run as
// the ledger's ingest of N events, their ratio, and the time to produce a report (text + JSON + CSV) for a day of N
// fills. The headline ingest is the product itself: the built CLI (scripts/build-cli.mjs, the one file
// bin/bandctl.cjs runs) as a child process, `node bandctl.cjs ingest --db F FILE` on an N-line file, timed end to end
// (process start, read, parse + validate on its validator thread, exactly-once keys, positions, aggregates, commits,
// the final checkpoint, exit). In-process figures of the consumer alone are extra rows.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { LedgerConsumer } from '../src/main/services/ledger/consumer';
import { appendEvents, compactLog } from '../src/main/services/ledger/log';
import { LineValidator } from '../src/main/services/ledger/validator';
import { reportBundle, reportJson } from '../src/main/services/reports';
import { openDb } from '../src/main/services/store/db';
import { fmt, percentile, timeIt, type BenchSection } from './lib';
import { MIX_TEXT, mixFile, MIXES, SYMBOLS, type Mix, type MixFile } from './mixes';

const ROOT = resolve(__dirname, '..');
const BATCH = 20_000;

/**
 * The physical baseline: better-sqlite3, WAL, synchronous=NORMAL, 1,000 rows per transaction, 10 columns, the
 * same key shape as the events measured against it (time-ordered ids, or random UUIDs).
 */
function rawInsert(file: string, n: number, keyList?: readonly string[]): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.exec(`CREATE TABLE f (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, order_id TEXT, ts INTEGER,
    trading_date TEXT, symbol TEXT, classification TEXT, side TEXT, qty INTEGER, price_micro INTEGER)`);
  const ins = db.prepare(
    `INSERT INTO f (event_id, order_id, ts, trading_date, symbol, classification, side, qty, price_micro)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const t0 = Date.parse('2024-01-15T14:30:00Z');
  const ids = keyList ?? null;
  const tx = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      ins.run(ids ? ids[i] : `ev-${String(i).padStart(10, '0')}`, `o-${i >> 2}`, t0 + i, '2024-01-15', `S${i % SYMBOLS}`,
        'LT_LONG_INCREASE', 'BUY', 1 + (i % 500), 100_000_000 + i);
    }
  });
  const { ms } = timeIt(() => {
    for (let i = 0; i < n; i += 1_000) tx(i, Math.min(n, i + 1_000));
  });
  db.close();
  return (n / ms) * 1000;
}

/**
 * The consumer's ingest of `lines` in BATCH-sized transactions. parallel: parse + validate of the next batch on a
 * validator thread (LedgerConsumer.applyBatches + LineValidator; starting the thread is counted in the time);
 * otherwise everything on this thread (applyBatch per batch).
 */
function ingest(file: string, lines: string[], parallel: boolean): { perS: number; db: ReturnType<typeof openDb> } {
  const db = openDb(file);
  db.pragma('wal_autocheckpoint = 20000'); // as bandctl ingest does for bulk loads
  const c = new LedgerConsumer(db, { timezone: 'America/New_York' });
  let accepted = 0;
  let validator: LineValidator | null = null;
  const { ms } = timeIt(() => {
    if (parallel) {
      validator = LineValidator.start();
      if (!validator) throw new Error('ledger bench: the validator thread did not start');
      const batches: string[][] = [];
      for (let i = 0; i < lines.length; i += BATCH) batches.push(lines.slice(i, i + BATCH));
      accepted = c.applyBatches(batches, 'bench', validator).accepted;
    } else {
      for (let i = 0; i < lines.length; i += BATCH) accepted += c.applyBatch(lines.slice(i, i + BATCH), 'bench').accepted;
    }
    db.pragma('wal_checkpoint(TRUNCATE)'); // as bandctl ingest ends (counted in the time)
  });
  void (validator as LineValidator | null)?.close();
  if (accepted !== lines.length) throw new Error(`ledger bench: accepted ${accepted} of ${lines.length}`);
  return { perS: (lines.length / ms) * 1000, db };
}

/** Builds the CLI into a place of its own under out/ (where better-sqlite3 resolves as it does for out/cli). */
function buildCli(): { file: string; dir: string } {
  const dir = join(ROOT, 'out', 'bench-cli', String(process.pid));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'bandctl.cjs');
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs'), '--outfile', file], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`ledger bench: build:cli failed: ${b.stderr}`);
  return { file, dir };
}

/**
 * `bandctl ingest --db DB FILE` of the built CLI on a fresh book (made by `bandctl init`, not timed), timed end to end
 * as a child process; BANDCTL_DEBUG makes it say whether its validator thread validated the lines.
 */
function productIngest(
  cli: string,
  dbFile: string,
  file: string,
  n: number,
  expect: { accepted: number; duplicates: number; rejected: number } = { accepted: n, duplicates: 0, rejected: 0 },
): { perS: number; ms: number; thread: string; rssMiB: number } {
  const init = spawnSync(process.execPath, [cli, 'init', '--db', dbFile], { cwd: ROOT, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`ledger bench: bandctl init exited ${init.status}: ${init.stderr}`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, 'ingest', '--db', dbFile, file], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BANDCTL_DEBUG: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`ledger bench: bandctl ingest exited ${r.status}: ${r.stderr}`);
  const c = JSON.parse(r.stdout) as { accepted: number; duplicates: number; rejected: number };
  const db = openDb(dbFile);
  const applied = db.prepare('SELECT (SELECT COUNT(*) FROM fills) + (SELECT COUNT(*) FROM order_events)').pluck().get() as number;
  db.close();
  if (c.accepted !== expect.accepted || c.duplicates !== expect.duplicates || c.rejected !== expect.rejected || applied !== expect.accepted) {
    throw new Error(`ledger bench: ingest printed ${r.stdout.trim()} and applied ${applied}, expected ${JSON.stringify(expect)}`);
  }
  const m = /([\d,]+) validated on validator thread/.exec(r.stderr);
  const rss = /peak RSS ([\d,]+) MiB/.exec(r.stderr);
  return {
    perS: (n / ms) * 1000,
    ms,
    thread: m ? `${m[1]} lines validated on its validator thread` : 'no validator thread',
    rssMiB: rss ? Number(rss[1].replace(/,/g, '')) : NaN,
  };
}

interface MixResult {
  mix: Mix;
  perS: number;
  raw: number;
  ratio: number;
  ms: number;
  rssMiB: number;
  thread: string;
  lines: number;
  /** Every round's rates (ingest lines/s, raw rows/s), in the order run. */
  rounds: Array<{ ingest: number; raw: number }>;
  /** The book the last round's ingest made. */
  db: string;
}

/** Rounds of raw insert + ingest per mix (best of each side is reported). */
const ROUNDS = 3;

/** Writes the file and flushes it to disk, so that no timed run shares the disk with its write-back. */
function writeSynced(file: string, text: string): void {
  writeFileSync(file, text);
  const fd = openSync(file, 'r+');
  fsyncSync(fd);
  closeSync(fd);
}

/**
 * One event mix (bench/mixes.ts): the built CLI's ingest of its file, end to end, beside a raw insert of the same
 * keys (its accepted events' ids, in file order). This machine's speed drifts by 20–30% within a minute, so the two
 * alternate, `rounds` times (raw, ingest, raw, ingest, …) and each side's best round is the figure: the same
 * statistic for both, each from the same minutes.
 */
function runMix(
  cli: string,
  tmpDir: string,
  mix: Mix,
  n: number,
  rounds: number,
  log: (s: string) => void,
  /** The mix's file written already (the headline's), with its keys and counts. */
  given?: { file: string } & Pick<MixFile, 'keys' | 'expect'>,
): MixResult {
  log(`ledger: mix ${mix}: ${MIX_TEXT[mix]}, ${rounds} round(s)…`);
  let m = given;
  const file = given?.file ?? join(tmpDir, `mix-${mix}.jsonl`);
  if (!m) {
    const made = mixFile(mix, n);
    writeSynced(file, `${made.lines.join('\n')}\n`);
    made.lines.length = 0;
    m = { file, keys: made.keys, expect: made.expect };
  }
  const { keys } = m;
  const all: MixResult['rounds'] = [];
  let best: ReturnType<typeof productIngest> | null = null;
  let db = '';
  let rss = 0; // the largest peak RSS of any round
  for (let r = 0; r < rounds; r++) {
    const rawDb = join(tmpDir, `raw-${mix}-${r}.db`);
    const raw = rawInsert(rawDb, keys.length, keys);
    for (const f of [rawDb, `${rawDb}-wal`, `${rawDb}-shm`]) rmSync(f, { force: true });
    if (db) for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    db = join(tmpDir, `mix-${mix}-${r}.db`);
    const x = productIngest(cli, db, file, n, m.expect);
    all.push({ ingest: x.perS, raw });
    rss = Math.max(rss, x.rssMiB);
    if (!best || x.perS > best.perS) best = x;
  }
  if (!given) rmSync(file, { force: true });
  const b = best as ReturnType<typeof productIngest>;
  const raw = Math.max(...all.map((x) => x.raw));
  return { mix, perS: b.perS, raw, ratio: b.perS / raw, ms: b.ms, rssMiB: rss, thread: b.thread, lines: n, rounds: all, db };
}

export const section: BenchSection = {
  name: 'ledger',
  async run({ quick, tmpDir, log }) {
    const n = quick ? 100_000 : 1_000_000;
    log(`ledger: generating ${fmt(n)} events…`);
    const sorted = mixFile('sorted', n);
    const lines = sorted.lines;
    const file = join(tmpDir, 'events.jsonl');
    writeSynced(file, `${lines.join('\n')}\n`);
    log('ledger: building the CLI…');
    const cli = buildCli();
    const rounds = quick ? 1 : ROUNDS;
    // the headline: the sorted mix (the same ids as every earlier bench), its ingest beside its raw insert
    const head = runMix(cli.file, tmpDir, 'sorted', n, rounds, log, { file, keys: sorted.keys, expect: sorted.expect });
    const rawRate = head.raw;
    const perS = head.perS;
    log(`ledger: applyBatch of ${fmt(n)} events on one thread…`);
    const ingested = ingest(join(tmpDir, 'ledger.db'), lines, false);
    ingested.db.close();
    log(`ledger: applyBatches of ${fmt(n)} events, parse + validate on a validator thread…`);
    const piped = ingest(join(tmpDir, 'piped.db'), lines, true);
    piped.db.close();
    const productDb = head.db;
    const db = openDb(productDb); // reports are read by the console's own connection

    lines.length = 0; // let the 1M raw lines go before timing reports (GC pauses otherwise dominate)
    const median = (f: () => void) => {
      f();
      const times: number[] = [];
      for (let i = 0; i < 15; i++) times.push(timeIt(f).ms);
      return percentile(times.sort((a, b) => a - b), 50);
    };
    const check = reportJson(db, '2024-01-15');
    if (check.totals.total_count_fills !== n) throw new Error('ledger bench: report does not count every fill');
    const reportMs = median(() => reportJson(db, '2024-01-15'));
    const bundleMs = median(() => reportBundle(db, '2024-01-15'));
    const aggRows = db.prepare('SELECT COUNT(*) FROM daily_agg').pluck().get() as number;
    db.close();

    // the other mixes (sorted is the one above), each beside a raw insert of its own keys
    const mixes = MIXES.filter((x) => x !== 'sorted').map((mix) => runMix(cli.file, tmpDir, mix, n, rounds, log));
    rmSync(cli.dir, { recursive: true, force: true });

    // Opening the 1M-fill book: no full check at open any more, so it should not grow with the file.
    const openMs = median(() => openDb(productDb).close());
    // Bytes per event: the book bandctl ingest made (no copy of the file), and a book fed through the event log
    // (as in-app producers write) before and after its raw text is compacted away.
    const bytesOf = (f: string) => statSync(f).size + (existsSync(`${f}-wal`) ? statSync(`${f}-wal`).size : 0);
    const bytesProduct = bytesOf(productDb) / n;
    log('ledger: the same events through the event log, then compacted…');
    const logDb = join(tmpDir, 'logpath.db');
    const viaLog = openDb(logDb);
    const evLines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    for (let i = 0; i < evLines.length; i += BATCH) appendEvents(viaLog, evLines.slice(i, i + BATCH), 'bench');
    evLines.length = 0;
    new LedgerConsumer(viaLog, { timezone: 'America/New_York' }).runToEnd();
    viaLog.pragma('wal_checkpoint(TRUNCATE)');
    const bytesLog = bytesOf(logDb) / n;
    compactLog(viaLog, { rawDays: 0, now: Date.now() + 1 });
    viaLog.exec('VACUUM');
    viaLog.pragma('wal_checkpoint(TRUNCATE)');
    viaLog.close();
    const bytesCompacted = bytesOf(logDb) / n;

    // Whole processes: node itself, bandctl --version and bandctl report on the 1M-fill book (the built CLI).
    log('ledger: process start-up: node, bandctl --version, bandctl report…');
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs')], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`ledger bench: build:cli failed: ${build.stderr}`);
    const procMs = (args: string[]) => {
      const times: number[] = [];
      for (let i = 0; i < 11; i++) {
        const t = process.hrtime.bigint();
        const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`ledger bench: ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      return percentile(times.sort((a, b) => a - b), 50);
    };
    const nodeMs = procMs(['-e', '0']);
    const cliMs = procMs([join(ROOT, 'bin/bandctl.cjs'), '--version']);
    const reportCliMs = procMs([join(ROOT, 'bin/bandctl.cjs'), 'report', '--db', productDb, '--date', '2024-01-15', '--format', 'json']);

    const ratio = head.ratio;
    const all: MixResult[] = [head, ...mixes].sort((a, b) => MIXES.indexOf(a.mix) - MIXES.indexOf(b.mix));
    const mixFigures = Object.fromEntries(all.map((x) => [`ingest_ratio_${x.mix}`, Number(x.ratio.toFixed(3))]));
    const peakRss = Math.max(...all.map((x) => x.rssMiB));
    return {
      figures: {
        raw_insert_rows_per_s: Math.round(rawRate),
        ingest_events_per_s: Math.round(perS),
        ingest_ratio: Number(ratio.toFixed(3)),
        ...mixFigures,
        ingest_peak_rss_mib: peakRss,
        report_1m_ms: Number(reportMs.toFixed(2)),
        open_1m_ms: Number(openMs.toFixed(2)),
        node_startup_ms: Number(nodeMs.toFixed(1)),
        cli_startup_ms: Number(cliMs.toFixed(1)),
        report_cli_1m_ms: Number(reportCliMs.toFixed(1)),
        db_bytes_per_event: Math.round(bytesLog),
        db_bytes_per_event_compacted: Math.round(bytesCompacted),
      },
      rows: [
        ['raw_insert_rows_per_s', fmt(rawRate), `baseline: the sorted mix's raw insert, best of ${rounds} (${head.rounds.map((x) => fmt(x.raw)).join(' / ')})`],
        [
          'ingest_events_per_s',
          fmt(perS),
          `the built CLI: bandctl ingest --db F FILE of ${fmt(n)} lines, a whole process timed end to end, best of ${rounds} (${fmt(head.ms / 1000, 2)} s; ${head.thread})`,
        ],
        ['ingest_ratio', ratio.toFixed(3), 'target >= 0.60'],
        ...all.map((x): [string, string, string] => [
          `ingest_ratio_${x.mix}`,
          x.ratio.toFixed(3),
          `${MIX_TEXT[x.mix]}: ${fmt(x.perS)} lines/s (${fmt(x.ms / 1000, 2)} s, peak RSS ${fmt(x.rssMiB)} MiB) vs raw with the same keys ${fmt(x.raw)}/s, best of ${x.rounds.length} each (rounds ${x.rounds.map((r) => (r.ingest / r.raw).toFixed(2)).join(', ')}); target >= 0.70`,
        ]),
        ['ingest_peak_rss_mib', fmt(peakRss), `the largest peak RSS of every ingest above, every round (${fmt(n)} lines each); target <= 300`],
        [
          'ingest_single_thread_events_per_s',
          fmt(ingested.perS),
          `applyBatch, ${fmt(BATCH)} per transaction, everything on one thread, no log (ratio ${(ingested.perS / rawRate).toFixed(3)})`,
        ],
        [
          'ingest_piped_events_per_s',
          fmt(piped.perS),
          `applyBatches with parse + validate on a validator thread, no log (ratio ${(piped.perS / rawRate).toFixed(3)}; needs a free core)`,
        ],
        ['report_1m_ms', reportMs.toFixed(2), `JSON report of a ${fmt(n)}-fill day (${fmt(aggRows)} aggregate rows), median of 15; target <= 20`],
        ['report_bundle_1m_ms', bundleMs.toFixed(2), 'text + JSON + CSV from one read, median of 15'],
        ['open_1m_ms', openMs.toFixed(2), `openDb + close of the ${fmt(n)}-fill book, median of 15; target <= 20`],
        ['node_startup_ms', nodeMs.toFixed(1), 'node -e 0, whole process, median of 11 (the baseline)'],
        ['cli_startup_ms', cliMs.toFixed(1), `bandctl --version (built), whole process: ${(cliMs / nodeMs).toFixed(2)}x node; target <= 3x`],
        [
          'report_cli_1m_ms',
          reportCliMs.toFixed(1),
          `bandctl report --format json of the ${fmt(n)}-fill day, whole process: ${(reportCliMs - cliMs).toFixed(1)} ms over --version; target <= 50`,
        ],
        ['db_bytes_per_event_ingest', fmt(bytesProduct), 'the book bandctl ingest made (the file is not copied in)'],
        ['db_bytes_per_event', fmt(bytesLog), 'a book fed through the event log (in-app producers), raw text kept'],
        ['db_bytes_per_event_compacted', fmt(bytesCompacted), 'the same after compaction (bandctl compact --vacuum)'],
      ],
    };
  },
};
