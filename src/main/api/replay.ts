// The Policy lab's side of the console (issue #16): the live config's text for the editors, an edited copy checked
// exactly like the file (services/config/load.ts, then the book's time zone as ZonedConfig holds the file to it), and
// the replay itself, one at a time, on a worker thread against the database FILE (the replay works on a copy of it),
// with its progress and a cancel.
import { readFileSync } from 'node:fs';
import type { ChannelArgs, ConfigCheck, ReplayRun, ReplaySetup } from '../../shared/contract';
import { formatConfigError, loadConfigText, type ConfigError } from '../services/config/load';
import type { RiskConfig } from '../services/config/schema';
import { ReplayError } from '../services/replay';
import { replayOffThread, type ReplayJob } from '../services/replay/worker';
import { ApiError } from './dispatch';

export interface ReplayAccess {
  setup(): ReplaySetup;
  validate(text: string): ConfigCheck;
  /** Replays config A (and B when given); progress is trading days done of the total, both configs together. */
  run(args: ChannelArgs<'replay:run'>, onProgress: (done: number, total: number) => void): Promise<ReplayRun>;
  /** Cancels the running replay; false when none runs. */
  cancel(): boolean;
  /** Cancels a running replay and waits until its thread has ended. */
  stop(): Promise<void>;
}

interface ReplayAccessOptions {
  dbFile: string;
  configFile: string;
  /** The config in force for the book (the last valid one while the file is invalid; null: none ever was). */
  live: () => RiskConfig | null;
  /** The book's time zone: a config naming another is refused, as the console refuses such a file. */
  zone: string;
  /** The worker's entry file: omitted = the worker module itself (tsx, vitest, the one-file CLI). */
  workerFile?: string;
  /** The better-sqlite3 build the replay's worker loads (the desktop app's Electron build). */
  nativeBinding?: string;
}

/** The 1-based line of the first `timezone:` key (account.timezone), for an error shown at its line. */
function timezoneLine(text: string): number | null {
  const at = text.split(/\r?\n/).findIndex((l) => /^\s+timezone\s*:/.test(l));
  return at >= 0 ? at + 1 : null;
}

function check(text: string, zone: string): { ok: true; config: RiskConfig } | { ok: false; errors: ConfigError[] } {
  const r = loadConfigText(text);
  if (!r.ok) return r;
  if (r.config.account.timezone !== zone) {
    return {
      ok: false,
      errors: [{ path: 'account.timezone', line: timezoneLine(text), message: `the book keeps its times in ${zone}; a config for it must name the same zone (got ${r.config.account.timezone})` }],
    };
  }
  return r;
}

export function replayAccess(opts: ReplayAccessOptions): ReplayAccess {
  let job: ReplayJob | null = null;

  const configOf = (which: 'configA' | 'configB', text: string): RiskConfig => {
    const r = check(text, opts.zone);
    if (r.ok) return r.config;
    const shown = r.errors.slice(0, 3).map(formatConfigError).join('; ');
    throw new ApiError('VALIDATION', `replay:run: ${which}: ${shown}${r.errors.length > 3 ? ` (+${r.errors.length - 3} more)` : ''}`);
  };

  return {
    setup() {
      let text: string | null;
      try {
        text = readFileSync(opts.configFile, 'utf8');
      } catch {
        text = null;
      }
      return { config_text: text, config_file: opts.configFile };
    },
    validate(text) {
      const r = check(text, opts.zone);
      return r.ok ? { ok: true } : { ok: false, errors: r.errors };
    },
    async run(args, onProgress) {
      // everything is checked before any thread starts
      if (opts.dbFile === ':memory:') throw new ApiError('CONFLICT', 'replay:run: the replay needs a database file (this console runs in memory)');
      if (args.from > args.to) throw new ApiError('VALIDATION', `replay:run: from ${args.from} is after to ${args.to}`);
      if (job) throw new ApiError('CONFLICT', 'replay:run: a replay is already running: cancel it or wait for it');
      let a: RiskConfig;
      if (args.configA === null) {
        const live = opts.live();
        if (!live) throw new ApiError('VALIDATION', 'replay:run: configA: no valid config is in force: give the config to replay');
        a = live;
      } else a = configOf('configA', args.configA);
      const configs = args.configB === null ? [a] : [a, configOf('configB', args.configB)];
      const req = { from: args.from, to: args.to, at: args.at, approve: args.approve, pricesCsv: args.pricesCsv ?? null, seed: args.seed };
      const current = replayOffThread(opts.dbFile, configs, req, { workerFile: opts.workerFile, nativeBinding: opts.nativeBinding, onProgress });
      job = current;
      try {
        const [ra, rb] = await current.result;
        return { a: ra, b: rb ?? null };
      } catch (e) {
        // a cancel is the trader's own doing, not bad input: CONFLICT, with the engine's line (after N of M days)
        if (e instanceof ReplayError) throw new ApiError(e.code === 'CANCELED' ? 'CONFLICT' : 'VALIDATION', `replay:run: ${e.message}`);
        throw e;
      } finally {
        if (job === current) job = null;
      }
    },
    cancel() {
      if (!job) return false;
      job.cancel();
      return true;
    },
    async stop() {
      const current = job;
      current?.cancel();
      await current?.result.catch(() => undefined);
    },
  };
}
