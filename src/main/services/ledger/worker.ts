// The ledger consumer off the main thread (node:worker_threads): polls the event log (~200 ms) on its own SQLite
// connection and posts the counts of every applied batch to the parent. The same file is the worker's entry.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { openDb } from '../store/db';
import { checkIntegrity, type IntegrityResult } from '../store/integrity';
import { LedgerConsumer, type Counts } from './consumer';
import { errorMessage } from '../../../shared/errors';
import { threadExecArgv } from '../threads';

interface LedgerWorkerOptions {
  timezone: string;
  /** Poll interval in ms (default 200). */
  pollMs?: number;
  /** Path of the worker entry (a bundler may emit it elsewhere); default: this file. */
  workerFile?: string;
  /** The better-sqlite3 addon for this runtime (Electron's build; openDb's nativeBinding); default: Node's. */
  nativeBinding?: string;
}

export interface AppliedMessage extends Counts {
  type: 'applied';
  pos: number;
}

export interface LedgerWorkerHandle {
  stop(): Promise<void>;
  onApplied(cb: (m: AppliedMessage) => void): void;
  onError(cb: (e: Error) => void): void;
  /** Resolves after the worker has opened the database and applied the backlog once. */
  ready: Promise<void>;
}

interface WorkerInput {
  ledgerWorker: true;
  dbFile: string;
  timezone: string;
  pollMs: number;
  nativeBinding?: string;
}

function thisFile(): string {
  // CJS (bundled main, tsx in CJS mode) has __filename; ESM has import.meta.url.
  if (typeof __filename === 'string') return __filename;
  return fileURLToPath(import.meta.url);
}

export function startLedgerWorker(dbFile: string, opts: LedgerWorkerOptions): LedgerWorkerHandle {
  const file = opts.workerFile ?? thisFile();
  if (!existsSync(file)) throw new Error(`ledger worker entry not found: ${file}`);
  const data: WorkerInput = {
    ledgerWorker: true,
    dbFile,
    timezone: opts.timezone,
    pollMs: opts.pollMs ?? 200,
    nativeBinding: opts.nativeBinding,
  };
  const execArgv = threadExecArgv(file);
  const worker = new Worker(file, { workerData: data, execArgv });
  const applied: ((m: AppliedMessage) => void)[] = [];
  const errors: ((e: Error) => void)[] = [];
  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  ready.catch(() => undefined);
  let exited = false;
  let isReady = false;
  const exitP = new Promise<void>((res) =>
    worker.once('exit', (code) => {
      exited = true;
      // a thread that ends before it said ready (its file has no worker entry, or it failed to load) is an error,
      // said, not a wait for ever
      if (!isReady) {
        const e = new Error(`the ledger worker ended before it was ready (thread exit ${code}; entry ${file})`);
        readyReject(e);
        for (const cb of errors) cb(e);
      }
      res();
    }),
  );
  worker.on('message', (m: { type: string } & Record<string, unknown>) => {
    if (m.type === 'ready') {
      isReady = true;
      readyResolve();
    }
    else if (m.type === 'applied') for (const cb of applied) cb(m as unknown as AppliedMessage);
    else if (m.type === 'error') {
      const e = new Error(String(m.message));
      readyReject(e);
      for (const cb of errors) cb(e);
    }
  });
  worker.on('error', (e) => {
    readyReject(e);
    for (const cb of errors) cb(e);
  });
  return {
    ready,
    onApplied: (cb) => void applied.push(cb),
    onError: (cb) => void errors.push(cb),
    async stop() {
      if (exited) return;
      worker.postMessage({ type: 'stop' });
      const t = setTimeout(() => void worker.terminate(), 5_000);
      await exitP;
      clearTimeout(t);
    },
  };
}

function runWorker(input: WorkerInput): void {
  const port = parentPort;
  if (!port) return;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let db: ReturnType<typeof openDb> | undefined;
  try {
    db = openDb(input.dbFile, { nativeBinding: input.nativeBinding });
    const consumer = new LedgerConsumer(db, { timezone: input.timezone });
    const tick = () => {
      timer = undefined;
      if (stopping) return;
      try {
        consumer.runToEnd((c, pos) => port.postMessage({ type: 'applied', ...c, pos }));
      } catch (e) {
        // SQLITE_BUSY or similar: report and try again on the next poll (nothing was half-applied)
        port.postMessage({ type: 'error', message: errorMessage(e) });
      }
      if (!stopping) timer = setTimeout(tick, input.pollMs);
    };
    tick();
    port.postMessage({ type: 'ready' });
  } catch (e) {
    port.postMessage({ type: 'error', message: errorMessage(e) });
    db?.close();
    port.close();
    return;
  }
  port.on('message', (m: { type?: string }) => {
    if (m?.type !== 'stop') return;
    stopping = true;
    if (timer) clearTimeout(timer);
    db?.close();
    port.close();
  });
}

if (!isMainThread && (workerData as WorkerInput | null)?.ledgerWorker) runWorker(workerData as WorkerInput);

interface CheckInput {
  integrityCheck: true;
  dbFile: string;
  full: boolean;
  nativeBinding?: string;
}

/**
 * SQLite's integrity check of a file on a worker thread (the same entry file as the ledger worker), so a check of a
 * large book never holds the main process's thread. Without an entry file (tests, tsx) it runs here.
 */
export function checkIntegrityOffThread(
  dbFile: string,
  opts: { full?: boolean; workerFile?: string | null; nativeBinding?: string } = {},
): Promise<IntegrityResult> {
  const file = opts.workerFile === undefined ? thisFile() : opts.workerFile;
  if (!file || !existsSync(file)) return Promise.resolve(checkIntegrity(dbFile, opts));
  const data: CheckInput = { integrityCheck: true, dbFile, full: opts.full ?? false, nativeBinding: opts.nativeBinding };
  const execArgv = threadExecArgv(file);
  return new Promise((resolve) => {
    const w = new Worker(file, { workerData: data, execArgv });
    w.once('message', (r: IntegrityResult) => resolve(r));
    w.once('error', (e) => resolve({ ok: false, detail: `the check could not run: ${e.message}`, kind: opts.full ? 'full' : 'quick', ms: 0 }));
    // a thread that ends without answering (its file has no check entry) must not leave the caller waiting for ever
    w.once('exit', (code) => resolve({ ok: false, detail: `the check ended without a result (thread exit ${code})`, kind: opts.full ? 'full' : 'quick', ms: 0 }));
  });
}

if (!isMainThread && (workerData as CheckInput | null)?.integrityCheck) {
  const d = workerData as CheckInput;
  parentPort?.postMessage(checkIntegrity(d.dbFile, { full: d.full, nativeBinding: d.nativeBinding }));
}
