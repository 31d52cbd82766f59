// Crash safety: SIGKILL a `bandctl ingest` in the middle of a large file, run it again, and the books and reports
// equal an uninterrupted run; one more ingest of the same file applies nothing and counts every event as duplicate.
// Once from the sources, and once per event mix of the bench (bench/mixes.ts: ids that sort, prefix-N, UUIDs,
// interleaved producers, a realistic day of repeats and refusals) through the built CLI, whose validator thread
// reads the file and whose checkpointer thread copies the WAL: a kill lands in any of them.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/main/services/store/db';
import { LedgerConsumer } from '../../src/main/services/ledger/consumer';
import { reportBundle } from '../../src/main/services/reports';
import { SIDE } from './helpers';
import { MIXES, mixFile } from '../../bench/mixes';
import { bandctl } from '../support/bandctl';
import { BANDCTL_BIN, BANDCTL_TS as BANDCTL, ROOT, TSX_CJS } from '../support/paths';
import { tempDir } from '../support/tmp';

// long enough for three of the CLI's transactions (INGEST_CHUNK_BYTES, 20 MiB: about 105,000 of these lines each)
const N = 300_000;
const CLASSES = Object.keys(SIDE);

function makeLines(): string[] {
  const t0 = Date.parse('2024-01-15T12:00:00Z');
  const out: string[] = [];
  for (let i = 0; i < N; i++) {
    const cls = CLASSES[(i * 7) % 8];
    const ev: Record<string, unknown> = {
      event_id: `k-${i}`,
      order_id: `o-${i >> 2}`,
      ts: t0 + i * 1_500, // runs past midnight UTC and past midnight New York
      symbol: `S${i % 37}`,
      classification: cls,
      side: SIDE[cls],
      event_type: i % 11 === 0 ? 'ACK' : 'FILL',
      fill_qty: 1 + (i % 97),
      fill_price: Number((50 + (i % 301) / 7).toFixed(4)),
    };
    out.push(i % 5_000 === 17 ? '{"garbage": true}' : JSON.stringify(ev));
  }
  // redeliveries inside the file
  for (let i = 0; i < 500; i++) out.splice(1_000 + i * 150, 0, out[i * 150]);
  return out;
}

function snapshot(dbFile: string) {
  const db = openDb(dbFile);
  try {
    const dates = (db.prepare('SELECT DISTINCT trading_date FROM daily_agg ORDER BY 1').pluck().all() as string[]);
    return {
      dates,
      reports: dates.map((d) => reportBundle(db, d)),
      positions: db.prepare('SELECT * FROM positions ORDER BY bucket, symbol').all().map((r) => ({ ...(r as object), updated_at: 0 })),
      fills: db.prepare('SELECT COUNT(*) FROM fills').pluck().get(),
      quarantine: db.prepare('SELECT COUNT(*) FROM ledger_quarantine').pluck().get(),
    };
  } finally {
    db.close();
  }
}

/** The uninterrupted run (in process, the same service code as the CLI, one thread, no file ingest). */
function reference(lines: string[], refFile: string): void {
  const ref = openDb(refFile);
  const c = new LedgerConsumer(ref, { timezone: 'America/New_York' });
  for (let i = 0; i < lines.length; i += 5_000) c.applyBatch(lines.slice(i, i + 5_000), 'ref');
  ref.close();
}

/**
 * Starts `ingest --db dbFile file` as `argv` and SIGKILLs it after its `commits`-th commit (+ up to 100 ms); the
 * file must be longer by at least two transactions, or the kill may come after the last.
 */
async function killMidway(argv: string[], dbFile: string, total: number, commits: number): Promise<void> {
  const child = spawn(process.execPath, argv, { cwd: ROOT });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const exit = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, sig) => res(sig)));
  // after a progress line (one per committed transaction): the validator thread is parts ahead of what is
  // committed, and the next transaction may be open (validated-but-unapplied lines at the kill)
  const killAfter = commits;
  let progress = 0;
  await new Promise<void>((res) => {
    child.stderr.on('data', (d: Buffer) => {
      if (progress >= killAfter) return;
      progress += d.toString().split('lines read').length - 1;
      if (progress >= killAfter) {
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 100));
        res();
      }
    });
  });
  expect(await exit).toBe('SIGKILL');
  expect(stdout).toBe('');
  const mid = new Database(dbFile, { readonly: true });
  const applied = mid.prepare('SELECT (SELECT COUNT(*) FROM fills) + (SELECT COUNT(*) FROM order_events)').pluck().get() as number;
  mid.close();
  expect(applied).toBeGreaterThan(0);
  expect(applied).toBeLessThan(total); // it really died in the middle
}

describe('SIGKILL during ingest', () => {
  const t = tempDir('ledger-kill-');
  afterAll(() => t.cleanup());

  it('a killed and re-run ingest equals an uninterrupted one; a second ingest is all duplicates', async () => {
    const lines = makeLines();
    const file = join(t.dir, 'big.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const refFile = join(t.dir, 'ref.db');
    reference(lines, refFile);

    const dbFile = join(t.dir, 'killed.db');
    expect(bandctl(['init', '--db', dbFile]).code).toBe(0);
    // after the 1st or 2nd of its three transactions
    await killMidway(['--require', TSX_CJS, BANDCTL, 'ingest', '--db', dbFile, file], dbFile, lines.length, 1 + Math.floor(Math.random() * 2));

    const rerun = bandctl(['ingest', '--db', dbFile, file]);
    expect(rerun.code).toBe(0);
    expect(snapshot(dbFile)).toEqual(snapshot(refFile));

    const again = bandctl(['ingest', '--db', dbFile, file]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ accepted: 0, duplicates: lines.length, rejected: 0 });
    expect(snapshot(dbFile)).toEqual(snapshot(refFile));
  }, 180_000);

  // about 63 MB each: three of the CLI's transactions, killed after the first (a CI run killed one of 48 MB after
  // its second, when it had all but finished)
  it.each(MIXES)('the %s mix through the built CLI: killed, re-run, equal to an uninterrupted run', async (mix) => {
    const m = mixFile(mix, 300_000, 7);
    const file = join(t.dir, `${mix}.jsonl`);
    writeFileSync(file, `${m.lines.join('\n')}\n`);
    const refFile = join(t.dir, `${mix}-ref.db`);
    reference(m.lines, refFile);
    const dbFile = join(t.dir, `${mix}-killed.db`);
    expect(bandctl(['init', '--db', dbFile]).code).toBe(0);
    await killMidway([BANDCTL_BIN, 'ingest', '--db', dbFile, file], dbFile, m.expect.accepted, 1);
    const rerun = bandctl(['ingest', '--db', dbFile, file]);
    expect(rerun.code).toBe(0);
    const after = snapshot(dbFile);
    expect(after).toEqual(snapshot(refFile));
    expect(after.fills).toBe(m.expect.accepted); // (every accepted event of a mix is a fill)
    expect(after.quarantine).toBe(m.expect.rejected);
    const again = bandctl(['ingest', '--db', dbFile, file]);
    expect(JSON.parse(again.stdout)).toEqual({ accepted: 0, duplicates: m.lines.length, rejected: 0 });
  }, 180_000);
});
