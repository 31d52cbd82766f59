import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
// bin/bandctl.cjs: the built CLI when it is as new as the sources (npm test builds it), else the sources via tsx
const BANDCTL = join(ROOT, 'bin/bandctl.cjs');

export function tempDir(prefix = 'band-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs the real bandctl as a subprocess. */
export function bandctl(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BANDCTL, ...args], { cwd: ROOT, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
