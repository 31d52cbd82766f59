// Where the Electron binary and the Electron build of better-sqlite3 come from, for `npm start` and `npm run dist`.
//
// - Electron 42+ has no install script: its binary is fetched on first use. We run Electron's own installer
//   (node_modules/electron/install.js, i.e. @electron/get) so ELECTRON_MIRROR, electron_config_cache,
//   electron_use_remote_checksums and the proxy variables work exactly as Electron documents them.
// - better-sqlite3 for Electron's ABI: the prebuilt binary first (better-sqlite3's own prebuild-install with runtime
//   `electron`), a source build only where no prebuilt exists. It is made in a copy under build/electron-native and
//   loaded through better-sqlite3's `nativeBinding` option, so the Node build the tests use
//   (node_modules/better-sqlite3/build/Release) is never touched. BAND_SQLITE_BINDING, when set, is used as is.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ELECTRON_DIR = join(ROOT, 'node_modules/electron');
const SQLITE_DIR = join(ROOT, 'node_modules/better-sqlite3');
const NATIVE_DIR = join(ROOT, 'build/electron-native');
export const ELECTRON_NATIVE = join(NATIVE_DIR, 'better_sqlite3.node');
const STAMP = join(NATIVE_DIR, 'VERSION');
/** Preloaded into Electron's installer: makes "fetch failed" say which address failed and why. */
const FETCH_REASON = join(ROOT, 'scripts/fetch-reason.cjs');

export function electronVersion() {
  return JSON.parse(readFileSync(join(ELECTRON_DIR, 'package.json'), 'utf8')).version;
}

function platformPath() {
  if (process.platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  return process.platform === 'win32' ? 'electron.exe' : 'electron';
}

/**
 * Path of the Electron executable, or null when it is not installed. Like the installer's own check, a binary of
 * another version (dist/version) counts as not installed.
 */
export function electronBinary() {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const full = join(override, platformPath());
    return existsSync(full) ? full : null;
  }
  const pathFile = join(ELECTRON_DIR, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const full = join(ELECTRON_DIR, 'dist', readFileSync(pathFile, 'utf8').trim());
  let version = null;
  try {
    version = readFileSync(join(ELECTRON_DIR, 'dist', 'version'), 'utf8').trim().replace(/^v/, '');
  } catch {
    /* an unpacked dist without its version file: trust the executable */
  }
  if (version !== null && version !== electronVersion()) return null;
  return existsSync(full) ? full : null;
}

/** "22.12.0" <= the running Node? */
function nodeAtLeast(want) {
  const have = process.versions.node.split('.').map(Number);
  const need = want.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (have[i] !== need[i]) return have[i] > need[i];
  return true;
}

/** The first line of an error's stack as printed by a child process, without the noise around it. */
export function firstErrorLine(text) {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('at ') && !/^Downloading Electron/i.test(l) && !/^\(node:\d+\)/.test(l));
  return (line ?? '').replace(/^(Type)?Error: /, '').slice(0, 400);
}

/**
 * Runs Electron's own installer. Returns { ok: true, path } or { ok: false, reason } where reason is the
 * installer's own error line (host unreachable, HTTP status, checksum mismatch, ...).
 */
export function installElectron({ log = console.log } = {}) {
  const version = electronVersion();
  const from = process.env.ELECTRON_MIRROR || process.env.npm_config_electron_mirror || 'github.com/electron/electron/releases';
  log(`Electron ${version} is not installed here: fetching it with Electron's installer from ${from} (about 110 MB, once)…`);
  const r = spawnSync(process.execPath, ['--require', FETCH_REASON, join(ELECTRON_DIR, 'install.js')], {
    cwd: ELECTRON_DIR,
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
    env: process.env,
  });
  if (process.env.BAND_DEBUG && r.stderr) process.stderr.write(r.stderr);
  const bin = electronBinary();
  if (r.status === 0 && bin) return { ok: true, path: bin };
  let reason = firstErrorLine(r.stderr ?? '') || (r.error ? r.error.message : `the installer exited ${r.status ?? r.signal}`);
  if (r.status === 0 && !bin) reason = `the installer finished but ${join(ELECTRON_DIR, 'dist', platformPath())} is missing`;
  // Electron 45's installer declares Node >= 22.12; it works on Node 20 today, but say so when it fails there.
  if (!nodeAtLeast('22.12.0')) reason += ` (Electron's installer asks for Node >= 22.12; this is Node ${process.versions.node})`;
  return { ok: false, reason };
}

// ---------------------------------------------------------------------------------------------------------------
// better-sqlite3 for Electron

function sqliteVersion() {
  return JSON.parse(readFileSync(join(SQLITE_DIR, 'package.json'), 'utf8')).version;
}

function stampFor(version) {
  return JSON.stringify({ electron: version, betterSqlite3: sqliteVersion(), platform: process.platform, arch: process.arch });
}

function onPath(names) {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  return names.find((n) => dirs.some((d) => exts.some((x) => existsSync(join(d, n + x)))));
}

