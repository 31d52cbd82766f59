import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/main/services/store/migrations';
import { appliedVersions, latestVersion, openDb, StoreError } from '../../src/main/services/store/db';
import { bandctl } from '../support/bandctl';
import { tempDir } from '../support/tmp';

describe('store migrations', () => {
  it('migrates a fresh file to the latest version with WAL and foreign keys', () => {
    const file = join(tempDir().dir, 'fresh.db');
    const db = openDb(file);
    expect(appliedVersions(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(latestVersion());
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['schema_migrations', 'positions', 'ticks', 'app_state']));
    db.close();
  });

  it('versions are unique and increasing', () => {
    const v = MIGRATIONS.map((m) => m.version);
    expect([...v].sort((a, b) => a - b)).toEqual(v);
    expect(new Set(v).size).toBe(v.length);
  });

  it('upgrades an older database in place and keeps its data', () => {
    const file = join(tempDir().dir, 'old.db');
    const old = openDb(file, { migrations: MIGRATIONS.slice(0, 1) });
    expect(appliedVersions(old)).toEqual([1]);
    old.prepare("INSERT INTO positions VALUES ('LT','AAPL',100,15000000000,0,0)").run();
    old.close();
    const db = openDb(file);
    expect(appliedVersions(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(db.prepare('SELECT qty FROM positions').get()).toEqual({ qty: 100 });
    db.close();
  });

  it('reopening an up-to-date database applies nothing', () => {
    const file = join(tempDir().dir, 'again.db');
    openDb(file).close();
    const raw = new Database(file);
    const before = raw.prepare('SELECT version, applied_at FROM schema_migrations').all();
    raw.close();
    openDb(file).close();
    const raw2 = new Database(file);
    expect(raw2.prepare('SELECT version, applied_at FROM schema_migrations').all()).toEqual(before);
    raw2.close();
  });

  it('refuses a database written by a newer version, with a clear message', () => {
    const file = join(tempDir().dir, 'newer.db');
    openDb(file).close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations VALUES (999, 'future', '2030-01-01')").run();
    raw.close();
    expect(() => openDb(file)).toThrow(StoreError);
    expect(() => openDb(file)).toThrow(/schema version 999 is newer than this app supports/);
    const r = bandctl(['init', '--db', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/newer than this app supports/);
  });

  it('a failing migration leaves the database at the previous version', () => {
    const file = join(tempDir().dir, 'fail.db');
    const bad = [...MIGRATIONS, { version: 500, name: 'broken', up: 'CREATE TABLE t (x); INSERT INTO nope VALUES (1);' }];
    expect(() => openDb(file, { migrations: bad })).toThrow(/migration 500 \(broken\) failed/);
    const db = openDb(file);
    expect(appliedVersions(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(db.prepare("SELECT count(*) n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('says clearly when the file is not a database', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(tempDir().dir, 'garbage.db');
    writeFileSync(file, 'this is not a database file at all, just text'.repeat(200));
    expect(() => openDb(file)).toThrow(/not a Band Console database|corrupt|not a database/);
  });
});

describe('a truncated database', () => {
  it('is refused with the restore offer instead of being opened as a new, empty book', async () => {
    const { truncateSync, rmSync } = await import('node:fs');
    const file = join(tempDir().dir, 'book.db');
    expect(bandctl(['init', '--db', file, '--demo']).code).toBe(0);
    expect(bandctl(['backup', '--db', file]).code).toBe(0);
    truncateSync(file, 50);
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    const r = bandctl(['positions', '--db', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/truncated to 50 bytes/);
    expect(r.stderr).toContain(`bandctl restore --db ${file}`);
    expect(() => openDb(file)).toThrow(StoreError);
  });
});
