#!/usr/bin/env node
// bandctl: the main-process services, headless (docs/spec.md §10). This entry stays small so that `bandctl --version`
// starts like a CLI: the router and the services load only when a command has to run.
import { isMainThread, workerData } from 'node:worker_threads';
import type { Io } from './framework';

declare const BANDCTL_VERSION: string | undefined;

/** The version baked in at build time (scripts/build-cli.mjs), else read from package.json (tsx, tests). */
function version(): string {
  if (typeof BANDCTL_VERSION === 'string') return BANDCTL_VERSION;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { join } = require('node:path') as typeof import('node:path');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PROJECT_ROOT } = require('./root') as typeof import('./root');
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

// `bandctl … | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const io: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  stdin: process.stdin,
};

async function run(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.out(`bandctl ${version()}\n`);
    return 0;
  }
  // required here, not imported at the top: only now do the router and the services load (CommonJS: the built
  // CLI and tsx's hook alike)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { main }: typeof import('./main') = require('./main');
  return main(argv, io);
}

if (isMainThread) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`bandctl: internal error: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
} else {
  // The built CLI is one file, and the threads it starts (the ingest's validator and WAL checkpointer, the console's ledger worker and its
  // integrity check, the Policy lab's replay) run that same file: the module that holds the thread's entry is loaded
  // (by the flag in its workerData) and takes over. Only that one: the validator thread has no use for SQLite or
  // the replay engine. Named here, not through './main': the commands load lazily, so main alone loads none of them.
  const data = (workerData ?? {}) as {
    ledgerValidator?: true;
    ledgerWorker?: true;
    integrityCheck?: true;
    replayWorker?: true;
    walCheckpointer?: true;
  };
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (data.ledgerValidator) require('../services/ledger/validator');
  else if (data.ledgerWorker || data.integrityCheck) require('../services/ledger/worker');
  else if (data.replayWorker) require('../services/replay/worker');
  else if (data.walCheckpointer) require('../services/store/checkpointer');
  /* eslint-enable @typescript-eslint/no-require-imports */
}
