// What the services' threads (the ledger's validator and worker, the WAL checkpointer, the replay) need to know of
// their entry file, in one place.
import { createRequire } from 'node:module';
import { basename } from 'node:path';

/** Defined true by scripts/build-cli.mjs: this code is inside the one-file CLI, whose file is a thread entry too. */
declare const BANDCTL_BUNDLE: boolean | undefined;
const IN_CLI_BUNDLE = typeof BANDCTL_BUNDLE === 'boolean' && BANDCTL_BUNDLE;

/**
 * A thread's execArgv for its entry file: a .ts entry (the parent runs under tsx or vitest) needs tsx inside the
 * thread too. Node 20 does not apply `--import tsx` to a worker's execArgv (ERR_UNKNOWN_FILE_EXTENSION), so tsx's
 * CJS hook is preloaded instead.
 */
export function threadExecArgv(file: string): string[] {
  return file.endsWith('.ts') ? ['--require', createRequire(file).resolve('tsx/cjs')] : [];
}

/**
 * Whether `file` is the entry of the thread whose module is `module` (e.g. `validator`): a file named by the caller,
 * the one-file CLI (src/main/cli/bandctl.ts loads the module on that thread), or the module's own file. Bundled into
 * another file (the app's main bundle) it is not, and the caller does the work on its own thread.
 */
export function isThreadEntry(file: string, module: string, named: boolean): boolean {
  return named || IN_CLI_BUNDLE || new RegExp(`^${module}\\.(ts|js|cjs|mjs)$`).test(basename(file));
}
