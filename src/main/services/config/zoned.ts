// The console's config for one book: the watched file, held to the book's time zone. A file that names another
// account.timezone than the book keeps is treated like any invalid edit: the controller is suspended with the
// reason, and the last config that fitted the book stays in force (or none, at a start on such a file).
import type { Db } from '../store/db';
import { zoneMismatch } from '../store/book-zone';
import type { RiskConfig } from './schema';
import type { ConfigState, ConfigWatcher } from './watcher';

export class ZonedConfig {
  private lastFit: RiskConfig | null = null;
  private lastFitAt = 0;
  private seen: ConfigState | null = null;
  private view: ConfigState | null = null;

  constructor(
    readonly watcher: ConfigWatcher,
    private readonly db: Db,
    readonly zone: string,
  ) {}

  get file(): string {
    return this.watcher.file;
  }

  /** The state in force for this book (re-reads the file if it changed). */
  current(): ConfigState {
    return this.fit(this.watcher.current());
  }

  onChange(listener: (s: ConfigState) => void, intervalMs?: number): () => void {
    return this.watcher.onChange((s) => listener(this.fit(s)), intervalMs);
  }

  /** When the config in force was loaded (0: never). */
  get loadedAt(): number {
    return this.lastFitAt;
  }

  private fit(s: ConfigState): ConfigState {
    if (s === this.seen && this.view) return this.view;
    this.seen = s;
    let view: ConfigState;
    if (s.valid && s.config && s.config.account.timezone !== this.zone) {
      const msg = `account.timezone: ${zoneMismatch(this.db, this.zone, s.config.account.timezone, s.file)}`;
      view = { ...s, config: this.lastFit, valid: false, errors: [], messages: [msg] };
    } else {
      if (s.valid && s.config) {
        this.lastFit = s.config;
        this.lastFitAt = s.loadedAt;
      }
      // An invalid file keeps the last config that fitted this book (the watcher's may be of another zone).
      view = s.valid ? s : { ...s, config: this.lastFit };
    }
    this.view = view;
    return view;
  }
}
