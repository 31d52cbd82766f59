// npm run dist [-- <electron-builder args>]: packages the desktop console for the host OS with electron-builder
// (electron-builder.yml: Linux AppImage + deb, Windows nsis, macOS dmg).
//   1. the Electron binary must be installed (node_modules/electron/dist, or ELECTRON_OVERRIDE_DIST_PATH): the package
//      is made from it, and it cannot be downloaded on every machine; without it, say so in one line and exit 1;
//   2. better-sqlite3 is built for Electron into build/electron-native (the Node build stays for the tests);
//   3. electron-vite build, then electron-builder, which packs that local Electron (no download) and whose afterPack
//      hook (scripts/after-pack.mjs) sets the fuses.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { electronBinary, electronVersion, ensureElectronSqlite, ROOT } from './electron-env.mjs';

const bin = electronBinary();
if (!bin) {
  const where = process.env.ELECTRON_OVERRIDE_DIST_PATH || join('node_modules', 'electron', 'dist');
  console.error(
    `npm run dist: cannot package: the Electron ${electronVersion()} binary is not installed in ${where} (it is downloaded on first use, which this machine cannot do); install it there or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron ${electronVersion()}, then run again.`,
  );
  process.exit(1);
}

function run(label, args) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`npm run dist: ${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

try {
  ensureElectronSqlite();
  writeFileSync(join(ROOT, 'build/electron-native/VERSION'), electronVersion());
} catch (e) {
  console.error(`npm run dist: ${e.message}`);
  process.exit(1);
}

run('electron-vite build', [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build']);

// The directory that holds the Electron distribution (on macOS the binary sits inside Electron.app).
let electronDist = dirname(bin);
const appIdx = bin.indexOf('.app/');
if (appIdx !== -1) electronDist = dirname(bin.slice(0, appIdx + 4));
if (!existsSync(electronDist)) {
  console.error(`npm run dist: Electron distribution folder ${electronDist} not found`);
  process.exit(1);
}

run('electron-builder', [
  join(ROOT, 'node_modules/electron-builder/cli.js'),
  '--config',
  'electron-builder.yml',
  `--config.electronDist=${electronDist}`,
  `--config.electronVersion=${electronVersion()}`,
  ...process.argv.slice(2),
]);
console.log(`npm run dist: packages written to ${join(ROOT, 'release')}`);
