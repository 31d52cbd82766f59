// Automatic daily backups of the SQLite file with SQLite's online backup API (better-sqlite3 `db.backup()`), kept in a
// `backups/` folder beside the database (the last 7 per database), and restore from one of them.
//
// A backup is written to a temporary name, checked (quick_check) and renamed into place, so a crash mid-backup never
// leaves a half-written file that looks like a backup. Restore never deletes the file it replaces: the damaged
// database (and its -wal/-shm, which must not be replayed over the restored copy) is kept aside as
// `<name>.corrupt-<ts>` (`<name>.replaced-<ts>` when it was healthy).
//
// Where backups live and how they are named and listed is ./backup-files.ts, which db.ts imports (to tell a truncated
// book from a new one); this module imports db.ts, never the other way round.
import Database from 'better-sqlite3';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { backupDir, latestBackup, listBackups, stampOf, timeOfName, type BackupInfo } from './backup-files';
import type { Db, StoreError } from './db';
import { errorMessage } from '../../../shared/errors';
import { now as clockNow } from '../clock';

export { backupDir, latestBackup, listBackups } from './backup-files';

/** Backups kept per database. */
export const KEEP_BACKUPS = 7;
/** A backup older than this is stale: the daily backup takes a new one. */
export const DAY_MS = 24 * 60 * 60 * 1000;

export interface BackupResult extends BackupInfo {
  /** Backups deleted to keep the last KEEP_BACKUPS. */
  pruned: string[];
}

export interface RestoreResult {
  restored: string;
  from: string;
  backupTakenAt: number;
  /** Where the file that was replaced now lives (null when there was none). */
  keptAs: string | null;
  /** Whether the replaced file failed its integrity check. */
  replacedWasCorrupt: boolean;
}

/** Bad input for backup/restore (no backup, a backup that fails its check, ...): the CLI maps it to exit 2. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/**
 * Checks that a file is an intact SQLite database written by this app. Returns null when fine, else why not.
 * The check runs on a scratch copy (with the file's -wal, if any) opened read-write: SQLite's quick_check verifies
 * CHECK constraints only on a writable connection, and the file itself (maybe damaged evidence) is never touched.
 */
