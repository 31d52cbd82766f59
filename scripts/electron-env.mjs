// Where the Electron binary and the Electron build of better-sqlite3 live. The Node build of better-sqlite3
// (node_modules/better-sqlite3/build/Release) is never touched: the tests use it. The Electron build is made in a
// separate folder (build/electron-native) and loaded through better-sqlite3's `nativeBinding` option.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ELECTRON_DIR = join(ROOT, 'node_modules/electron');

export function electronVersion() {
  return JSON.parse(readFileSync(join(ELECTRON_DIR, 'package.json'), 'utf8')).version;
}

/** Path of the Electron executable, or null when it is not installed (it cannot be downloaded everywhere). */
export function electronBinary() {
  const pathFile = join(ELECTRON_DIR, 'path.txt');
  const rel = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : process.platform === 'win32' ? 'electron.exe' : 'electron';
  const base = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(ELECTRON_DIR, 'dist');
  const full = join(base, rel);
  return existsSync(full) ? full : null;
}

export const ELECTRON_NATIVE = join(ROOT, 'build/electron-native/better_sqlite3.node');

/** Builds better-sqlite3 for Electron's ABI into build/electron-native (needs Electron's headers: network). */
export function ensureElectronSqlite({ log = console.error } = {}) {
  const version = electronVersion();
  const stamp = join(ROOT, 'build/electron-native/VERSION');
  if (existsSync(ELECTRON_NATIVE) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === version) return ELECTRON_NATIVE;
  const work = join(ROOT, 'build/electron-native/src');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(join(ROOT, 'node_modules/better-sqlite3'), work, { recursive: true, filter: (p) => !p.includes(`${join('build', 'Release')}`) });
  log(`building better-sqlite3 for Electron ${version} (once)…`);
  const r = spawnSync('npm', ['run', 'build-release'], {
    cwd: work,
    stdio: 'inherit',
    env: {
      ...process.env,
      npm_config_runtime: 'electron',
      npm_config_target: version,
      npm_config_disturl: 'https://electronjs.org/headers',
      npm_config_nodedir: '',
    },
  });
  if (r.status !== 0) throw new Error('could not build better-sqlite3 for Electron (Electron headers need network access)');
  cpSync(join(work, 'build/Release/better_sqlite3.node'), ELECTRON_NATIVE);
  cpSync(join(ELECTRON_DIR, 'package.json'), join(ROOT, 'build/electron-native/electron-package.json'));
  rmSync(work, { recursive: true, force: true });
  return ELECTRON_NATIVE;
}
