// Parse + validate off the SQLite thread: a worker thread runs validateRaw over a batch of JSON lines while the
// consumer applies the previous batch. The caller stays synchronous (submit a batch, take its results later, in
// order): the results come back through receiveMessageOnPort, with Atomics.wait to sleep until they are there.
// Results travel in columns (validate.ts checkLines: typed arrays, transferred, + one string array), not as 10,000
// cloned objects, and the consumer applies them as they are. The same file is the worker's entry. Nothing here is needed for correctness: without a validator the consumer validates in-thread.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, MessageChannel, parentPort, receiveMessageOnPort, threadId, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { checkLines, checkText, type Checked, type TextState } from './validate';
import { timerNow } from '../clock';

/** A batch's columns as the thread sends them back, with the thread that made them. */
interface Reply extends Checked {
  threadId: number;
}

interface BytesMessage {
  bytes: Uint8Array;
  start: boolean;
}

interface ValidatorInput {
  ledgerValidator: true;
  port: MessagePort;
  flag: SharedArrayBuffer;
}

/** Defined true by scripts/build-cli.mjs: this module is inside the one-file CLI, whose file is a thread entry too. */
declare const BANDCTL_BUNDLE: boolean | undefined;
const IN_CLI_BUNDLE = typeof BANDCTL_BUNDLE === 'boolean' && BANDCTL_BUNDLE;

function thisFile(): string {
  if (typeof __filename === 'string') return __filename;
  return fileURLToPath(import.meta.url);
}

/** How long take() waits for a batch before giving up on the worker (then the caller validates in-thread). */
const TAKE_TIMEOUT_MS = 30_000;

export class LineValidator {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  private pending = 0;
  private broken = false;
  /** The thread's id, once a batch's results came back (diagnostics: bandctl ingest). */
  threadId: number | null = null;

  private constructor(file: string) {
    const { port1, port2 } = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    const data: ValidatorInput = { ledgerValidator: true, port: port2, flag };
    // a .ts entry (tsx, vitest) needs tsx's CJS hook inside the worker too (as worker.ts does)
    const execArgv = file.endsWith('.ts') ? ['--require', createRequire(file).resolve('tsx/cjs')] : [];
    this.worker = new Worker(file, { workerData: data, transferList: [port2], execArgv });
    this.worker.unref();
    this.worker.on('error', () => void (this.broken = true));
    this.worker.on('exit', () => void (this.broken = true));
    port1.unref();
    this.port = port1;
    this.flag = new Int32Array(flag);
  }

  /** A validator thread, or null when it cannot start (the consumer then validates in-thread). */
  static start(workerFile?: string): LineValidator | null {
    const file = workerFile ?? thisFile();
    // Bundled into another file, this module is a thread entry only where that file loads it on a worker thread: the
    // built CLI does (src/main/cli/bandctl.ts); the app's main bundle does not, so there it stays in-thread.
    const entry = workerFile !== undefined || IN_CLI_BUNDLE || /validator\.(ts|js|cjs|mjs)$/.test(basename(file));
    if (!entry || !existsSync(file)) return null;
    try {
      return new LineValidator(file);
    } catch {
      return null;
    }
  }

  /** Queues a batch of raw lines; results come back in order from take(). */
  submit(lines: string[]): void {
    this.send(lines);
  }

  /**
   * Queues a piece of an input's bytes that ends at a line end (or the input's end): the thread decodes and splits it
   * (validate.ts checkText; `start`: the input's first piece) and its results come back in order from take().
   * The bytes are copied: the caller keeps its own (to validate them itself should the thread fail).
   */
  submitBytes(bytes: Uint8Array, start: boolean): void {
    const copy = new Uint8Array(bytes);
    this.send({ bytes: copy, start } satisfies BytesMessage, [copy.buffer]);
  }

  private send(m: string[] | BytesMessage, transfer: ArrayBuffer[] = []): void {
    this.pending++;
    if (this.broken) return;
    try {
      this.port.postMessage(m, transfer);
    } catch {
      this.broken = true;
    }
  }

  /** The results of the oldest submitted batch (blocks until ready), or null if the worker failed. */
  take(): Checked | null {
    if (this.pending === 0) throw new Error('LineValidator.take: nothing submitted');
    this.pending--;
    const deadline = timerNow() + TAKE_TIMEOUT_MS;
    for (;;) {
      const seen = Atomics.load(this.flag, 0);
      const m = receiveMessageOnPort(this.port);
      if (m) {
        const r = m.message as Reply;
        this.threadId = r.threadId;
        return r;
      }
      if (this.broken || timerNow() > deadline) {
        this.broken = true;
        return null;
      }
      Atomics.wait(this.flag, 0, seen, 50); // woken by the worker's notify; the timeout only bounds a lost wake-up
    }
  }

  async close(): Promise<void> {
    this.broken = true;
    this.port.close();
    await this.worker.terminate();
  }
}

function runValidator(input: ValidatorInput): void {
  const flag = new Int32Array(input.flag);
  const text: TextState = { started: false };
  input.port.on('message', (m: string[] | BytesMessage) => {
    let c: Checked;
    if (Array.isArray(m)) c = checkLines(m);
    else {
      if (m.start) text.started = false;
      c = checkText(m.bytes, text);
    }
    const r: Reply = { ...c, threadId };
    const transfer = [r.kind.buffer, r.cls.buffer, r.type.buffer, r.nums.buffer, r.sym.buffer] as ArrayBuffer[];
    input.port.postMessage(r, transfer);
    Atomics.add(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
  parentPort?.on('message', () => undefined);
}

if (!isMainThread && (workerData as ValidatorInput | null)?.ledgerValidator) runValidator(workerData as ValidatorInput);
