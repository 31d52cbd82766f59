// Open cost independent of size (issue 13): no full check at every open; the check runs after an unclean shutdown
// (a process killed with the book open), in the console's background, and on demand with `bandctl check`.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServices } from '../../src/main/api/create';
import { openDb, openInfo, StoreError } from '../../src/main/services/store/db';
import { buildGoodDatabase } from '../../soak/corruption';
import { bandctl } from '../support/bandctl';
import { ROOT } from '../support/paths';
import { tempDir } from '../support/tmp';
import { SHIPPED_CONFIG } from '../support/config';

/** Damage deep inside the file (a b-tree page of positions), which the cheap checks at open do not read. */
function damageDeep(file: string): void {
  const buf = readFileSync(file);
  const page = 4096;
  const last = Math.floor(buf.length / page) - 1;
  buf.fill(0x5a, (last - 2) * page, (last - 2) * page + 64);
  writeFileSync(file, buf);
}

/** A process that opens the book and is killed with it open (SIGKILL: no clean close). */
function crashWhileOpen(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const code = `require(${JSON.stringify(join(ROOT, 'node_modules/tsx/dist/cjs/index.cjs'))});
      const { openDb } = require(${JSON.stringify(join(ROOT, 'src/main/services/store/db.ts'))});
      openDb(${JSON.stringify(file)}); process.stdout.write('open\\n'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', () => child.kill('SIGKILL'));
    child.on('exit', () => resolve());
    child.on('error', reject);
  });
}

describe('integrity checks where they pay', () => {
  it('a clean open does not read the whole file; after a crash the next open checks it and refuses the damage', async () => {
    const { dir } = tempDir();
    const file = join(dir, 'book.db');
    buildGoodDatabase(file, 3_000);
    damageDeep(file);
    // closed cleanly before: open is cheap and does not see the damage
    const db = openDb(file, { migrate: false });
    expect(openInfo(db)).toEqual({ uncleanShutdown: false, check: null });
    expect(existsSync(`${file}-sessions`)).toBe(true);
    db.close();
    expect(existsSync(`${file}-sessions`)).toBe(false);

    await crashWhileOpen(file);
    expect(readdirSync(`${file}-sessions`).length).toBe(1); // the killed process's marker stays
    let err: unknown;
    try {
      openDb(file, { migrate: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('CORRUPT');
    expect((err as Error).message).toMatch(/is corrupt \(found after an unclean shutdown\)/);
  });

  it('after a crash on a good book: the check runs once, passes, and says so', async () => {
    const { dir } = tempDir();
    const file = join(dir, 'book.db');
    buildGoodDatabase(file, 100);
    await crashWhileOpen(file);
    const db = openDb(file);
    expect(openInfo(db).uncleanShutdown).toBe(true);
    expect(openInfo(db).check).toMatchObject({ ok: true, kind: 'quick' });
    db.close();
    const again = openDb(file);
    expect(openInfo(again).uncleanShutdown).toBe(false);
    again.close();
  });

  it('bandctl check: ok with exit 0; damage with exit 2, one line and the restore offer', () => {
    const { dir } = tempDir();
    const file = join(dir, 'book.db');
    buildGoodDatabase(file, 3_000);
    const good = bandctl(['check', '--db', file, '--json']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, check: 'quick_check', detail: 'ok' });
    expect(bandctl(['backup', '--db', file]).code).toBe(0);
    damageDeep(file);
    const bad = bandctl(['check', '--db', file]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(new RegExp(`^bandctl: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is damaged \\(quick_check: .+\\); a backup from .+ is available: bandctl restore --db '`));
    expect(bandctl(['check', '--db', file, '--full']).code).toBe(2);
  });

  it('the console checks in the background after it starts: the result in its status and its log', async () => {
    const { dir } = tempDir();
    const file = join(dir, 'book.db');
    buildGoodDatabase(file, 100);
    // pages the console does not read to start: quarantined events, written last, so at the end of the file
    const db = openDb(file);
    const q = db.prepare('INSERT INTO ledger_quarantine (source, raw, reason, at, raw_h) VALUES (?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 2_000; i++) q.run('test', `{"bad": ${'x'.repeat(200)}${i}}`, 'event_id: missing', 0, i);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    damageDeep(file);
    const lines: string[] = [];
    const cfg = SHIPPED_CONFIG;
    const s = await createServices(file, cfg, { cycles: false, prices: 'static', watchMs: 0, ledgerWorkerFile: null, backups: false, integrityCheck: 50, log: (l) => lines.push(l) });
    try {
      expect(s.engine.status().integrity.state).toBe('pending');
      await new Promise((r) => setTimeout(r, 300));
      const st = s.engine.status().integrity;
      expect(st.state).toBe('failed');
      expect(st.detail).not.toBe('ok');
      expect(lines.some((l) => /^database check \(quick_check, \d+ ms\): /.test(l) && !l.endsWith(': ok'))).toBe(true);
    } finally {
      await s.close();
    }
  });
});
