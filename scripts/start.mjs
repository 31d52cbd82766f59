// npm start: the desktop console on its embedded default (SQLite in the app data folder, demo book, simulated
// prices, paper broker).
//   1. Electron's binary: where it is missing, Electron's own installer fetches it (ELECTRON_MIRROR & co. apply).
//      Only when that fails: exit 1 with one line giving the installer's reason and naming `npm run web`.
//   2. electron-vite build of main, preload and renderer into out/.
//   3. better-sqlite3 for Electron (prebuilt first, else from source; BAND_SQLITE_BINDING as is).
//   4. `<electron> .` from the project root, with the binding's path in BAND_SQLITE_BINDING.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { electronBinary, electronVersion, ensureElectronSqlite, installElectron, ROOT } from './electron-env.mjs';

const say = (line) => console.log(`npm start: ${line}`);
const fail = (line, code = 1) => {
  console.error(`npm start: ${line}`);
  process.exit(code);
};

let bin = electronBinary();
if (!bin) {
  const got = installElectron({ log: say });
  if (!got.ok) {
    fail(`could not fetch the Electron ${electronVersion()} binary: ${got.reason}; run \`npm run web\` to use the console in a browser.`);
  }
  bin = got.path;
}

const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) fail(`electron-vite build failed (exit ${build.status ?? build.signal})`);

let binding;
try {
  binding = ensureElectronSqlite({ log: say });
  if (binding.source !== 'cached' && binding.source !== 'BAND_SQLITE_BINDING') say(`better-sqlite3 for Electron: ${binding.source} (${binding.path})`);
} catch (e) {
  fail(`${e.message}; run \`npm run web\` to use the console in a browser.`);
}

// stderr is passed through, and read for the one failure Linux users meet on first launch: a chrome-sandbox helper
// that is not setuid root (npm cannot set that bit).
const child = spawn(bin, ['.'], { cwd: ROOT, stdio: ['inherit', 'inherit', 'pipe'], env: { ...process.env, BAND_SQLITE_BINDING: binding.path } });
let sandboxHelp = false;
child.stderr.on('data', (chunk) => {
  process.stderr.write(chunk);
  if (!sandboxHelp && /SUID sandbox helper binary/.test(String(chunk))) {
    sandboxHelp = true;
    const helper = join(bin, '..', 'chrome-sandbox');
    console.error(
      `npm start: Chromium's sandbox helper is not set up; once: sudo chown root:root ${helper} && sudo chmod 4755 ${helper}`,
    );
  }
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('error', (e) => fail(`could not launch ${bin}: ${e.message}`));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