export function checkDatabaseFile(file: string, nativeBinding?: string): string | null {
  if (!existsSync(file)) return `${file} does not exist`;
  if (statSync(file).size === 0) return `${file} is empty (0 bytes)`;
  const scratch = mkdtempSync(join(tmpdir(), 'band-check-'));
  const copy = join(scratch, 'check.db');
  let db: Database.Database | undefined;
  try {
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    db = new Database(copy, { fileMustExist: true, nativeBinding });
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') return `${file} fails its integrity check: ${oneLine(String(check))}`;
    const t = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (!t) return `${file} is not a Band Console database (no schema_migrations table)`;
    db.prepare('SELECT COUNT(*) FROM schema_migrations').get();
    return null;
  } catch (e) {
    return `${file} cannot be read as a database: ${oneLine(errorMessage(e))}`;
  } finally {
    db?.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function fsyncFile(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Takes a backup of the open database now with SQLite's online backup API (writers may go on meanwhile), then keeps
 * the newest KEEP_BACKUPS. `dbFile` is the path the database was opened from (it names the backup).
 */
export async function backupNow(
  db: Db,
  dbFile: string,
  opts: { now?: number; keep?: number; nativeBinding?: string } = {},
): Promise<BackupResult> {
  const dir = backupDir(dbFile);
  mkdirSync(dir, { recursive: true });
  let now = opts.now ?? clockNow();
  const prefix = `${basename(dbFile)}.`;
  // Never overwrite an existing backup (two backups in the same millisecond).
  while (existsSync(join(dir, `${prefix}${stampOf(now)}.bak`))) now += 1;
  const file = join(dir, `${prefix}${stampOf(now)}.bak`);
  const tmp = `${file}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  try {
    // All remaining pages in one step: a write by another connection (the ledger worker) between steps restarts an
    // online backup from the start, so small steps under a steady write load may never finish. One step reads one
    // consistent snapshot (WAL: writers are not blocked) and blocks this thread for the copy only.
    await db.backup(tmp, { progress: ({ totalPages }) => Math.max(totalPages, 100) });
    // A backup of a WAL database is itself in WAL mode; make it a self-contained single file.
    const b = new Database(tmp, { nativeBinding: opts.nativeBinding });
    try {
      b.pragma('journal_mode = DELETE');
    } finally {
      b.close();
    }
    const problem = checkDatabaseFile(tmp, opts.nativeBinding);
    if (problem) throw new BackupError(`the backup just taken does not verify: ${problem}`);
    fsyncFile(tmp);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-wal`, { force: true });
    rmSync(`${tmp}-shm`, { force: true });
  }
  const pruned = pruneBackups(dbFile, opts.keep ?? KEEP_BACKUPS);
  return { file, takenAt: now, bytes: statSync(file).size, pruned };
}

/** Deletes all but the newest `keep` backups of dbFile; returns the deleted paths. */
function pruneBackups(dbFile: string, keep = KEEP_BACKUPS): string[] {
  const old = listBackups(dbFile).slice(Math.max(1, keep));
  for (const b of old) rmSync(b.file, { force: true });
  return old.map((b) => b.file);
}

/** Takes a backup when the newest one is older than a day (or there is none). Returns it, or null if none was due. */
export async function dailyBackupIfDue(
  db: Db,
  dbFile: string,
  opts: { now?: number; keep?: number; nativeBinding?: string } = {},
): Promise<BackupResult | null> {
  const now = opts.now ?? clockNow();
  const last = latestBackup(dbFile);
  if (last && now - last.takenAt < DAY_MS && last.takenAt <= now) return null;
  return backupNow(db, dbFile, { ...opts, now });
}

export interface DailyBackups {
  /** Stops the timer (an in-flight backup completes). */
  stop(): void;
  /** Resolves when the backup in flight (if any) is done. */
  idle(): Promise<void>;
}

/**
 * The automatic daily backup for an open database: checks at once and then every `checkEveryMs` (default one hour)
 * whether the newest backup is older than a day, and takes one if so. The timer does not keep the process alive.
 * Errors go to `onError` (default: console.error) and never stop the app.
 */
export function startDailyBackups(
  db: Db,
  dbFile: string,
  opts: {
    checkEveryMs?: number;
    keep?: number;
    nativeBinding?: string;
    onBackup?: (r: BackupResult) => void;
    onError?: (e: Error) => void;
  } = {},
): DailyBackups {
  let inFlight: Promise<void> = Promise.resolve();
  let busy = false;
  let stopped = false;
  const onError = opts.onError ?? ((e: Error) => console.error(`daily backup of ${dbFile} failed: ${e.message}`));
  const tick = (): void => {
    if (busy || stopped || !db.open) return;
    busy = true;
    inFlight = dailyBackupIfDue(db, dbFile, { keep: opts.keep, nativeBinding: opts.nativeBinding })
      .then((r) => {
        if (r) opts.onBackup?.(r);
      })
      .catch((e: unknown) => onError(e instanceof Error ? e : new Error(String(e))))
      .finally(() => {
        busy = false;
      });
  };
  tick();
  const timer = setInterval(tick, opts.checkEveryMs ?? 60 * 60 * 1000);
  timer.unref?.();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    idle: () => inFlight,
  };
}

function moveAside(file: string, suffix: string): string | null {
  if (!existsSync(file)) return null;
  let target = `${file}${suffix}`;
  for (let i = 1; existsSync(target); i++) target = `${file}${suffix}.${i}`;
  renameSync(file, target);
  return target;
}

/**
 * Replaces dbFile with a copy of backupFile (default: the newest backup). The backup is verified first; the file it
 * replaces is kept aside, never deleted. The database must not be open in this or another process.
 */
