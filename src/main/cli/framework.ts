// The bandctl command router's building blocks (docs/spec.md §10): stdout for output, one clear stderr line for errors,
// exit 0 ok, 2 bad input or usage, 1 internal failure.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { errorMessage } from '../../shared/errors';

/** Bad input or usage: exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  stdin: NodeJS.ReadableStream;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  name: string;
  /** e.g. `init --db F [--demo]` */
  usage: string;
  summary: string;
  options: Options;
  /** Positional arguments: [min, max]. */
  positionals?: [number, number];
  run(ctx: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[]; io: Io }): Promise<number | void> | number | void;
}

export function parseCommandArgs(cmd: Command, argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${errorMessage(e).replace(/\. To specify.*$/, '')}; usage: bandctl ${cmd.usage}`);
  }
  const [min, max] = cmd.positionals ?? [0, 0];
  if (!parsed.values.help && (parsed.positionals.length < min || parsed.positionals.length > max)) {
    throw new UsageError(
      `${parsed.positionals.length < min ? 'missing' : 'unexpected'} argument; usage: bandctl ${cmd.usage}`,
    );
  }
  return parsed as { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
}

export function requireString(values: Record<string, unknown>, name: string, usage: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required; usage: bandctl ${usage}`);
  return v;
}

export function optionalString(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function intOption(values: Record<string, unknown>, name: string, dflt: number, min = 0): number {
  const v = values[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be a whole number >= ${min}, got '${String(v)}'`);
  }
  return n;
}
