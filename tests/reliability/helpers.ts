import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const BANDCTL = join(ROOT, 'src/main/cli/bandctl.ts');

export function tempDir(prefix = 'band-rel-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs the real bandctl as a subprocess. */
export function bandctl(args: string[], input?: string) {
  const r = spawnSync(TSX, [BANDCTL, ...args], { cwd: ROOT, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
