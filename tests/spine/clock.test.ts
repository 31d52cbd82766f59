// One clock (issue 20, docs/spec.md §2): BAND_NOW starts a process as if it were then and lets time flow on, or holds
// it still with @frozen; worker threads and child processes continue their parent's time; a bad value stops a
// process at its start with one line. The real CLI as a subprocess, on real SQLite files.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBandNow } from '../../src/shared/clock';
import { clockInfo, now, reloadClock } from '../../src/main/services/clock';
import { bandctl } from '../support/bandctl';
import { SHIPPED_CONFIG as SHIPPED_CONFIG_PATH } from '../support/config';
import { ROOT, TSX } from '../support/paths';
import { tempDir } from '../support/tmp';

const saved = process.env.BAND_NOW;
afterEach(() => {
  if (saved === undefined) delete process.env.BAND_NOW;
  else process.env.BAND_NOW = saved;
  reloadClock();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('BAND_NOW', () => {
  it('parses an instant with an offset or Z, optionally @frozen; anything else says what is wrong', () => {
    expect(parseBandNow('2026-12-06T22:45:00-05:00')).toEqual({ at: Date.UTC(2026, 11, 7, 3, 45), frozen: false });
    expect(parseBandNow('2026-12-07T15:00Z@frozen')).toEqual({ at: Date.UTC(2026, 11, 7, 15, 0), frozen: true });
    expect(parseBandNow(' 2026-12-07T10:00:00.250+0000 ')).toEqual({ at: Date.UTC(2026, 11, 7, 10, 0, 0, 250), frozen: false });
    for (const bad of ['2026-12-07T10:00:00', '2026-12-07', 'tomorrow', '1765000000000', '2026-12-07T10:00Z@later']) {
      expect(parseBandNow(bad), bad).toHaveProperty('error');
    }
    expect(parseBandNow('2026-02-30T10:00:00Z')).toEqual({ error: expect.stringMatching(/^not a real instant/) });
    expect(parseBandNow('2026-12-07T10:00:00')).toEqual({
      error: 'must be an ISO-8601 instant with an offset or Z (e.g. 2026-12-07T10:00:00-05:00), optionally followed by @frozen',
    });
  });

  it('in a process: flows on from its instant, or stands still when frozen', async () => {
    process.env.BAND_NOW = '2026-12-12T11:00:00-05:00';
    reloadClock();
    const a = now();
    expect(a - Date.UTC(2026, 11, 12, 16, 0)).toBeGreaterThanOrEqual(0);
    expect(a - Date.UTC(2026, 11, 12, 16, 0)).toBeLessThan(5_000);
    await sleep(60);
    expect(now() - a).toBeGreaterThanOrEqual(50);
    expect(clockInfo()).toEqual({ source: 'BAND_NOW', frozen: false, spec: '2026-12-12T11:00:00-05:00' });

    process.env.BAND_NOW = '2026-12-12T11:00:00-05:00@frozen';
    reloadClock();
    const f = now();
    await sleep(30);
    expect(now()).toBe(f);
    expect(f).toBe(Date.UTC(2026, 11, 12, 16, 0));
  });

  it('a child process continues its parent’s time instead of starting over from BAND_NOW', async () => {
    process.env.BAND_NOW = '2026-12-07T09:29:59-05:00';
    reloadClock();
    const parent = now();
    await sleep(1_500);
    const code = "import { now } from './src/main/services/clock/index.ts'; process.stdout.write(String(now()));";
    const r = spawnSync(TSX, ['-e', code], { cwd: ROOT, env: process.env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    // 1.5 s of the parent's time has passed: the child is past the open, not back at 09:29:59
    expect(Number(r.stdout) - parent).toBeGreaterThanOrEqual(1_500);
    expect(Number(r.stdout)).toBeGreaterThanOrEqual(Date.UTC(2026, 11, 7, 14, 30));
  });

  it('bandctl runs at BAND_NOW: a Sunday evening proposes for Monday; @frozen dates everything at the instant itself', () => {
    const tmp = tempDir('clock-cli-');
    try {
      const db = join(tmp.dir, 'book.db');
      const env: NodeJS.ProcessEnv = { ...process.env, BAND_NOW: '2026-12-06T22:45:00-05:00@frozen' };
      delete env.BAND_CLOCK_ANCHOR;
      expect(bandctl(['init', '--db', db, '--config', SHIPPED_CONFIG_PATH, '--demo'], undefined, env).code).toBe(0);
      const r = bandctl(['evaluate', '--db', db, '--config', SHIPPED_CONFIG_PATH, '--json'], undefined, env);
      expect(r.code).toBe(0);
      const ev = JSON.parse(r.stdout) as { status: string; intents: { id: string; trading_date: string }[]; session: unknown };
      expect(ev.status).toBe('CORRECTING');
      expect(ev.session).toEqual({ phase: 'NO_SESSION', date: '2026-12-07', opens_at: '2026-12-07T14:30:00.000Z', closes_at: '2026-12-07T21:00:00.000Z' });
      expect(ev.intents.map((i) => i.trading_date)).toEqual(['2026-12-07', '2026-12-07', '2026-12-07']);
      const listed = JSON.parse(bandctl(['intents', '--db', db, '--json'], undefined, env).stdout) as { created_at: number; status: string }[];
      expect(listed.map((i) => [i.created_at, i.status])).toEqual(Array(3).fill([Date.UTC(2026, 11, 7, 3, 45), 'PENDING']));
      // approved on Sunday: staged for Monday's open
      const ap = bandctl(['approve', '--db', db, '--json', ev.intents[0].id], undefined, env);
      expect(ap.code).toBe(0);
      expect(JSON.parse(ap.stdout)[0]).toMatchObject({ ok: true, status: 'STAGED' });
      // Monday 09:31, as another process sees it: released
      const mon = { ...env, BAND_NOW: '2026-12-07T09:31:00-05:00' };
      const w = JSON.parse(bandctl(['intents', '--db', db, '--status', 'WORKING', '--json'], undefined, mon).stdout) as { id: string }[];
      expect(w.map((i) => i.id)).toEqual([ev.intents[0].id]);
    } finally {
      tmp.cleanup();
    }
  });

  it('a bad value stops bandctl at its start: exit 2, one line naming the variable and what is wrong', () => {
    const r = bandctl(['--version'], undefined, { ...process.env, BAND_NOW: 'monday' });
    expect(r.code).toBe(0); // --version and help read no time
    const bad = bandctl(['intents', '--db', join(ROOT, 'nope.db')], undefined, { ...process.env, BAND_NOW: '2026-12-07 10:00' });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(
      "bandctl: BAND_NOW='2026-12-07 10:00': must be an ISO-8601 instant with an offset or Z (e.g. 2026-12-07T10:00:00-05:00), optionally followed by @frozen\n",
    );
  });
});
