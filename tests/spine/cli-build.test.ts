// A built CLI (issue 13): bandctl bundled to plain JavaScript, `bandctl --version`, usage on stderr without a
// command, `bandctl help <command>` with every option, its default and an example, and the bin launcher.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_MODULES } from '../../src/main/cli/commands';
import { commands as consoleCmds } from '../../src/main/cli/commands/console';
import { commands as core } from '../../src/main/cli/commands/core';
import { commands as engine } from '../../src/main/cli/commands/engine';
import { commands as ledger } from '../../src/main/cli/commands/ledger';
import { commands as replay } from '../../src/main/cli/commands/replay';
import { commands as report } from '../../src/main/cli/commands/report';
import { commands as store } from '../../src/main/cli/commands/store';
import { commands as streams } from '../../src/main/cli/commands/streams';
import { HELP } from '../../src/main/cli/help';
import { ROOT } from '../support/paths';
import { tempDir } from '../support/tmp';

// the modules as the router lists them (its loaders use CommonJS require, as the built CLI and tsx do)
const MODULES = [core, ledger, report, streams, engine, replay, consoleCmds, store];
const COMMANDS = MODULES.flat();
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
let built: string;

const run = (file: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: string) =>
  spawnSync(process.execPath, [file, ...args], { cwd: ROOT, encoding: 'utf8', env, input, timeout: 60_000 });

beforeAll(() => {
  // inside the project (out/ is not tracked), where better-sqlite3 and ioredis resolve as they do for out/cli
  const dir = join(ROOT, 'out', 'test-cli', `${process.pid}-${randomUUID()}`);
  mkdirSync(dir, { recursive: true });
  built = join(dir, 'bandctl.cjs');
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs'), '--outfile', built], { cwd: ROOT, encoding: 'utf8' });
  expect(b.status, b.stderr).toBe(0);
}, 60_000);

