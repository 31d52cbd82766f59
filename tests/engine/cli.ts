// Runs the real bandctl as a subprocess: bin/bandctl.cjs, i.e. the built CLI (npm test builds it first) or, without
// a build as new as the sources, the sources through tsx; BANDCTL_TSX=1 runs it through the tsx CLI instead.
import { spawnSync } from 'node:child_process';
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
  // bin/bandctl.cjs: the built CLI when it is as new as the sources (npm test builds it), else the sources via tsx
  const launcher = join(ROOT, 'bin', 'bandctl.cjs');
  const useTsx = process.env.BANDCTL_TSX === '1';
  const runTsx = (args: string[], input?: string) => exec(join(BIN, 'tsx'), ['src/main/cli/bandctl.ts', ...args], input);
  const run = (args: string[], input?: string) => (useTsx ? runTsx(args, input) : exec(process.execPath, [launcher, ...args], input));
  return {
    run,
    ok(args, input) {
      const r = run(args, input);
      if (r.code !== 0) throw new Error(`bandctl ${args.join(' ')} -> ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    runTsx,
    cleanup: () => undefined,
  };
}
