// `bandctl serve` and `bandctl web` as real subprocesses: the first stdout line, the token, usage errors, clean
// shutdown, and a fill ingested by another process reaching the console as a push event.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANDCTL_TS as BANDCTL, ROOT as REPO, TSX_CJS } from '../support/paths';
import { tempDir } from '../support/tmp';

let dir: string;
let env: NodeJS.ProcessEnv;

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--require', TSX_CJS, BANDCTL, ...args], { cwd: REPO, encoding: 'utf8', env });
}

function cliAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--require', TSX_CJS, BANDCTL, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function startServe(args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--require', TSX_CJS, BANDCTL, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve({ child, line }));
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

// The CLI runs as node --require tsx/cjs, never under the tsx launcher: that launcher relays SIGTERM to its child
// and, if the child has not acknowledged it within 30 ms (a loaded CI machine), SIGKILLs it and exits 143.
function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

beforeAll(() => {
  dir = tempDir('band-serve-').dir;
  const renderer = join(dir, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Band Console</title>');
  env = { ...process.env, BAND_RENDERER_DIR: renderer, BAND_APP_DATA: join(dir, 'appdata') };
  delete env.BAND_TOKEN; // the random token, whatever the environment running the tests holds
  expect(cli(['init', '--db', join(dir, 'band.db'), '--demo']).status).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bandctl serve', () => {
  it('refuses bad usage with exit 2 and one clear line', async () => {
    const cases: [string[], RegExp][] = [
      [['serve'], /--db is required/],
      [['serve', '--db', join(dir, 'missing.db')], /database not found/],
      [['serve', '--db', join(dir, 'band.db'), '--port', 'abc'], /--port must be a whole number/],
      [['serve', '--db', join(dir, 'band.db'), '--port', '70000'], /--port must be 0-65535/],
      [['serve', '--db', join(dir, 'band.db'), '--token', 'short'], /--token must be 16-128 characters/],
      [['serve', '--db', join(dir, 'band.db'), '--prices', 'magic'], /--prices must be/],
      [['serve', '--db', join(dir, 'band.db'), '--config', join(dir, 'nope.yaml')], /config file not found/],
    ];
    const results = await Promise.all(cases.map(([args]) => cliAsync(args)));
    for (const [i, [args, re]] of cases.entries()) {
      const r = results[i];
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  });

  it('prints the URL first, serves with the token only, pushes fills ingested by another process, stops on SIGTERM', async () => {
    const token = 'abcdefghijklmnop0123';
    const { child, line } = await startServe(['serve', '--db', join(dir, 'band.db'), '--port', '0', '--token', token, '--prices', 'static']);
    try {
      const m = /^Console: http:\/\/127\.0\.0\.1:(\d+)\/\?token=(.+)$/.exec(line);
      expect(m, line).not.toBeNull();
      expect(m![2]).toBe(token);
      const port = Number(m![1]);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/?token=${token}`)).status).toBe(200);
      const st = await fetch(`http://127.0.0.1:${port}/api/app:status`, { method: 'POST', headers: { 'x-band-token': token, 'content-type': 'application/json' }, body: '' });
      expect(((await st.json()) as { ok: boolean }).ok).toBe(true);

      // listen for push events, then book a fill from another process
      const events: string[] = [];
      const sse = request({ host: '127.0.0.1', port, path: `/api/events?token=${token}` }, (res) => res.on('data', (c: Buffer) => events.push(c.toString())));
      sse.on('error', () => undefined);
      sse.end();
      await new Promise((r) => setTimeout(r, 300));
      const ev = {
        event_id: 'ext-1',
        order_id: 'ext-o-1',
        ts: '2024-01-18T15:30:00Z',
        symbol: 'AAPL',
        classification: 'LT_LONG_DECREASE',
        side: 'SELL',
        event_type: 'FILL',
        fill_qty: 10,
        fill_price: 191.5,
      };
      const file = join(dir, 'fill.jsonl');
      writeFileSync(file, `${JSON.stringify(ev)}\n`);
      expect(cli(['ingest', '--db', join(dir, 'band.db'), file]).status).toBe(0);
      const deadline = performance.now() + 10_000;
      while (!events.join('').includes('event: fills') && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      sse.destroy();
      expect(events.join('')).toContain('data: {"count":1,"date":"2024-01-18"}');
      const report = await fetch(`http://127.0.0.1:${port}/api/ledger:report`, { method: 'POST', headers: { 'x-band-token': token, 'content-type': 'application/json' }, body: JSON.stringify({ date: '2024-01-18' }) });
      const body = (await report.json()) as { data: { json: { totals: { total_count_fills: number } } } };
      expect(body.data.json.totals.total_count_fills).toBe(1);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });
});

describe('bandctl web', () => {
  it('creates the demo database in the app-data folder, then serves it', async () => {
    const { child, line } = await startServe(['web', '--port', '0']);
    try {
      expect(line).toMatch(/^Console: http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
      expect(existsSync(join(dir, 'appdata', 'band.db'))).toBe(true);
      expect(existsSync(join(dir, 'appdata', 'risk_rules.yaml'))).toBe(true);
      const url = new URL(line.slice('Console: '.length));
      const r = await fetch(`${url.origin}/api/ledger:positions`, { method: 'POST', headers: { 'x-band-token': url.searchParams.get('token')!, 'content-type': 'application/json' }, body: '' });
      const pos = (await r.json()) as { data: { symbol: string }[] };
      expect(pos.data.map((p) => p.symbol)).toContain('AAPL');
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });
});
