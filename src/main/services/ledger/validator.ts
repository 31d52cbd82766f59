// Parse + validate off the SQLite thread: a worker thread runs validateRaw over a batch of JSON lines while the
// consumer applies the previous batch. The caller stays synchronous (submit a batch, take its results later, in
// order): the results come back through receiveMessageOnPort, with Atomics.wait to sleep until they are there.
// Results travel in columns (typed arrays + one string array), not as 20,000 cloned objects. The same file is the
// worker's entry. Nothing here is needed for correctness: without a validator the consumer validates in-thread.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, MessageChannel, parentPort, receiveMessageOnPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { CLASSIFICATIONS, EVENT_TYPES, type Classification } from '../../../shared/domain';
import { validateRaw, type Validated } from './validate';

interface Packed {
  n: number;
  /** Per line: 255 = rejected, else the classification index. */
  cls: Uint8Array;
  /** Per line: event type index (valid lines). */
  type: Uint8Array;
  /** Per valid line: ts, qty, price_micro. */
  nums: Float64Array;
  /** Per valid line: event_id, order_id, intent_id, symbol; per rejected line: the reason. */
  strs: (string | null)[];
}

const CLS_INDEX = new Map<string, number>(CLASSIFICATIONS.map((c, i) => [c, i]));
const TYPE_INDEX = new Map<string, number>(EVENT_TYPES.map((t, i) => [t, i]));

function pack(lines: string[]): Packed {
  const n = lines.length;
  const cls = new Uint8Array(n);
  const type = new Uint8Array(n);
  const nums = new Float64Array(3 * n);
  const strs: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const v = validateRaw(lines[i]);
    if (!v.ok) {
      cls[i] = 255;
      strs.push(v.reason);
      continue;
    }
    const e = v.event;
    cls[i] = CLS_INDEX.get(e.classification) as number;
    type[i] = TYPE_INDEX.get(e.event_type) as number;
    nums[3 * i] = e.ts;
    nums[3 * i + 1] = e.qty;
    nums[3 * i + 2] = e.price_micro;
    strs.push(e.event_id, e.order_id, e.intent_id, e.symbol);
  }
  return { n, cls, type, nums, strs };
}

function unpack(p: Packed): Validated[] {
  const out = new Array<Validated>(p.n);
  let s = 0;
  for (let i = 0; i < p.n; i++) {
    const c = p.cls[i];
    if (c === 255) {
      out[i] = { ok: false, reason: p.strs[s++] as string };
      continue;
    }
    const classification = CLASSIFICATIONS[c] as Classification;
    const eventType = EVENT_TYPES[p.type[i]];
    out[i] = {
      ok: true,
      event: {
        event_id: p.strs[s] as string,
        order_id: p.strs[s + 1] as string,
        intent_id: p.strs[s + 2],
        ts: p.nums[3 * i],
        symbol: p.strs[s + 3] as string,
        classification,
        bucket: classification.startsWith('LT') ? 'LT' : 'MM',
        // validation made side agree with the classification
        side: classification.endsWith('LONG_INCREASE') || classification.endsWith('SHORT_DECREASE') ? 'BUY' : 'SELL',
        event_type: eventType,
        isFill: eventType === 'FILL' || eventType === 'PARTIAL_FILL',
        qty: p.nums[3 * i + 1],
        price_micro: p.nums[3 * i + 2],
      },
    };
    s += 4;
  }
  return out;
}

interface ValidatorInput {
  ledgerValidator: true;
  port: MessagePort;
  flag: SharedArrayBuffer;
}

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
    // bundled into another file (the app's main bundle), this module is no worker entry of its own: stay in-thread
    if (!existsSync(file) || (!workerFile && !/validator\.(ts|js|cjs|mjs)$/.test(basename(file)))) return null;
    try {
      return new LineValidator(file);
    } catch {
      return null;
    }
  }

  /** Queues a batch of raw lines; results come back in order from take(). */
  submit(lines: string[]): void {
    this.pending++;
    if (this.broken) return;
    try {
      this.port.postMessage(lines);
    } catch {
      this.broken = true;
    }
  }

  /** The results of the oldest submitted batch (blocks until ready), or null if the worker failed. */
  take(): Validated[] | null {
    if (this.pending === 0) throw new Error('LineValidator.take: nothing submitted');
    this.pending--;
    const deadline = Date.now() + TAKE_TIMEOUT_MS;
    for (;;) {
      const seen = Atomics.load(this.flag, 0);
      const m = receiveMessageOnPort(this.port);
      if (m) return unpack(m.message as Packed);
      if (this.broken || Date.now() > deadline) {
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
  input.port.on('message', (lines: string[]) => {
    const p = pack(lines);
    input.port.postMessage(p, [p.cls.buffer as ArrayBuffer, p.type.buffer as ArrayBuffer, p.nums.buffer as ArrayBuffer]);
    Atomics.add(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
  parentPort?.on('message', () => undefined);
}

if (!isMainThread && (workerData as ValidatorInput | null)?.ledgerValidator) runValidator(workerData as ValidatorInput);
