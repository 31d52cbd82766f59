// Where the backups of a database live and how they are named: `backups/` beside the database, one file per backup
// named `<db basename>.<YYYY-MM-DD>T<HHMMSS>.<mmm>Z.bak`. Listing them needs nothing of SQLite, so the store's opener
// (db.ts) can ask for the latest backup without importing the backup module (backup.ts), which imports db.ts.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface BackupInfo {
  file: string;
  /** When the backup was taken (epoch ms, from its name). */
  takenAt: number;
  bytes: number;
}

export function backupDir(dbFile: string): string {
  return join(dirname(resolve(dbFile)), 'backups');
}

// <db basename>.<YYYY-MM-DD>T<HHMMSS>.<mmm>Z.bak: sorts by time, one folder may hold backups of several databases.
const STAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z\.bak$/;

export function stampOf(ms: number): string {
  return new Date(ms).toISOString().replace(/:/g, '');
}

export function timeOfName(prefix: string, name: string): number | null {
  if (!name.startsWith(prefix)) return null;
  const m = STAMP_RE.exec(name.slice(prefix.length));
  if (!m) return null;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
  return Number.isFinite(t) ? t : null;
}

/** Backups of dbFile, newest first. */
export function listBackups(dbFile: string): BackupInfo[] {
  const dir = backupDir(dbFile);
  if (!existsSync(dir)) return [];
  const prefix = `${basename(dbFile)}.`;
  const out: BackupInfo[] = [];
  for (const name of readdirSync(dir)) {
    const t = timeOfName(prefix, name);
    if (t === null) continue;
    const file = join(dir, name);
    try {
      out.push({ file, takenAt: t, bytes: statSync(file).size });
    } catch {
      // removed meanwhile
    }
  }
  return out.sort((a, b) => b.takenAt - a.takenAt || (a.file < b.file ? 1 : -1));
}

/** The newest backup of dbFile, or null. */
export function latestBackup(dbFile: string): BackupInfo | null {
  return listBackups(dbFile)[0] ?? null;
}