/** What node-gyp needs that this machine lacks (empty when the toolchain looks complete). */
export function missingToolchain() {
  if (process.platform === 'win32') return []; // node-gyp finds Visual Studio itself and says so
  const missing = [];
  if (!onPath(['python3', 'python'])) missing.push('python3');
  if (!onPath(['make', 'gmake'])) missing.push('make');
  if (!onPath(['c++', 'g++', 'clang++'])) missing.push('a C++ compiler (g++ or clang++)');
  return missing;
}

/** npm's own node-gyp (npm names it in npm_config_node_gyp for scripts), else the one under node_modules. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    join(dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  const found = candidates.find((c) => c && existsSync(c));
  if (found) return found;
  try {
    return createRequire(join(ROOT, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    throw new Error('node-gyp was not found (it ships with npm): cannot build better-sqlite3 for Electron from source');
  }
}

function toolchainHint() {
  if (process.platform === 'darwin') return 'install the Xcode command line tools: xcode-select --install';
  return 'on Debian/Ubuntu: apt-get install -y python3 make g++';
}

/**
 * The Electron build of better-sqlite3: BAND_SQLITE_BINDING as is, else a stamped earlier build, else the prebuilt
 * binary (prebuild-install), else a source build. Returns { path, source } or throws with one line saying why.
 */
export function ensureElectronSqlite({ log = console.log, version = electronVersion() } = {}) {
  const given = process.env.BAND_SQLITE_BINDING;
  if (given) {
    if (!existsSync(given)) throw new Error(`BAND_SQLITE_BINDING names ${given}, which does not exist`);
    return { path: given, source: 'BAND_SQLITE_BINDING' };
  }
  const stamp = stampFor(version);
  if (existsSync(ELECTRON_NATIVE) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === stamp) {
    return { path: ELECTRON_NATIVE, source: 'cached' };
  }
  const work = join(NATIVE_DIR, 'src');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  // A copy of the package without its Node build: prebuild-install and node-gyp write into build/Release of it.
  const pkg = realpathSync(SQLITE_DIR);
  cpSync(pkg, work, { recursive: true, filter: (p) => p !== join(pkg, 'build') });
  const built = join(work, 'build/Release/better_sqlite3.node');
  const target = ['--runtime=electron', `--target=${version}`, `--arch=${process.arch}`, `--platform=${process.platform}`];

  log(`better-sqlite3 for Electron ${version}: looking for a prebuilt binary…`);
  const prebuildBin = createRequire(join(pkg, 'package.json')).resolve('prebuild-install/bin.js');
  const pre = spawnSync(process.execPath, [prebuildBin, ...target], { cwd: work, encoding: 'utf8', env: process.env });
  let source = 'prebuilt';
  if (pre.status !== 0 || !existsSync(built)) {
    const why = firstErrorLine(`${pre.stderr ?? ''}`.replace(/^prebuild-install (warn|WARN|info|ERR!) (install )?/gm, '')) || `exit ${pre.status}`;
    const missing = missingToolchain();
    if (missing.length) {
      throw new Error(
        `no prebuilt better-sqlite3 for Electron ${version} (${why}), and it cannot be built from source here: ${missing.join(', ')} not found (${toolchainHint()})`,
      );
    }
    log(`no prebuilt binary (${why}): building better-sqlite3 from source for Electron ${version} (about a minute, once)…`);
    const headers = process.env.BAND_ELECTRON_HEADERS_URL || 'https://electronjs.org/headers';
    // node-gyp itself, not `npm run`: npm would pass on a `nodedir` from the user's npmrc (this machine has
    // nodedir=/usr), and the addon would be built against Node's headers instead of Electron's.
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (/^npm_config_(nodedir|runtime|target|disturl|dist_url)$/i.test(k)) delete env[k];
    const gyp = spawnSync(
      process.execPath,
      [nodeGyp(), 'rebuild', '--release', '--runtime=electron', `--target=${version}`, `--dist-url=${headers}`, `--arch=${process.arch}`],
      { cwd: work, encoding: 'utf8', env },
    );
    if (gyp.status !== 0 || !existsSync(built)) {
      const out = `${gyp.stdout ?? ''}\n${gyp.stderr ?? ''}`;
      if (process.env.BAND_DEBUG) process.stderr.write(out);
      const offline = /network connectivity|rolling back install|ENOTFOUND|ECONNREFUSED|EAI_AGAIN|ETIMEDOUT|ECONNRESET/.test(out);
      const compiler = out.split('\n').find((l) => /\berror\b/i.test(l) && !/^gyp (ERR!|WARN|info)/.test(l));
      throw new Error(
        offline
          ? `no prebuilt better-sqlite3 for Electron ${version} (${why}), and the source build could not fetch Electron's headers from ${headers}`
          : `no prebuilt better-sqlite3 for Electron ${version} (${why}), and the source build failed: ${compiler?.trim().slice(0, 300) || `node-gyp exited ${gyp.status}`} (BAND_DEBUG=1 shows the compiler's output)`,
      );
    }
    source = 'source';
  }
  cpSync(built, ELECTRON_NATIVE);
  writeFileSync(STAMP, `${stamp}\n`);
  rmSync(work, { recursive: true, force: true });
  return { path: ELECTRON_NATIVE, source };
}
