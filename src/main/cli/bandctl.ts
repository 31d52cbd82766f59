#!/usr/bin/env node
// bandctl: the main-process services, headless (SPEC §10).
import { COMMANDS } from './commands';
import { parseCommandArgs, UsageError, type Command, type Io } from './framework';
import { describeCorruption } from '../services/store/backup';
import { StoreError } from '../services/store/db';

function helpText(): string {
  // Long usages put their summary on the next line so the list stays readable in 100 columns.
  const width = Math.min(56, Math.max(...COMMANDS.map((c) => c.usage.length)));
  const line = (c: Command) =>
    c.usage.length <= width ? `  ${c.usage.padEnd(width)}  ${c.summary}` : `  ${c.usage}\n  ${''.padEnd(width)}  ${c.summary}`;
  return [
    'bandctl — Band Console from the command line',
    '',
    'Usage: bandctl <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map(line),
    '',
    'Output goes to stdout; errors to stderr as one line. Exit 0 ok, 2 bad input or usage, 1 internal failure.',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return name ? 0 : 2;
  }
  const cmd: Command | undefined = COMMANDS.find((c) => c.name === name);
  let dbFile: string | undefined;
  try {
    if (!cmd) throw new UsageError(`unknown command '${name}'; see bandctl --help`);
    const { values, positionals } = parseCommandArgs(cmd, rest);
    if (typeof values.db === 'string') dbFile = values.db;
    if (values.help) {
      io.out(`Usage: bandctl ${cmd.usage}\n${cmd.summary}\n`);
      return 0;
    }
    return (await cmd.run({ values, positionals, io })) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`bandctl: ${oneLine(e.message)}\n`);
      return 2;
    }
    if (e instanceof StoreError && e.code === 'CORRUPT' && dbFile) {
      // the damage, and the offer: "a backup from <date> is available: bandctl restore --db F"
      io.err(`bandctl: ${oneLine(describeCorruption(dbFile, e))}\n`);
      return 2;
    }
    if (e instanceof StoreError && (e.code === 'NEWER_SCHEMA' || e.code === 'CORRUPT' || e.code === 'OPEN_FAILED' || e.code === 'ZONE_MISMATCH')) {
      io.err(`bandctl: ${oneLine(e.message)}\n`);
      return 2;
    }
    // One line, as every error; BANDCTL_DEBUG=1 adds the stack for a bug report.
    const detail = process.env.BANDCTL_DEBUG ? `\n${(e as Error)?.stack ?? ''}` : '';
    io.err(`bandctl: internal error: ${oneLine((e as Error)?.message ?? String(e))}${detail}\n`);
    return 1;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
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

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bandctl: internal error: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
