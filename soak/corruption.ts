// Corruption handling: a good database with a daily backup is copied, then truncated or scribbled over in many ways.
// For each damaged copy: opening it either fails with StoreError CORRUPT (the cheap checks every open makes: a
// truncated file, a damaged header or schema; describeCorruption gives one clear line with the offer to restore the
// backup), or it opens and SQLite's check (what `bandctl check`, the console's background check and an open after an
// unclean shutdown run) finds the damage, or — damage SQLite cannot see, e.g. bytes inside a record or free space —
// nothing finds it. Then restoreBackup brings back exactly the backed-up book, the damaged file kept aside.
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { loadDemoBook } from '../src/main/services/demo';
import { backupNow, describeCorruption, formatBackupTime, latestBackup, restoreBackup } from '../src/main/services/store/backup';
import { openDb, StoreError, type Db } from '../src/main/services/store/db';
import { checkIntegrity } from '../src/main/services/store/integrity';
import { Rng } from './rng';
import { errorMessage } from '../src/shared/errors';

export interface CorruptionCase {
  name: string;
  damage(file: string, size: number, pageSize: number, rng: Rng): void;
}

export interface CorruptionReport {
  cases: number;
  /** openDb refused the file with StoreError CORRUPT and a clear message with the restore offer. */
  detected: number;
  /** It opened, and the integrity check (bandctl check, the console's background check) found the damage. */
  detectedByCheck: number;
  /** The file still opened (damage inside record bytes or free space: SQLite has no page checksums). */
  undetected: number;
  /** GAP: opened as a new EMPTY database although it had data and a backup (truncated to 0 or 1 bytes). */
  openedEmpty: number;
  restored: number;
  violations: string[];
  /** Informational lines (one per undetected case). */
  notes: string[];
  /** What happened to each case, in order. */
  outcomes: { name: string; outcome: 'detected' | 'detected-by-check' | 'undetected' | 'opened-empty' }[];
}

function snapshot(db: Db): string {
  const pos = db.prepare('SELECT bucket, symbol, qty, cost_micro, realized_micro FROM positions ORDER BY bucket, symbol').all();
  const ticks = db.prepare('SELECT symbol, price_micro FROM ticks ORDER BY symbol').all();
  return JSON.stringify({ pos, ticks });
}