describe('the built bandctl', () => {
  it('--version, usage on stderr without a command, help for each command', () => {
    expect(run(built, ['--version'])).toMatchObject({ status: 0, stdout: `bandctl ${VERSION}\n`, stderr: '' });
    const bare = run(built, []);
    expect(bare.status).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^bandctl — Band Console from the command line\n\nUsage: bandctl <command> \[options\]/);
    expect(run(built, ['help', 'nope'])).toMatchObject({ status: 2, stdout: '', stderr: "bandctl: unknown command 'nope'; see bandctl --help\n" });
    for (const c of COMMANDS) {
      const h = run(built, ['help', c.name]);
      expect(h.status, c.name).toBe(0);
      expect(h.stdout.startsWith(`Usage: bandctl ${c.usage}\n${c.summary}\n`), c.name).toBe(true);
      expect(h.stdout).toMatch(/\nExample:\n {2}.*bandctl /);
      for (const opt of Object.keys(c.options)) expect(h.stdout, `${c.name} --${opt}`).toMatch(new RegExp(`\\n {2}--${opt}\\b`));
      // --help on the command says the same
      expect(run(built, [c.name, '--help']).stdout).toBe(h.stdout);
    }
  });

  it('the router lists each module by the names its commands have (it loads only the module a command needs)', () => {
    expect(COMMAND_MODULES.map((m) => [...m.names])).toEqual(MODULES.map((m) => m.map((c) => c.name)));
  });

  it('every option of every command is described, and nothing else', () => {
    expect(Object.keys(HELP).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
    for (const c of COMMANDS) expect(Object.keys(HELP[c.name].options).sort(), c.name).toEqual(Object.keys(c.options).sort());
  });

  it('runs the services, threads included (an ingest long enough to start its validator thread)', () => {
    const { dir } = tempDir('band-cli-');
    const db = join(dir, 'b.db');
    expect(run(built, ['init', '--db', db]).status).toBe(0);
    const lines = Array.from({ length: 45_000 }, (_, i) =>
      JSON.stringify({ event_id: `ev-${String(i).padStart(8, '0')}`, order_id: `o-${i}`, ts: '2024-01-15T15:00:00Z', symbol: `S${i % 40}`, classification: 'LT_LONG_INCREASE', side: 'BUY', event_type: 'FILL', fill_qty: 1, fill_price: 10 }),
    );
    // BANDCTL_DEBUG: the ingest also says where its lines were validated (the one file is its validator thread's entry)
    const r = run(built, ['ingest', '--db', db, '-'], { ...process.env, BANDCTL_DEBUG: '1' }, `${lines.join('\n')}\n`);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ accepted: 45_000, duplicates: 0, rejected: 0 });
    expect(r.stderr).toMatch(
      /ingest: 45,000 lines: 45,000 validated on validator thread [1-9]\d*, 0 on the main thread; WAL checkpoints on their own thread: none; peak RSS [\d,]+ MiB\n/,
    );
  });

  it('a file of several transactions: its validator thread reads it, a checkpointer thread copies the WAL', () => {
    const { dir } = tempDir('band-cli-');
    const db = join(dir, 'b.db');
    expect(run(built, ['init', '--db', db]).status).toBe(0);
    const n = 120_000; // about 26 MB: two of the ingest's 20 MiB transactions
    const pad = 'x'.repeat(60);
    const lines = Array.from({ length: n }, (_, i) =>
      JSON.stringify({ event_id: `f-${i}`, order_id: `o-${i}-${pad}`, ts: '2024-01-15T15:00:00Z', symbol: `S${i % 40}`, classification: 'LT_LONG_INCREASE', side: 'BUY', event_type: 'FILL', fill_qty: 1, fill_price: 10 }),
    );
    const file = join(dir, 'day.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = run(built, ['ingest', '--db', db, file], { ...process.env, BANDCTL_DEBUG: '1' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ accepted: n, duplicates: 0, rejected: 0 });
    const m = /ingest: 120,000 lines: ([\d,]+) validated on validator thread [1-9]\d*, ([\d,]+) on the main thread; WAL checkpoints on their own thread: ([1-9]\d*); peak RSS/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const [onThread, here] = [Number(m![1].replace(/,/g, '')), Number(m![2].replace(/,/g, ''))];
    expect(here).toBeGreaterThan(0); // the first part, while the thread starts
    expect(onThread).toBeGreaterThan(10 * here);
  });

  it("serve: its threads run from the one file (ledger worker, background check) and SIGTERM ends it", async () => {
    // Found by a CI run: in the one-file build a thread's entry module was never loaded (commands load lazily), so
    // the background check never answered and serve, waiting for it at shutdown, ignored SIGTERM.
    const { dir } = tempDir('band-cli-serve-');
    const db = join(dir, 'b.db');
    mkdirSync(join(dir, 'renderer'));
    writeFileSync(join(dir, 'renderer/index.html'), '<!doctype html><title>Band Console</title>');
    const env: NodeJS.ProcessEnv = { ...process.env, BAND_RENDERER_DIR: join(dir, 'renderer'), BAND_APP_DATA: join(dir, 'appdata') };
    delete env.BAND_TOKEN;
    expect(run(built, ['init', '--db', db, '--demo']).status).toBe(0);
    const child = spawn(process.execPath, [built, 'serve', '--db', db, '--port', '0', '--prices', 'static'], { cwd: ROOT, env });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    const checked = await Promise.race([
      new Promise<boolean>((res) => child.stderr.on('data', () => /database check \(quick_check, \d+ ms\): ok/.test(err) && res(true))),
      exited.then(() => false),
      new Promise<boolean>((res) => setTimeout(() => res(false), 30_000)),
    ]);
    expect(checked, err).toBe(true);
    expect(err).not.toMatch(/ledger worker/);
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<string>((res) => setTimeout(() => res('still running 15 s after SIGTERM'), 15_000))]);
    if (code === 'still running 15 s after SIGTERM') child.kill('SIGKILL');
    expect(code, err).toBe(0);
  }, 60_000);

  it('bin/bandctl.cjs runs the build when it is as new as the sources, else the sources through tsx', () => {
    // a project copy with a build older than its sources
    const { dir: proj } = tempDir('band-bin-');
    mkdirSync(join(proj, 'bin'));
    mkdirSync(join(proj, 'out/cli'), { recursive: true });
    mkdirSync(join(proj, 'src/main'), { recursive: true });
    mkdirSync(join(proj, 'src/shared'), { recursive: true });
    copyFileSync(join(ROOT, 'bin/bandctl.cjs'), join(proj, 'bin/bandctl.cjs'));
    writeFileSync(join(proj, 'out/cli/bandctl.cjs'), "process.stdout.write('built\\n');\n");
    writeFileSync(join(proj, 'src/main/x.ts'), '');
    writeFileSync(join(proj, 'src/shared/y.ts'), '');
    utimesSync(join(proj, 'out/cli/bandctl.cjs'), new Date('2030-01-01'), new Date('2030-01-01'));
    expect(run(join(proj, 'bin/bandctl.cjs'), ['--version']).stdout).toBe('built\n');
    utimesSync(join(proj, 'out/cli/bandctl.cjs'), new Date('2020-01-01'), new Date('2020-01-01'));
    // stale: falls back to the sources, which this copy does not have (tsx resolves from the project)
    const stale = run(join(proj, 'bin/bandctl.cjs'), ['--version']);
    expect(stale.stdout).not.toBe('built\n');
    // and in the checkout, the sources answer the same version
    expect(run(join(ROOT, 'bin/bandctl.cjs'), ['--version'], { ...process.env, BANDCTL_SOURCE: '1' }).stdout).toBe(`bandctl ${VERSION}\n`);
  });
});
