// Loads a built bundle (out/main/index.js, out/preload/index.js) in this Node process with `require('electron')`
// answered by a test double, the way Electron's own loader would hand the bundle its module.
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;

export function requireWithElectron(file: string, electron: unknown): unknown {
  const M = Module as unknown as { _load: Loader };
  const original = M._load;
  const req = createRequire(file);
  // A fresh copy of the bundle and its chunks each time: every boot runs the entry's top level again.
  const dir = dirname(file);
  for (const key of Object.keys(req.cache)) if (key.startsWith(dir)) delete req.cache[key];
  M._load = function load(this: unknown, request: string, parent: unknown, isMain: boolean) {
    if (request === 'electron') return electron;
    return original.call(this, request, parent, isMain);
  };
  try {
    return req(file);
  } finally {
    M._load = original;
  }
}

/** electron-vite build of a project folder (main, preload, renderer into its out/). */
export function buildProject(dir: string): void {
  const r = spawnSync(process.execPath, [join(dir, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`electron-vite build failed in ${dir}:\n${r.stdout}\n${r.stderr}`);
}

/** Polls until `cond` holds (or throws with `what` after `ms`). */
export async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