function scribble(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** The damage applied to copies of the good database. */
function corruptionCases(randomScribbles: number): CorruptionCase[] {
  const cases: CorruptionCase[] = [];
  const truncations: [string, (size: number, page: number) => number][] = [
    ['truncate to 0 bytes', () => 0],
    ['truncate to 1 byte', () => 1],
    ['truncate inside the header (50 bytes)', () => 50],
    ['truncate to the header (100 bytes)', () => 100],
    ['truncate to one page', (_s, p) => p],
    ['truncate to two pages', (_s, p) => 2 * p],
    ['truncate to half', (s, p) => Math.floor(s / 2 / p) * p],
    ['truncate the last page', (s, p) => s - p],
    ['truncate mid-page', (s, p) => s - Math.floor(p / 2) - 7],
  ];
  for (const [name, size] of truncations) {
    cases.push({ name, damage: (f, s, p) => truncateSync(f, Math.max(0, size(s, p))) });
  }
  cases.push({ name: 'scribble over the magic string', damage: (f) => scribble(f, 0, Buffer.from('NOT A DATABASE!!')) });
  cases.push({ name: 'scribble over the page size', damage: (f) => scribble(f, 16, Buffer.from([0x00, 0x03])) });
  cases.push({ name: 'scribble over the schema page', damage: (f) => scribble(f, 100, Buffer.alloc(400, 0xab)) });
  cases.push({ name: 'zero the schema page', damage: (f, _s, p) => scribble(f, 100, Buffer.alloc(p - 100, 0)) });
  cases.push({ name: 'scribble over page 2', damage: (f, _s, p) => scribble(f, p, Buffer.alloc(64, 0xff)) });
  cases.push({ name: 'zero the last page', damage: (f, s, p) => scribble(f, s - p, Buffer.alloc(p, 0)) });
  cases.push({ name: 'garbage over the whole file', damage: (f, s, _p, rng) => scribble(f, 0, rng.bytes(s)) });
  for (let i = 0; i < randomScribbles; i++) {
    cases.push({
      name: `random scribble #${i + 1}`,
      damage: (f, s, p, rng) => {
        // A page header (structural) or random bytes anywhere.
        const page = rng.int(0, Math.floor(s / p) - 1);
        const atHeader = rng.int(0, 1) === 0;
        const off = atHeader ? page * p + (page === 0 ? 100 : 0) : rng.int(0, s - 1);
        const len = rng.int(1, atHeader ? 16 : 512);
        scribble(f, off, rng.bytes(Math.min(len, s - off)));
      },
    });
  }
  return cases;
}

/** Builds a good database with a multi-page book (the demo book plus synthetic positions and ticks). */
export function buildGoodDatabase(file: string, extraPositions = 2_000): void {
  const db = openDb(file);
  try {
    loadDemoBook(db);
    const pos = db.prepare(
      'INSERT OR REPLACE INTO positions (bucket, symbol, qty, cost_micro, realized_micro, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const tick = db.prepare('INSERT OR REPLACE INTO ticks (symbol, price_micro, ts, source) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < extraPositions; i++) {
        const sym = `S${String(i).padStart(5, '0')}`;
        const qty = (i % 2 ? -1 : 1) * (100 + i);
        pos.run(i % 3 ? 'LT' : 'MM', sym, qty, Math.abs(qty) * 10_000_000, i * 1_000, 1_700_000_000_000);
        tick.run(sym, 10_000_000 + i, 1_700_000_000_000, 'sim');
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

export async function runCorruptionSuite(opts: { dir: string; randomScribbles: number; seed: number }): Promise<CorruptionReport> {
  const rng = new Rng(opts.seed);
  mkdirSync(opts.dir, { recursive: true });
  const good = join(opts.dir, 'good.db');
  buildGoodDatabase(good);
  const goodDb = openDb(good);
  const pageSize = goodDb.pragma('page_size', { simple: true }) as number;
  const expected = snapshot(goodDb);
  const report: CorruptionReport = { cases: 0, detected: 0, detectedByCheck: 0, undetected: 0, openedEmpty: 0, restored: 0, violations: [], notes: [], outcomes: [] };
  const cases = corruptionCases(opts.randomScribbles);
  try {
    let n = 0;
    for (const c of cases) {
      n++;
      report.cases++;
      const caseDir = join(opts.dir, `case-${String(n).padStart(3, '0')}`);
      mkdirSync(caseDir, { recursive: true });
      const file = join(caseDir, 'book.db');
      // The daily backup of the good database, as the app keeps it beside the file.
      const backup = await backupNow(goodDb, file, { now: Date.UTC(2026, 0, 5, 21, 0, 0) + n });
      copyFileSync(good, file);
      const size = statSync(file).size;
      c.damage(file, size, pageSize, rng);
      const damagedBytes = readFileSync(file);
      const fail = (msg: string) => report.violations.push(`${c.name}: ${msg}`);

      let opened: Db | null = null;
      try {
        opened = openDb(file, { migrate: false });
      } catch (e) {
        if (!(e instanceof StoreError) || e.code !== 'CORRUPT') {
          fail(`opening threw ${(e as Error).name}: ${errorMessage(e)} instead of StoreError CORRUPT`);
        } else {
          report.detected++;
          report.outcomes.push({ name: c.name, outcome: 'detected' });
          const msg = describeCorruption(file, e);
          const offer = `a backup from ${formatBackupTime(backup.takenAt)} is available: bandctl restore --db ${file}`;
          if (msg.includes('\n')) fail(`message is not one line: ${JSON.stringify(msg)}`);
          if (!msg.includes(offer)) fail(`message lacks the restore offer: ${msg}`);
          if (!msg.includes(file)) fail(`message does not name the file: ${msg}`);
        }
      }
      if (opened) {
        let snap: string | null = null;
        let hasSchema = true;
        try {
          hasSchema = !!opened.prepare("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").get();
          if (hasSchema) snap = snapshot(opened);
        } catch (e) {
          // Damage found only when reading: SQLite reports it as an error, never a crash.
          if (!/malformed|corrupt/i.test(errorMessage(e))) fail(`reading threw ${errorMessage(e)}`);
        } finally {
          opened.close();
        }
        if (!hasSchema) {
          // A truncated file that SQLite takes for a new, empty database: openDb would migrate it into an empty book.
          report.openedEmpty++;
          report.outcomes.push({ name: c.name, outcome: 'opened-empty' });
          report.notes.push(
            `${c.name}: GAP: openDb opens it as a new empty database (no message) although a backup exists`,
          );
        } else if (!checkIntegrity(file).ok) {
          report.detectedByCheck++;
          report.outcomes.push({ name: c.name, outcome: 'detected-by-check' });
        } else {
          report.undetected++;
          report.outcomes.push({ name: c.name, outcome: 'undetected' });
          report.notes.push(`${c.name}: opened (${snap === expected ? 'book intact' : snap === null ? 'error on read' : 'book differs'})`);
        }
      }
      // Restore the daily backup: the file comes back exactly as backed up; the damaged one is kept aside untouched.
      const beforeRestore = readFileSync(file);
      if (!opened && !beforeRestore.equals(damagedBytes)) {
        report.notes.push(`${c.name}: the failed open changed the damaged file (${damagedBytes.length} -> ${beforeRestore.length} bytes)`);
      }
      try {
        const r = restoreBackup(file);
        const db = openDb(file);
        try {
          if (snapshot(db) !== expected) fail('restored book differs from the backup');
        } finally {
          db.close();
        }
        if (!r.keptAs || !existsSync(r.keptAs)) fail('the damaged file was not kept aside');
        else if (!readFileSync(r.keptAs).equals(beforeRestore)) fail('the file kept aside is not the damaged file byte for byte');
        if (r.from !== latestBackup(file)?.file) fail('restore did not use the latest backup');
        if (report.detected && !opened && !r.replacedWasCorrupt) fail('restore did not see the replaced file as corrupt');
        report.restored++;
      } catch (e) {
        fail(`restore failed: ${errorMessage(e)}`);
      }
      rmSync(caseDir, { recursive: true, force: true });
    }
  } finally {
    goodDb.close();
  }
  return report;
}
