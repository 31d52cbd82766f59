// The one way tests run the real bandctl as a subprocess.
//  - bandctl(args, input?, env?): synchronously through bin/bandctl.cjs (the built CLI when it is as new as the
//    sources, else the sources via tsx); BANDCTL_TSX=1 runs it through the tsx CLI instead;
//  - bandctlOk: the same, stdout of a run that must exit 0;
//  - bandctlTsx: always through the tsx CLI, as `npm run bandctl` did;
//  - spawnBandctl: asynchronously, from the sources (node --import tsx), its stderr watchable, for long runs
//    (consumers, servers) that a test stops or kills.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { BANDCTL_BIN, BANDCTL_TS, ROOT, TSX } from './paths';
import { until } from './wait';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], input?: string, env: NodeJS.ProcessEnv = process.env): CliResult {
  const r = spawnSync(cmd, args, { cwd: ROOT, input, encoding: 'utf8', env, timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function bandctlTsx(args: string[], input?: string, env?: NodeJS.ProcessEnv): CliResult {
  return exec(TSX, [BANDCTL_TS, ...args], input, env);
}

export function bandctl(args: string[], input?: string, env?: NodeJS.ProcessEnv): CliResult {
  if (process.env.BANDCTL_TSX === '1') return bandctlTsx(args, input, env);
  return exec(process.execPath, [BANDCTL_BIN, ...args], input, env);
}

/** Runs and returns stdout; throws with the exit code and stderr unless it exits 0. */
export function bandctlOk(args: string[], input?: string): string {
  const r = bandctl(args, input);
  if (r.code !== 0) throw new Error(`bandctl ${args.join(' ')} -> ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export interface BandctlProcess {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  stderr(): string;
  waitStderr(re: RegExp, timeoutMs?: number): Promise<void>;
}

export function spawnBandctl(args: string[], env: Record<string, string> = {}): BandctlProcess {
  // node itself (not the tsx launcher, which would leave its node child alive when it is SIGKILLed)
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', BANDCTL_TS, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return {
    child,
    done,
    stderr: () => stderr,
    waitStderr: (re: RegExp, timeoutMs = 30_000) => until(() => re.test(stderr), timeoutMs, `stderr ${re}: ${stderr}`),
  };
}
