// The one SQLite file: WAL, foreign keys on, numbered migrations with an applied-migrations table.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { latestBackup } from './backup-files';
import { beginSession, type IntegrityResult } from './integrity';
import { MIGRATIONS, type Migration } from './migrations';
import { errorMessage } from '../../../shared/errors';
import { now as clockNow } from '../clock';

export type Db = Database.Database;

export class StoreError extends Error {
  constructor(
    message: string,
    readonly code: 'NEWER_SCHEMA' | 'CORRUPT' | 'OPEN_FAILED' | 'MIGRATION_FAILED' | 'ZONE_MISMATCH',
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface OpenOptions {
  /** Run migrations (default true). */
  migrate?: boolean;
  readonly?: boolean;
  /** Path of a better-sqlite3 addon built for another runtime (Electron); the Node build is used otherwise. */
  nativeBinding?: string;
  /** Migrations to apply (tests use a prefix to simulate an older app). */
  migrations?: readonly Migration[];
}

export function latestVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.reduce((m, x) => Math.max(m, x.version), 0);
}

export function openDb(file: string, opts: OpenOptions = {}): Db {
  if (file !== ':memory:' && !opts.readonly) mkdirSync(dirname(file), { recursive: true });
  // SQLite takes a file shorter than its 100-byte header for a new, empty database: a truncated book would be
  // migrated into an empty one without a word. Such a file is damaged when it has any bytes, or has backups.
  if (file !== ':memory:' && existsSync(file)) {
    const size = statSync(file).size;
    if ((size > 0 && size < 100) || (size === 0 && latestBackup(file))) {
      throw new StoreError(`database ${file} is corrupt: truncated to ${size} bytes`, 'CORRUPT');
    }
  }
  let db: Db;
  try {
    db = new Database(file, {
      readonly: opts.readonly ?? false,
      fileMustExist: opts.readonly ?? false,
      nativeBinding: opts.nativeBinding,
    });
  } catch (e) {
    throw new StoreError(`cannot open database ${file}: ${errorMessage(e)}`, 'OPEN_FAILED');
  }
  try {
    if (!opts.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -65536'); // 64 MiB: keeps the event-id index hot
    // Reading the schema is the cheap check every open makes: a damaged header or schema page fails here.
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
    // The full check only after an unclean shutdown (services/store/integrity.ts): its cost grows with the file.
    const session = file === ':memory:' || opts.readonly ? null : beginSession(file);
    let checked: IntegrityResult | null = null;
    if (session?.unclean.length) {
      const t0 = performance.now();
      const check = db.pragma('quick_check(20)', { simple: true });
      checked = { ok: check === 'ok', detail: String(check), kind: 'quick', ms: performance.now() - t0 };
      if (check !== 'ok') {
        session.end();
        throw new StoreError(`database ${file} is corrupt (found after an unclean shutdown): ${String(check)}`, 'CORRUPT');
      }
    }
    if (session) {
      const close = db.close.bind(db);
      db.close = () => {
        const r = close();
        session.end();
        return r;
      };
    }
    opened.set(db, { uncleanShutdown: (session?.unclean.length ?? 0) > 0, check: checked });
    if (opts.migrate !== false && !opts.readonly) migrate(db, opts.migrations ?? MIGRATIONS);
    else assertNotNewer(db, opts.migrations ?? MIGRATIONS);
  } catch (e) {
    db.close();
    if (e instanceof StoreError) throw e;
    const msg = errorMessage(e);
    if (/not a database|malformed|corrupt/i.test(msg)) {
      throw new StoreError(`database ${file} is corrupt or not a Band Console database: ${msg}`, 'CORRUPT');
    }
    throw e;
  }
  return db;
}

export interface OpenInfo {
  /** A connection to this file had not closed cleanly (a crash or a kill) since the last open. */
  uncleanShutdown: boolean;
  /** The check that ran because of it, if any. */
  check: IntegrityResult | null;
}

const opened = new WeakMap<Db, OpenInfo>();

/** What openDb found (unclean shutdown, the check it then ran). */
export function openInfo(db: Db): OpenInfo {
  return opened.get(db) ?? { uncleanShutdown: false, check: null };
}

export function appliedVersions(db: Db): number[] {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!exists) return [];
  return (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map(
    (r) => r.version,
  );
}

function assertNotNewer(db: Db, migrations: readonly Migration[]): void {
  const applied = appliedVersions(db);
  const have = applied.length ? applied[applied.length - 1] : 0;
  const known = latestVersion(migrations);
  if (have > known) {
    throw new StoreError(
      `database schema version ${have} is newer than this app supports (${known}); ` +
        'it was written by a newer Band Console: upgrade the app or open another file',
      'NEWER_SCHEMA',
    );
  }
}

/** Applies every migration not yet applied, each in its own transaction. Returns the versions applied now. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  assertNotNewer(db, migrations);
  const applied = new Set(appliedVersions(db));
  const done: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    const fk = m.rebuild ? (db.pragma('foreign_keys', { simple: true }) as number) : 0;
    try {
      if (m.rebuild) db.pragma('foreign_keys = OFF');
      db.transaction(() => {
        if (m.up.trim()) db.exec(m.up);
        if (m.rebuild) {
          const bad = db.pragma('foreign_key_check') as unknown[];
          if (bad.length) throw new Error(`${bad.length} row(s) break a foreign key after the rebuild: ${JSON.stringify(bad.slice(0, 3))}`);
        }
        record.run(m.version, m.name, new Date(clockNow()).toISOString());
      })();
    } catch (e) {
      throw new StoreError(`migration ${m.version} (${m.name}) failed: ${errorMessage(e)}`, 'MIGRATION_FAILED');
    } finally {
      if (m.rebuild && fk) db.pragma('foreign_keys = ON');
    }
    done.push(m.version);
  }
  db.pragma(`user_version = ${latestVersion(migrations)}`);
  return done;
}

export function getState(db: Db, key: string): string | undefined {
  return (db.prepare('SELECT value FROM app_state WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

export function setState(db: Db, key: string, value: string): void {
  db.prepare(
    'INSERT INTO app_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}
