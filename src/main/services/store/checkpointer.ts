// WAL checkpoints off the writer's thread during a bulk load (bandctl ingest): a thread with its own connection to
// the same file copies each committed transaction's pages from the WAL into the database (PRAGMA
// wal_checkpoint(PASSIVE)) while the writer goes on with the next one, so the writer's commits only append to the WAL
// and the WAL restarts from its start once all of it is copied. A checkpoint from another connection is SQLite's own
// mechanism and as safe as the writer's: a process killed midway leaves a WAL that the next open recovers. Nothing
// here is needed for correctness: without the thread the writer's connection checkpoints itself (wal_autocheckpoint).
// The same file is the thread's entry (the built CLI's one file is: src/main/cli/bandctl.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { isThreadEntry, threadExecArgv } from '../threads';

interface CheckpointerInput {
  walCheckpointer: true;
  file: string;
  /** [0] commits the writer made (and 1 more for the stop), [1] 1 once it asks the thread to stop. */
  flag: SharedArrayBuffer;
  nativeBinding?: string;
}

/** What the thread did: its checkpoints, and an error that stopped it (if any). */
export interface CheckpointerStats {
  checkpoints: number;
  error: string | null;
}

function thisFile(): string {
  if (typeof __filename === 'string') return __filename;
  return fileURLToPath(import.meta.url);
}

export class WalCheckpointer {
  private readonly flag: Int32Array;
  private readonly done: Promise<CheckpointerStats>;

  private constructor(
    private readonly worker: Worker,
    flag: SharedArrayBuffer,
  ) {
    this.flag = new Int32Array(flag);
    this.done = new Promise((resolve) => {
      let stats: CheckpointerStats = { checkpoints: 0, error: 'the thread ended without a word' };
      worker.on('message', (m: CheckpointerStats) => void (stats = m));
      worker.on('error', (e) => void (stats = { ...stats, error: e.message }));
      worker.on('exit', () => resolve(stats));
    });
  }

  /**
   * A checkpointer thread for the database file `dbFile` (in WAL mode), or null where none can start: an in-memory
   * database, or this module is not a thread entry here (the app's main bundle; then the writer checkpoints itself).
   */
  static start(dbFile: string, opts: { workerFile?: string; nativeBinding?: string } = {}): WalCheckpointer | null {
    if (dbFile === '' || dbFile === ':memory:' || !existsSync(dbFile)) return null;
    const file = opts.workerFile ?? thisFile();
    if (!isThreadEntry(file, 'checkpointer', opts.workerFile !== undefined) || !existsSync(file)) return null;
    const flag = new SharedArrayBuffer(8);
    const data: CheckpointerInput = { walCheckpointer: true, file: dbFile, flag, nativeBinding: opts.nativeBinding };
    const execArgv = threadExecArgv(file);
    try {
      const w = new Worker(file, { workerData: data, execArgv });
      w.unref();
      return new WalCheckpointer(w, flag);
    } catch {
      return null;
    }
  }

  /** The writer committed a transaction: its pages may be copied now. */
  committed(): void {
    Atomics.add(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
  }

  /** Asks the thread to stop once it has copied what was committed, and waits for it; what it did. */
  async stop(): Promise<CheckpointerStats> {
    this.worker.ref(); // (unref'd while it runs: it must not keep a process alive) waited for now
    Atomics.store(this.flag, 1, 1);
    // [0] moves too: a thread about to sleep on it (after a checkpoint that began before this) wakes at once
    Atomics.add(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
    return this.done;
  }
}

function runCheckpointer(input: CheckpointerInput): void {
  const flag = new Int32Array(input.flag);
  const stats: CheckpointerStats = { checkpoints: 0, error: null };
  let db: Database.Database | null = null;
  try {
    db = new Database(input.file, { fileMustExist: true, nativeBinding: input.nativeBinding });
    db.pragma('synchronous = NORMAL'); // as the writer's connection (store/db.ts): the checkpoint syncs the file
    let seen = 0;
    for (;;) {
      const stopping = Atomics.load(flag, 1) !== 0;
      const now = Atomics.load(flag, 0);
      if (now !== seen) {
        seen = now;
        // PASSIVE: copies what is committed without waiting for any lock (a busy WAL is tried again after the next
        // commit); also once more when asked to stop, for the commits since the last one
        db.pragma('wal_checkpoint(PASSIVE)');
        stats.checkpoints++;
      }
      if (stopping) break;
      Atomics.wait(flag, 0, seen, 1000);
    }
  } catch (e) {
    stats.error = e instanceof Error ? e.message : String(e);
  } finally {
    db?.close();
    parentPort?.postMessage(stats);
  }
}

if (!isMainThread && (workerData as CheckpointerInput | null)?.walCheckpointer) runCheckpointer(workerData as CheckpointerInput);
