// The project folder the CLI belongs to: where resources/ (the default config) and out/renderer (the built console)
// are. Found by walking up from this file to the package.json named band-console, so the same code works from the
// sources (src/main/cli) and from the one-file build (out/cli).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function find(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'band-console') return dir;
      } catch {
        /* not ours: keep going */
      }
    }
    if (dirname(dir) === dir) return from;
  }
}

export const PROJECT_ROOT = find(__dirname);
