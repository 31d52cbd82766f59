// Integrity checks where they pay (issue 13). A full `quick_check` on every open cost 756 ms on a 425 MB ledger and
// grew with it, so open keeps only the cheap checks (a truncated file, a newer schema) and the full check runs:
//   - after an unclean shutdown: each connection leaves a session marker beside the file while it is open and
//     removes it at a clean close; a marker of a process that is gone means a crash, and the next open checks;
//   - in the background after the console starts (on its own read-only connection, off the main thread when it can);
//   - on demand: `bandctl check`.
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../../../shared/errors';
import { now } from '../clock';

export interface IntegrityResult {
  ok: boolean;
  /** "ok", or SQLite's first problems on one line. */
  detail: string;
  /** quick_check (default) or integrity_check (--full: also indexes against their tables). */
  kind: 'quick' | 'full';
  ms: number;
}

/** Runs SQLite's check on its own read-only connection. Never throws: a file that cannot be read is not ok. */
export function checkIntegrity(file: string, opts: { full?: boolean; nativeBinding?: string } = {}): IntegrityResult {
  const kind = opts.full ? 'full' : 'quick';
  const t0 = performance.now();
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, nativeBinding: opts.nativeBinding });
    const rows = db.pragma(opts.full ? 'integrity_check(20)' : 'quick_check(20)', { simple: false }) as Record<string, string>[];
    const lines = rows.map((r) => String(Object.values(r)[0]));
    const ok = lines.length === 1 && lines[0] === 'ok';
    return { ok, detail: ok ? 'ok' : lines.join('; ').replace(/\s+/g, ' ').slice(0, 1000), kind, ms: performance.now() - t0 };
  } catch (e) {
    return { ok: false, detail: `cannot be read as a database: ${errorMessage(e)}`, kind, ms: performance.now() - t0 };
  } finally {
    db?.close();
  }
}

/** The folder of session markers beside a database file. */
function sessionsDir(file: string): string {
  return `${file}-sessions`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let seq = 0;

export interface Session {
  /** Markers of connections whose process is gone: the file was not closed cleanly since. */
  unclean: string[];
  /** Removes this connection's marker (the clean close). */
  end(): void;
}

/**
 * Marks a connection open (`<pid>.<n>` in the sessions folder) and reports markers of processes that are gone,
 * removing them. Best effort: a folder that cannot be written only loses the unclean-shutdown check.
 */
export function beginSession(file: string): Session {
  const dir = sessionsDir(file);
  const unclean: string[] = [];
  try {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      const pid = Number(name.split('.')[0]);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) continue;
      unclean.push(name);
      rmSync(join(dir, name), { force: true });
    }
    const mine = join(dir, `${process.pid}.${++seq}`);
    writeFileSync(mine, `${new Date(now()).toISOString()}\n`);
    return {
      unclean,
      end: () => {
        try {
          rmSync(mine, { force: true });
          // the folder goes with the last connection
          if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
        } catch {
          /* best effort */
        }
      },
    };
  } catch {
    return { unclean, end: () => undefined };
  }
}
