// npm run dist [-- <electron-builder args>]: packages the desktop console for the host OS with electron-builder
// (electron-builder.yml: Linux AppImage + deb, Windows nsis, macOS dmg).
//   1. the Electron binary (node_modules/electron/dist, or ELECTRON_OVERRIDE_DIST_PATH): where it is missing,
//      Electron's own installer fetches it (ELECTRON_MIRROR & co. apply); if that fails, one line says why, exit 1;
//   2. better-sqlite3 for Electron into build/electron-native (prebuilt first, else from source; BAND_SQLITE_BINDING
//      as is), the Node build under node_modules stays for the tests;
//   3. electron-vite build, then electron-builder, which packs that local Electron (no download of its own) and whose
//      afterPack hook (scripts/after-pack.mjs) sets the fuses.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { electronBinary, electronVersion, ELECTRON_NATIVE, ensureElectronSqlite, installElectron, ROOT } from './electron-env.mjs';

const say = (line) => console.log(`npm run dist: ${line}`);
const fail = (line) => {
  console.error(`npm run dist: ${line}`);
  process.exit(1);
};

let bin = electronBinary();
if (!bin && process.env.ELECTRON_OVERRIDE_DIST_PATH) {
  fail(`cannot package: ELECTRON_OVERRIDE_DIST_PATH=${process.env.ELECTRON_OVERRIDE_DIST_PATH} holds no Electron ${electronVersion()} executable`);
}
if (!bin) {
  const got = installElectron({ log: say });
  if (!got.ok) fail(`cannot package: could not fetch the Electron ${electronVersion()} binary: ${got.reason}`);
  bin = got.path;
}

function run(label, args) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) fail(`${label} failed (exit ${r.status ?? r.signal})`);
}

try {
  const binding = ensureElectronSqlite({ log: say });
  // electron-builder.yml ships build/electron-native/better_sqlite3.node; a given binding is copied there as is.
  if (binding.path !== ELECTRON_NATIVE) {
    mkdirSync(dirname(ELECTRON_NATIVE), { recursive: true });
    copyFileSync(binding.path, ELECTRON_NATIVE);
  }
} catch (e) {
  fail(e.message);
}

run('electron-vite build', [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build']);

// The directory that holds the Electron distribution (on macOS the binary sits inside Electron.app).
let electronDist = dirname(bin);
const appIdx = bin.indexOf('.app/');
if (appIdx !== -1) electronDist = dirname(bin.slice(0, appIdx + 4));
if (!existsSync(electronDist)) fail(`Electron distribution folder ${electronDist} not found`);

run('electron-builder', [
  join(ROOT, 'node_modules/electron-builder/cli.js'),
  '--config',
  'electron-builder.yml',
  `--config.electronDist=${electronDist}`,
  `--config.electronVersion=${electronVersion()}`,
  ...process.argv.slice(2),
]);
console.log(`npm run dist: packages written to ${join(ROOT, 'release')}`);
