// `npm start` on a fresh install, with no internet: a loopback mirror serves what Electron's own installer and
// better-sqlite3's prebuild-install download. On a copy of the project whose node_modules/electron has no dist/,
// npm start fetches Electron, builds, gets better-sqlite3 for Electron and launches `<electron> .`; when the fetch
// fails it exits non-zero with one line that gives the reason and names `npm run web`.
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadPort, electronZip, prebuildTarball, shasums, startMirror, type Mirror } from './mirror';
import { cleanEnv, projectCopy, run, type ProjectCopy } from './project';
import { ROOT as REPO } from '../support/paths';

const VERSION = JSON.parse(readFileSync(join(REPO, 'node_modules/electron/package.json'), 'utf8')).version as string;
const SQLITE_VERSION = JSON.parse(readFileSync(join(REPO, 'node_modules/better-sqlite3/package.json'), 'utf8')).version as string;
const ZIP_NAME = `electron-v${VERSION}-linux-x64.zip`;
// Electron 45 is Node ABI 150 (node-abi); prebuild-install names its tarballs with it.
const PREBUILD = `/sqlite/v${SQLITE_VERSION}/better-sqlite3-v${SQLITE_VERSION}-electron-v150-linux-x64.tar.gz`;
const ADDON = Buffer.from('stand-in for better_sqlite3.node built for Electron 45\n');

interface Record_ {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

/** npm's own lines (warnings about unknown env configs, its summary of a failed script) are not ours. */
function ours(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !/^npm (warn|error|ERR!|WARN)/.test(l));
}

function mirrorEnv(p: ProjectCopy, mirrorUrl: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    ELECTRON_MIRROR: mirrorUrl,
    electron_use_remote_checksums: '1',
    electron_config_cache: join(p.dir, '.electron-cache'),
    npm_config_cache: join(p.dir, '.npm-cache'),
    BAND_FAKE_ELECTRON_RECORD: join(p.dir, 'launched.json'),
    BAND_TEST_MARKER: 'passed-through',
    ...extra,
  });
}

