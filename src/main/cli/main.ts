// bandctl's router: the command table, help, and the one-line errors (docs/spec.md §10). Loaded by the entry (bandctl.ts)
// once it knows a command has to run.
import { allCommands, findCommand } from './commands';
import { HELP } from './help';
import { parseCommandArgs, UsageError, type Command, type Io } from './framework';
import { describeCorruption } from '../services/store/backup';
import { StoreError } from '../services/store/db';
import { ClockError, initClock } from '../services/clock';
import { errorMessage } from '../../shared/errors';

function helpText(): string {
  const COMMANDS = allCommands();
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
    'bandctl help <command>: every option of a command, its default and an example. bandctl --version: the version.',
    'Output goes to stdout; errors to stderr as one line. Exit 0 ok, 2 bad input or usage, 1 internal failure.',
    '',
  ].join('\n');
}

/** `bandctl help <command>`: usage, every option with its default, and examples. */
function commandHelp(cmd: Command): string {
  const h = HELP[cmd.name];
  const opts = Object.entries(h?.options ?? {}).map(([name, text]) => {
    const [arg, ...rest] = text.split('  ');
    return { flag: `--${name}${arg.trim() ? ` ${arg.trim()}` : ''}`, text: rest.join('  ').trim() };
  });
  const w = Math.max(0, ...opts.map((o) => o.flag.length));
  return [
    `Usage: bandctl ${cmd.usage}`,
    cmd.summary,
    '',
    ...(opts.length ? ['Options:', ...opts.map((o) => `  ${o.flag.padEnd(w)}  ${o.text}`), ''] : []),
    ...(h?.examples.length ? ['Example:', ...h.examples.map((e) => `  ${e}`), ''] : []),
  ].join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest.length === 1) {
    const cmd = findCommand(rest[0]);
    if (!cmd) {
      io.err(`bandctl: unknown command '${rest[0]}'; see bandctl --help\n`);
      return 2;
    }
    io.out(commandHelp(cmd));
    return 0;
  }
  if (!name) {
    // no command: the usage goes to stderr (stdout stays for output), and it is a usage error
    io.err(helpText());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return 0;
  }
  const cmd: Command | undefined = findCommand(name);
  let dbFile: string | undefined;
  try {
    if (!cmd) throw new UsageError(`unknown command '${name}'; see bandctl --help`);
    const { values, positionals } = parseCommandArgs(cmd, rest);
    if (typeof values.db === 'string') dbFile = values.db;
    if (values.help) {
      io.out(commandHelp(cmd));
      return 0;
    }
    // BAND_NOW is read once, before any work: a bad value stops here with one line (exit 2)
    initClock();
    return (await cmd.run({ values, positionals, io })) ?? 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof ClockError) {
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
    io.err(`bandctl: internal error: ${oneLine(errorMessage(e))}${detail}\n`);
    return 1;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
