// npm start: the desktop console on its embedded default (SQLite in the app data folder, demo book, simulated
// prices, paper broker). Where the Electron binary is missing, say so in one line and point at `npm run web`.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { electronBinary, electronVersion, ensureElectronSqlite, ROOT } from './electron-env.mjs';

const bin = electronBinary();
if (!bin) {
  console.error(
    `npm start: the Electron ${electronVersion()} binary is not installed here (it cannot be downloaded on this machine); run \`npm run web\` to use the console in a browser.`,
  );
  process.exit(1);
}
const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
let binding;
try {
  binding = ensureElectronSqlite();
  writeFileSync(join(ROOT, 'build/electron-native/VERSION'), electronVersion());
} catch (e) {
  console.error(`npm start: ${e.message}`);
  process.exit(1);
}
const child = spawn(bin, ['.'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, BAND_SQLITE_BINDING: binding } });
child.on('exit', (code) => process.exit(code ?? 0));