function launched(p: ProjectCopy): Record_ | null {
  const f = join(p.dir, 'launched.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Record_) : null;
}

describe('npm start on a fresh install (loopback mirror, no internet)', () => {
  let mirror: Mirror;
  let zip: Buffer;
  const copies: ProjectCopy[] = [];
  const checkoutDist = existsSync(join(REPO, 'node_modules/electron/dist'));
  const copy = () => {
    const p = projectCopy();
    copies.push(p);
    return p;
  };

  beforeAll(async () => {
    zip = await electronZip(VERSION);
    mirror = await startMirror({
      [`/v${VERSION}/${ZIP_NAME}`]: zip,
      [`/v${VERSION}/SHASUMS256.txt`]: shasums({ [ZIP_NAME]: zip }),
      [PREBUILD]: await prebuildTarball('better_sqlite3.node', ADDON),
      [`/bad-sums/v${VERSION}/${ZIP_NAME}`]: zip,
      [`/bad-sums/v${VERSION}/SHASUMS256.txt`]: shasums({ [ZIP_NAME]: Buffer.from('another zip') }),
    });
  });
  afterAll(async () => {
    await mirror?.close();
    for (const p of copies) p.remove();
    // the checkout's own Electron package was never touched
    expect(existsSync(join(REPO, 'node_modules/electron/dist'))).toBe(checkoutDist);
  });

  it('downloads Electron with its own installer, builds, takes the prebuilt better-sqlite3 and launches `<electron> .`', async () => {
    const p = copy();
    expect(existsSync(join(p.electronDir, 'dist'))).toBe(false);
    const r = await run('npm', ['start'], { cwd: p.dir, env: mirrorEnv(p, mirror.url, { npm_config_better_sqlite3_binary_host: `${mirror.url}sqlite` }) });
    expect(r.code, r.stderr).toBe(0);
    // Electron's installer fetched the zip and the checksums, and put the binary where Electron looks for it.
    expect(mirror.requests).toEqual(expect.arrayContaining([`/v${VERSION}/${ZIP_NAME}`, `/v${VERSION}/SHASUMS256.txt`, PREBUILD]));
    expect(readFileSync(join(p.electronDir, 'path.txt'), 'utf8')).toBe('electron');
    expect(readFileSync(join(p.electronDir, 'dist/version'), 'utf8')).toBe(`v${VERSION}`);
    // Built before launch.
    for (const f of ['out/main/index.js', 'out/main/ledgerWorker.js', 'out/preload/index.js', 'out/renderer/index.html']) expect(existsSync(join(p.dir, f)), f).toBe(true);
    // The prebuilt addon, in its own folder; the Node build under node_modules is not where it went.
    const native = join(p.dir, 'build/electron-native/better_sqlite3.node');
    expect(readFileSync(native)).toEqual(ADDON);
    expect(JSON.parse(readFileSync(join(p.dir, 'build/electron-native/VERSION'), 'utf8'))).toMatchObject({ electron: VERSION, betterSqlite3: SQLITE_VERSION });
    // The fake Electron was started as `<electron> .` from the project root, with the user's environment.
    const rec = launched(p);
    expect(rec).not.toBeNull();
    expect(rec!.argv).toEqual(['.']);
    expect(rec!.cwd).toBe(p.dir);
    expect(rec!.env.BAND_SQLITE_BINDING).toBe(native);
    expect(rec!.env.BAND_TEST_MARKER).toBe('passed-through');
    expect(r.stdout).toContain('fake electron started');

    // The next start needs no network: the binary and the addon are reused; the app's exit code is npm start's.
    const before = mirror.requests.length;
    const again = await run('npm', ['start'], {
      cwd: p.dir,
      env: mirrorEnv(p, `http://127.0.0.1:${await deadPort()}/`, { BAND_FAKE_ELECTRON_EXIT: '3' }),
    });
    expect(again.code).toBe(3);
    expect(mirror.requests.length).toBe(before);
    expect(again.stdout).not.toMatch(/fetching it with Electron's installer|prebuilt binary/);
    expect(launched(p)!.env.BAND_SQLITE_BINDING).toBe(native);
  });

  it('uses BAND_SQLITE_BINDING as is: no better-sqlite3 build, no stamp file', async () => {
    const p = copy();
    const given = join(p.dir, 'my-binding.node');
    writeFileSync(given, 'mine');
    const r = await run('npm', ['start'], { cwd: p.dir, env: mirrorEnv(p, mirror.url, { BAND_SQLITE_BINDING: given }) });
    expect(r.code, r.stderr).toBe(0);
    expect(launched(p)!.env.BAND_SQLITE_BINDING).toBe(given);
    expect(existsSync(join(p.dir, 'build/electron-native'))).toBe(false);
    expect(r.stdout).not.toMatch(/prebuilt/);
  });

  it('mirror down: exits non-zero with one line giving the reason and naming `npm run web`', async () => {
    const p = copy();
    const port = await deadPort();
    const r = await run('npm', ['start'], { cwd: p.dir, env: mirrorEnv(p, `http://127.0.0.1:${port}/`) });
    expect(r.code).not.toBe(0);
    const lines = ours(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^npm start: could not fetch the Electron ${VERSION.replace(/\./g, '\\.')} binary: `));
    expect(lines[0]).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(lines[0]).toContain('`npm run web`');
    expect(launched(p)).toBeNull();
    expect(existsSync(join(p.dir, 'out'))).toBe(false);
    expect(existsSync(join(p.electronDir, 'path.txt'))).toBe(false);
  });

  it('a zip that does not match the published checksum is refused, and the line says so', async () => {
    const p = copy();
    const r = await run('npm', ['start'], { cwd: p.dir, env: mirrorEnv(p, `${mirror.url}bad-sums/`) });
    expect(r.code).not.toBe(0);
    const lines = ours(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/checksum/);
    expect(lines[0]).toContain(ZIP_NAME);
    expect(lines[0]).toContain('`npm run web`');
    expect(launched(p)).toBeNull();
  });

  it('an HTTP error from the mirror is named with its status', async () => {
    const p = copy();
    const r = await run('npm', ['start'], { cwd: p.dir, env: mirrorEnv(p, `${mirror.url}nothing-here/`) });
    expect(r.code).not.toBe(0);
    const lines = ours(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/404/);
    expect(lines[0]).toContain('`npm run web`');
  });

  it('no prebuilt better-sqlite3 and no compiler: one line naming the missing toolchain', async () => {
    const p = copy();
    // A PATH with node, npm and a shell only: no python3, make or C++ compiler.
    const bin = join(p.dir, '.bin-min');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const npm = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'npm')).find((f) => existsSync(f));
    symlinkSync(realpathSync(npm!), join(bin, 'npm'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const r = await run(join(bin, 'npm'), ['start'], {
      cwd: p.dir,
      env: mirrorEnv(p, mirror.url, { PATH: bin, npm_config_better_sqlite3_binary_host: `${mirror.url}no-prebuilds` }),
    });
    expect(r.code).not.toBe(0);
    const lines = ours(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^npm start: no prebuilt better-sqlite3 for Electron .*No prebuilt binaries found/);
    expect(lines[0]).toMatch(/python3, make, a C\+\+ compiler \(g\+\+ or clang\+\+\) not found/);
    expect(lines[0]).toContain('`npm run web`');
    expect(launched(p)).toBeNull();
    // Electron itself was fetched: the next start will only need the addon.
    expect(existsSync(join(p.electronDir, 'dist/electron'))).toBe(true);
  });
});
