// Watches the user's risk_rules.yaml. The engine asks `current()` at the start of each cycle: a valid edit is
// applied then; an invalid one suspends the controller (valid = false) with its errors until the file is fixed.
import { statSync, watchFile, unwatchFile, type Stats } from 'node:fs';
import { formatConfigError, loadConfigFile, type ConfigError } from './load';
import type { RiskConfig } from './schema';
import { now } from '../clock';

export interface ConfigState {
  /** The config in force: the last valid one (null if the file was never valid). */
  config: RiskConfig | null;
  /** False while the file on disk is invalid: the controller stays disabled. */
  valid: boolean;
  errors: ConfigError[];
  /** Errors as one line each: `path (line N): message`. */
  messages: string[];
  file: string;
  loadedAt: number;
}

export class ConfigWatcher {
  private state: ConfigState;
  private stamp = '';
  private listeners = new Set<(s: ConfigState) => void>();
  private watching = false;

  constructor(readonly file: string) {
    this.state = { config: null, valid: false, errors: [], messages: [], file, loadedAt: 0 };
    this.reload();
  }

  private fingerprint(): string {
    let st: Stats;
    try {
      st = statSync(this.file);
    } catch {
      return 'missing';
    }
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  }

  /** Re-reads the file if it changed since the last read; returns the state in force. */
  current(): ConfigState {
    if (this.fingerprint() !== this.stamp) this.reload();
    return this.state;
  }

  reload(): ConfigState {
    this.stamp = this.fingerprint();
    const r = loadConfigFile(this.file);
    this.state = r.ok
      ? { config: r.config, valid: true, errors: [], messages: [], file: this.file, loadedAt: now() }
      : {
          config: this.state.config,
          valid: false,
          errors: r.errors,
          messages: r.errors.map(formatConfigError),
          file: this.file,
          loadedAt: now(),
        };
    for (const l of this.listeners) l(this.state);
    return this.state;
  }

  /** Polls the file (robust across editors that replace it) and calls back on every change. */
  onChange(listener: (s: ConfigState) => void, intervalMs = 1000): () => void {
    this.listeners.add(listener);
    if (!this.watching) {
      this.watching = true;
      watchFile(this.file, { interval: intervalMs }, () => this.current());
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.watching) {
        unwatchFile(this.file);
        this.watching = false;
      }
    };
  }
}
