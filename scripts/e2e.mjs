// npm run e2e: builds the renderer (electron-vite build, ~5 s) and runs the Playwright specs in e2e/ with Debian's
// Chromium. Never downloads a browser: if /usr/bin/chromium is missing it says so and fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const chromium = process.env.BAND_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(`e2e: ${chromium} is missing: install Debian's Chromium (apt-get install -y chromium); the end-to-end tests need it`);
  process.exit(1);
}
const bin = (name) => join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });

const t0 = performance.now();
const build = run(bin('electron-vite'), ['build']);
if (build.status !== 0) {
  console.error('e2e: electron-vite build failed');
  process.exit(build.status ?? 1);
}
const args = ['test', ...process.argv.slice(2)];
const r = run(bin('playwright'), args);
console.error(`e2e: done in ${((performance.now() - t0) / 1000).toFixed(1)} s; screenshots in artifacts/screenshots/`);
process.exit(r.status ?? 1);
