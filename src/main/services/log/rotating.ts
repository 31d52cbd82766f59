// The main process's log file: one line per entry (ISO time, level, text), appended synchronously so the last lines
// before a crash are on disk, and rotated by size: main.log → main.1.log → … → main.<keep-1>.log, the oldest
// dropped. 5 files × 5 MB by default, so a console that runs for months keeps a bounded 25 MB.
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../../../shared/errors';
import { now as clockNow } from '../clock';

export type LogLevel = 'info' | 'warn' | 'error';

export interface RotatingLogOptions {
  /** File name inside the folder (default main.log). */
  name?: string;
  /** Rotate when the file would pass this size (default 5 MiB). */
  maxBytes?: number;
  /** Files kept, the current one included (default 5). */
  keep?: number;
  now?: () => Date;
}

export class RotatingLog {
  readonly file: string;
  private size: number;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly base: string;
  private readonly now: () => Date;
  private failed = false;

  constructor(
    readonly dir: string,
    opts: RotatingLogOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
    const name = opts.name ?? 'main.log';
    this.base = name.replace(/\.log$/, '');
    this.file = join(dir, name);
    this.maxBytes = opts.maxBytes ?? 5 * 1024 * 1024;
    this.keep = Math.max(1, opts.keep ?? 5);
    this.now = opts.now ?? (() => new Date(clockNow()));
    this.size = existsSync(this.file) ? statSync(this.file).size : 0;
  }

  /** main.log, main.1.log, … in age order (only those that exist). */
  files(): string[] {
    const all = [this.file];
    for (let i = 1; i < this.keep; i++) all.push(this.rotated(i));
    return all.filter((f) => existsSync(f));
  }

  write(level: LogLevel, text: string): void {
    // One entry is one line: embedded newlines (stacks) are kept, indented, so a reader can still split entries.
    const line = `${this.now().toISOString()} ${level.toUpperCase().padEnd(5)} ${text.replace(/\r?\n/g, '\n    ')}\n`;
    const bytes = Buffer.byteLength(line);
    try {
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      appendFileSync(this.file, line);
      this.size += bytes;
      this.failed = false;
    } catch (e) {
      // A full disk or a removed folder must never take the console down; say it once on stderr.
      if (!this.failed) process.stderr.write(`log: cannot write ${this.file}: ${errorMessage(e)}\n`);
      this.failed = true;
    }
  }

  info(text: string): void {
    this.write('info', text);
  }
  warn(text: string): void {
    this.write('warn', text);
  }
  error(text: string): void {
    this.write('error', text);
  }

  private rotated(i: number): string {
    return join(this.dir, `${this.base}.${i}.log`);
  }

  private rotate(): void {
    const oldest = this.rotated(this.keep - 1);
    if (this.keep === 1) {
      rmSync(this.file, { force: true });
    } else {
      rmSync(oldest, { force: true });
      for (let i = this.keep - 2; i >= 1; i--) if (existsSync(this.rotated(i))) renameSync(this.rotated(i), this.rotated(i + 1));
      renameSync(this.file, this.rotated(1));
    }
    this.size = 0;
  }
}
