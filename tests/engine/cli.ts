// Runs the real bandctl as a subprocess. For speed the CLI is bundled once per test file with esbuild (the same
// sources tsx runs, ~0.3 s a call instead of ~1 s); BANDCTL_TSX=1 runs it through tsx instead.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'node_modules/.bin');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Cli {
  run(args: string[], input?: string): CliResult;
  /** Runs and returns stdout; throws with the exit code and stderr unless it exits 0. */
  ok(args: string[], input?: string): string;
  /** Always through tsx, as `npm run bandctl` does. */
  runTsx(args: string[], input?: string): CliResult;
  cleanup(): void;
}

function exec(cmd: string, args: string[], input?: string, env: NodeJS.ProcessEnv = process.env): CliResult {
  const r = spawnSync(cmd, args, { cwd: ROOT, input, encoding: 'utf8', env, timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function bandctl(): Cli {
  const dir = mkdtempSync(join(tmpdir(), 'bandctl-bundle-'));
  const bundle = join(dir, 'bandctl.cjs');
  const useTsx = process.env.BANDCTL_TSX === '1';
  if (!useTsx) {
    const b = exec(join(BIN, 'esbuild'), [
      'src/main/cli/bandctl.ts',
      '--bundle',
      '--platform=node',
      '--format=cjs',
      '--target=node20',
      `--outfile=${bundle}`,
      '--external:better-sqlite3',
      '--external:electron',
      '--external:ioredis',
      '--log-level=error',
    ]);
    if (b.code !== 0) throw new Error(`esbuild failed: ${b.stderr}`);
  }
  const env = { ...process.env, NODE_PATH: join(ROOT, 'node_modules') };
  const runTsx = (args: string[], input?: string) => exec(join(BIN, 'tsx'), ['src/main/cli/bandctl.ts', ...args], input);
  const run = (args: string[], input?: string) =>
    useTsx ? runTsx(args, input) : exec(process.execPath, [bundle, ...args], input, env);
  return {
    run,
    ok(args, input) {
      const r = run(args, input);
      if (r.code !== 0) throw new Error(`bandctl ${args.join(' ')} -> ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    runTsx,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
