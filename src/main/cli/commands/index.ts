// Every bandctl command, in the order --help lists them (docs/spec.md §10). Each area adds its commands in its own module,
// loaded only when one of its commands runs (or for --help): `bandctl report` does not load the engine, the Redis
// client or the config schema. The names listed here are checked against each module by tests/spine/cli-build.test.ts.
import type { Command } from '../framework';

interface CommandModule {
  names: readonly string[];
  load: () => readonly Command[];
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const COMMAND_MODULES: readonly CommandModule[] = [
  { names: ['init', 'check-config', 'check'], load: () => (require('./core') as typeof import('./core')).commands },
  { names: ['ingest', 'import-positions', 'positions', 'quarantine', 'compact'], load: () => (require('./ledger') as typeof import('./ledger')).commands },
  { names: ['report'], load: () => (require('./report') as typeof import('./report')).commands },
  { names: ['consume'], load: () => (require('./streams') as typeof import('./streams')).commands },
  {
    names: ['evaluate', 'intents', 'approve', 'reject', 'cancel', 'audit', 'prices', 'halt', 'resume'],
    load: () => (require('./engine') as typeof import('./engine')).commands,
  },
  { names: ['replay'], load: () => (require('./replay') as typeof import('./replay')).commands },
  { names: ['serve', 'web'], load: () => (require('./console') as typeof import('./console')).commands },
  { names: ['backup', 'restore'], load: () => (require('./store') as typeof import('./store')).commands },
];
/* eslint-enable @typescript-eslint/no-require-imports */

/** Every command (loads every module: for --help). */
export function allCommands(): readonly Command[] {
  return COMMAND_MODULES.flatMap((m) => m.load());
}

/** One command by name, loading only its module. */
export function findCommand(name: string): Command | undefined {
  const m = COMMAND_MODULES.find((x) => x.names.includes(name));
  return m?.load().find((c) => c.name === name);
}
