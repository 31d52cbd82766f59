// Which config the engine runs on. The console passes its watched file (services/config/zoned.ts); the CLI passes
// the --config file, or else the last valid config an evaluation ran on (kept in app_state so approve/prices use
// the same equity, cap and calendar), or else none: never the defaults.
import { formatConfigError, loadConfigFile } from '../config/load';
import { RiskConfigSchema, type RiskConfig } from '../config/schema';
import type { Db } from '../store/db';
import { getStateFast as getState, setStateFast as setState } from './stmt';

export interface ConfigStateLike {
  /** The config in force (the last valid one); null if there never was a valid one. */
  config: RiskConfig | null;
  valid: boolean;
  messages: string[];
  file?: string | null;
}

const KEY = 'engine.config';

let lastRemembered: { db: Db; config: RiskConfig } | null = null;

export function rememberConfig(db: Db, config: RiskConfig): void {
  if (lastRemembered && lastRemembered.db === db && lastRemembered.config === config) return;
  const text = JSON.stringify(config);
  if (getState(db, KEY) !== text) setState(db, KEY, text);
  lastRemembered = { db, config };
}

export function rememberedConfig(db: Db): RiskConfig | null {
  const text = getState(db, KEY);
  if (!text) return null;
  try {
    const r = RiskConfigSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

export class ConfigFileError extends Error {
  constructor(
    readonly file: string,
    readonly messages: string[],
  ) {
    super(`config ${file} is invalid: ${messages.join('; ')}`);
    this.name = 'ConfigFileError';
  }
}

/** The CLI's config: the file if given (throws ConfigFileError when invalid), else the one this book last ran on. */
export function cliConfig(db: Db, file: string | undefined): ConfigStateLike {
  if (file) {
    const r = loadConfigFile(file);
    if (!r.ok) throw new ConfigFileError(file, r.errors.map(formatConfigError));
    return { config: r.config, valid: true, messages: [], file };
  }
  const remembered = rememberedConfig(db);
  if (remembered) return { config: remembered, valid: true, messages: [], file: null };
  // Never the defaults: a book that has not run on a config yet gets none (nothing is proposed or approved).
  return { config: null, valid: false, messages: ['no config: this book has not run on one yet; pass --config C'], file: null };
}