export function restoreBackup(
  dbFile: string,
  backupFile?: string,
  opts: { now?: number; nativeBinding?: string } = {},
): RestoreResult {
  const from = backupFile ?? latestBackup(dbFile)?.file;
  if (!from) {
    throw new BackupError(`no backup of ${dbFile} found in ${backupDir(dbFile)}; nothing to restore from`);
  }
  const problem = checkDatabaseFile(from, opts.nativeBinding);
  if (problem) throw new BackupError(`backup not restored: ${problem}`);
  if (resolve(from) === resolve(dbFile)) throw new BackupError('the backup and the database are the same file');
  const now = opts.now ?? clockNow();
  const ts = stampOf(now);
  const prefix = `${basename(dbFile)}.`;
  const takenAt = timeOfName(prefix, basename(from)) ?? statSync(from).mtimeMs;

  // Copy first (beside the target, so the final rename is atomic), then move the old files aside.
  const tmp = `${dbFile}.restore-${process.pid}`;
  rmSync(tmp, { force: true });
  mkdirSync(dirname(resolve(dbFile)), { recursive: true });
  copyFileSync(from, tmp);
  fsyncFile(tmp);
  let keptAs: string | null = null;
  let replacedWasCorrupt = false;
  try {
    if (existsSync(dbFile)) {
      replacedWasCorrupt = checkDatabaseFile(dbFile, opts.nativeBinding) !== null;
      const suffix = replacedWasCorrupt ? `.corrupt-${ts}` : `.replaced-${ts}`;
      keptAs = moveAside(dbFile, suffix);
      // The old WAL belongs to the old file: replaying it over the restored copy would damage it. Kept beside the
      // old file under the name SQLite looks for, so opening the kept file still sees its last transactions.
      if (keptAs && existsSync(`${dbFile}-wal`)) renameSync(`${dbFile}-wal`, `${keptAs}-wal`);
    } else {
      moveAside(`${dbFile}-wal`, `.orphan-${ts}`);
    }
    rmSync(`${dbFile}-shm`, { force: true });
    renameSync(tmp, dbFile);
  } finally {
    rmSync(tmp, { force: true });
  }
  const after = checkDatabaseFile(dbFile, opts.nativeBinding);
  if (after) throw new Error(`restore wrote ${dbFile} but it does not verify: ${after}`);
  return { restored: dbFile, from, backupTakenAt: takenAt, keptAs, replacedWasCorrupt };
}

function oneLine(s: string): string {
  return s
    .split(/\r?\n/)
    .map((x) => x.trim())
    .filter(Boolean)
    .join('; ');
}

/** `2026-11-25 21:52 UTC` */
export function formatBackupTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface CorruptionInfo {
  /** One line: what is wrong, and what to do. */
  message: string;
  backup: BackupInfo | null;
  /** The command that restores the newest backup, when there is one. */
  restoreCommand: string | null;
}

/** The clear message for a corrupt or truncated database, with the offer to restore the newest backup. */
export function corruptionInfo(dbFile: string, err: StoreError | Error | string): CorruptionInfo {
  const raw = typeof err === 'string' ? err : err.message;
  let detail = oneLine(raw);
  // openDb's message already names the file; keep only the reason.
  const named = detail.match(/^database .*? is (corrupt(?: or not a Band Console database)?): (.*)$/s);
  if (named) detail = named[2];
  const backup = latestBackup(dbFile);
  const head = `database ${dbFile} is damaged (corrupt or truncated: ${detail})`;
  if (!backup) {
    return {
      message: `${head}; no backup of it was found in ${backupDir(dbFile)}: keep the file for recovery and start from another database`,
      backup: null,
      restoreCommand: null,
    };
  }
  const cmd = `bandctl restore --db ${shellQuote(dbFile)}`;
  return {
    message: `${head}; a backup from ${formatBackupTime(backup.takenAt)} is available: ${cmd} (the damaged file is kept aside)`,
    backup,
    restoreCommand: cmd,
  };
}

/** One line for the CLI and the console: the damage and the offer to restore ("a backup from <date> is available: bandctl restore --db F"). */
export function describeCorruption(dbFile: string, err: StoreError | Error | string): string {
  return corruptionInfo(dbFile, err).message;
}
