// npm run test:anytime -- '<date time>' [unit|e2e|all]: the unit/integration tests (vitest) and/or the end-to-end
// specs with the machine's wall clock set to another instant by libfaketime (Debian: apt-get install faketime),
// e.g. '2026-12-12 16:00:00' (a Saturday, UTC). The suite pins its own instants (BAND_NOW, --as-of, page.clock) and
// lint forbids reading the wall clock, so it must pass at any instant: this is how to see that it does.
// The monotonic clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC): timers and timeouts are not what is tested, and
// faking it deadlocks some multi-threaded programs.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [instant, what = 'all'] = process.argv.slice(2);
if (!instant || !['unit', 'e2e', 'all'].includes(what)) {
  console.error("usage: npm run test:anytime -- '<YYYY-MM-DD HH:MM:SS>' [unit|e2e|all]   (the instant in $TZ, UTC if unset)");
  process.exit(2);
}
if (spawnSync('faketime', ['--version'], { stdio: 'ignore' }).error) {
  console.error('test:anytime: faketime is missing: apt-get install -y faketime');
  process.exit(2);
}
const env = { ...process.env, TZ: process.env.TZ ?? 'UTC', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
const run = (args) => spawnSync('faketime', [instant, ...args], { cwd: root, stdio: 'inherit', env }).status ?? 1;
let status = 0;
if (what !== 'e2e') status ||= run([process.execPath, join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run']);
if (what !== 'unit') status ||= run([process.execPath, join(root, 'scripts', 'e2e.mjs')]);
console.error(`test:anytime: ${what} at ${instant} (${env.TZ}): ${status === 0 ? 'passed' : `failed (${status})`}`);
process.exit(status);
