// The Policy lab's replay off the main thread (node:worker_threads): replay() is synchronous and walks every trading day
// of the period, so it never runs on the thread that serves the console. The worker opens the database FILE itself
// (the replay works on a copy of it), runs config A and then config B when there is one, posts its progress, and
// stops at the next day when the parent raises the cancel flag (a SharedArrayBuffer: the worker's own event loop is
// busy for the whole run, so a message would only arrive after it). The same file is the worker's entry.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { ReplayResult } from '../../../shared/replay';
import type { RiskConfig } from '../config/schema';
import { replay, ReplayError, type ReplayRequest, type SharedCopy } from './index';
import { errorMessage } from '../../../shared/errors';
import { threadExecArgv } from '../threads';

interface ReplayInput {
  replayWorker: true;
  dbFile: string;
  configs: RiskConfig[];
  req: ReplayRequest;
  /** Int32Array over it: [0] = 1 once the parent cancels. */
  cancel: SharedArrayBuffer;
  nativeBinding?: string;
}

type WorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; results: ReplayResult[] }
  | { type: 'error'; message: string; code: ReplayError['code'] | null };

export interface ReplayJob {
  /** The results, one per config in the order given; rejects with ReplayError (bad input; code CANCELED after a cancel) or Error. */
  result: Promise<ReplayResult[]>;
  /** Asks the worker to stop at its next trading day; ends the thread if it has not stopped within `graceMs`. */
  cancel(): void;
}

interface ReplayThreadOptions {
  /** The worker's entry file (a bundler may emit it elsewhere); default: this file. */
  workerFile?: string;
  /** Trading days done of the total, both configs together (config B's days follow A's). */
  onProgress?: (done: number, total: number) => void;
  /** How long a cancelled worker may take to stop by itself before it is terminated (default 3 s). */
  graceMs?: number;
  /** The better-sqlite3 build the worker loads (the desktop app's Electron build). */
  nativeBinding?: string;
}

function thisFile(): string {
  // CJS (bundled main and CLI, tsx in CJS mode) has __filename; ESM has import.meta.url.
  if (typeof __filename === 'string') return __filename;
  return fileURLToPath(import.meta.url);
}

/** Runs replay() for each config on a worker thread. */
export function replayOffThread(dbFile: string, configs: RiskConfig[], req: ReplayRequest, opts: ReplayThreadOptions = {}): ReplayJob {
  const file = opts.workerFile ?? thisFile();
  if (!existsSync(file)) {
    const e = new Error(`the replay worker's entry is missing (${file}): the replay never runs on the main thread`);
    return { result: Promise.reject(e), cancel: () => undefined };
  }
  const cancel = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancel);
  const data: ReplayInput = { replayWorker: true, dbFile, configs, req, cancel, nativeBinding: opts.nativeBinding };
  const execArgv = threadExecArgv(file);
  const worker = new Worker(file, { workerData: data, execArgv });
  let killTimer: NodeJS.Timeout | null = null;
  const cancelled = () => new ReplayError('the replay was canceled', 'CANCELED');
  const result = new Promise<ReplayResult[]>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (killTimer) clearTimeout(killTimer);
      fn();
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') {
        if (!settled) opts.onProgress?.(m.done, m.total);
      } else if (m.type === 'done') settle(() => resolve(m.results));
      else if (m.type === 'error') {
        settle(() => reject(m.code ? new ReplayError(m.message, m.code) : Atomics.load(flag, 0) === 1 ? cancelled() : new Error(m.message)));
      }
    });
    worker.on('error', (e) => settle(() => reject(Atomics.load(flag, 0) === 1 ? cancelled() : e)));
    // a thread that ends without an answer (terminated after a cancel, or an entry without the replay) never leaves
    // the caller waiting
    worker.on('exit', (code) =>
      settle(() => reject(Atomics.load(flag, 0) === 1 ? cancelled() : new Error(`the replay worker ended without a result (thread exit ${code}; entry ${file})`))),
    );
  });
  result.catch(() => undefined);
  return {
    result,
    cancel() {
      if (Atomics.load(flag, 0) === 1) return;
      Atomics.store(flag, 0, 1);
      killTimer = setTimeout(() => void worker.terminate(), opts.graceMs ?? 3_000);
      killTimer.unref();
    },
  };
}

function runWorker(input: ReplayInput): void {
  const port = parentPort;
  if (!port) return;
  const flag = new Int32Array(input.cancel);
  const isCancelled = () => Atomics.load(flag, 0) === 1;
  const n = input.configs.length;
  try {
    const results: ReplayResult[] = [];
    // A and B of a comparison start from one rewound copy of the book.
    const shared: SharedCopy | undefined = n > 1 ? {} : undefined;
    input.configs.forEach((config, i) => {
      const r = replay(
        input.dbFile,
        config,
        input.req,
        {
          isCancelled,
          nativeBinding: input.nativeBinding,
          onProgress: (done, total) => port.postMessage({ type: 'progress', done: i * total + done, total: n * total } satisfies WorkerMessage),
        },
        shared,
      );
      results.push(r);
    });
    port.postMessage({ type: 'done', results } satisfies WorkerMessage);
  } catch (e) {
    port.postMessage({ type: 'error', message: errorMessage(e), code: e instanceof ReplayError ? e.code : null } satisfies WorkerMessage);
  }
}

if (!isMainThread && (workerData as ReplayInput | null)?.replayWorker) runWorker(workerData as ReplayInput);
