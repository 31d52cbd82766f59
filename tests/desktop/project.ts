// A disposable copy of the project for the launch and packaging tests: its own sources, scripts and configs, and a
// node_modules that is a tree of hard links to the checkout's (real folders, as npm leaves them: electron-builder
// walks them to collect the production dependencies), except `electron`, a real copy without `dist/` and `path.txt`
// as on a fresh `npm install`. The checkout's own node_modules/electron is never touched.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT as REPO } from '../support/paths';
import { tempDir } from '../support/tmp';

const COPIED = ['package.json', 'electron.vite.config.ts', 'electron-builder.yml', 'tsconfig.json', 'tsconfig.node.json', 'tsconfig.web.json', 'src', 'scripts', 'resources'];

export interface ProjectCopy {
  dir: string;
  electronDir: string;
  remove(): void;
}

export function projectCopy(prefix = 'band-launch-'): ProjectCopy {
  const { dir, cleanup } = tempDir(prefix);
  for (const name of COPIED) cpSync(join(REPO, name), join(dir, name), { recursive: true });
  const nm = join(dir, 'node_modules');
  // Hard links cost no space and under a second; across file systems, a plain copy.
  const linked = spawnSync('cp', ['-al', join(REPO, 'node_modules'), nm]);
  if (linked.status !== 0) cpSync(join(REPO, 'node_modules'), nm, { recursive: true, verbatimSymlinks: true });
  const electronDir = join(nm, 'electron');
  rmSync(electronDir, { recursive: true, force: true });
  cpSync(join(REPO, 'node_modules/electron'), electronDir, {
    recursive: true,
    filter: (p) => !/[/\\]electron[/\\](dist|path\.txt)$/.test(p) && !/[/\\]electron[/\\]dist[/\\]/.test(p),
  });
  return { dir, electronDir, remove: cleanup };
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end without blocking the event loop (the test's mirror keeps serving meanwhile). */
export function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      ok({ code, signal, stdout, stderr });
    });
  });
}

/** The environment of a user's shell with no Electron settings of ours (the test adds its own). */
export function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(ELECTRON_|electron_|BAND_|npm_|VITEST|NODE_OPTIONS$)/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}
