// npm run build:cli: bandctl bundled to one plain JavaScript file, out/cli/bandctl.cjs (what bin/bandctl.cjs runs),
// so the command line starts like a command line instead of compiling TypeScript at every call. better-sqlite3
// (native) and ioredis stay packages; the version is baked in.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// --outfile P: build elsewhere (the tests build their own copy)
const at = process.argv.indexOf('--outfile');
const outfile = at > 0 ? process.argv[at + 1] : join(root, 'out/cli/bandctl.cjs');
const t0 = Date.now();
await build({
  entryPoints: [join(root, 'src/main/cli/bandctl.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['better-sqlite3', 'ioredis', 'electron'],
  // BANDCTL_BUNDLE: this one file is also the entry of the threads it starts (the ingest's validator included)
  define: { BANDCTL_VERSION: JSON.stringify(version), BANDCTL_BUNDLE: 'true' },
  logLevel: 'warning',
  // the worker entries find their own file through __filename in CommonJS; import.meta is only their ESM path
  logOverride: { 'empty-import-meta': 'silent' },
  legalComments: 'none',
});
console.error(`build:cli: ${outfile} (bandctl ${version}) in ${Date.now() - t0} ms`);
