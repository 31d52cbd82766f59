// Parse + validate off the SQLite thread: a worker thread runs validateRaw over a batch of JSON lines while the
// consumer applies the previous batch. The caller stays synchronous (submit a batch, take its results later, in
// order): the results come back through receiveMessageOnPort, with Atomics.wait to sleep until they are there.
// Results travel in columns (validate.ts checkLines: typed arrays, transferred, + one string array), not as 10,000
// cloned objects, and the consumer applies them as they are. The same file is the worker's entry. Nothing here is needed for correctness: without a validator the consumer validates in-thread.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, MessageChannel, parentPort, receiveMessageOnPort, threadId, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { checkLines, checkText, type Checked, type TextState } from './validate';
import { timerNow } from '../clock';
import { isThreadEntry, threadExecArgv } from '../threads';

/** A batch's columns as the thread sends them back, with the thread that made them. */
interface Reply extends Checked {
  threadId: number;
}

interface BytesMessage {
  bytes: Uint8Array;
  start: boolean;
}

/** Read a file from `from` in parts of about `partBytes` cut at line ends, staying at most `ahead` parts ahead. */
interface FileMessage {
  file: string;
  from: number;
  partBytes: number;
  ahead: number;
}

/** A part of a file the thread read itself: its results and its bytes [start, end) in the file. */
export interface FilePart extends Checked {
  start: number;
  end: number;
}

/** What the thread says after a file's last part (eof), or when it could not read on (error: the caller reads on). */
interface FileEnd {
  eof: boolean;
  error?: string;
  end: number;
  threadId: number;
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

/** The validator thread's young generation, in MiB. */
const VALIDATOR_YOUNG_MB = 8;

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
    const flag = new SharedArrayBuffer(8); // [0] batches sent back (the caller sleeps on it), [1] parts taken
    const data: ValidatorInput = { ledgerValidator: true, port: port2, flag };
    const execArgv = threadExecArgv(file);
    // A small young generation: the thread's garbage (a part's parsed objects) dies young, and V8's default (tens of
    // MiB per thread) was most of the ingest's peak memory above the main thread's (measured: 340 -> 280 MiB peak RSS
    // for a 1M-line file, no slower).
    this.worker = new Worker(file, {
      workerData: data,
      transferList: [port2],
      execArgv,
      resourceLimits: { maxYoungGenerationSizeMb: VALIDATOR_YOUNG_MB },
    });
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
    if (!isThreadEntry(file, 'validator', workerFile !== undefined) || !existsSync(file)) return null;
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

  /**
   * The thread reads `file` itself from byte `from`, in parts of about `partBytes` cut at line ends, and validates
   * each (a leading BOM is dropped only at byte 0), never more than `ahead` parts ahead of takePart(). Nothing else
   * may be submitted to this validator after it.
   */
  readFile(file: string, from: number, partBytes: number, ahead: number): void {
    this.reading = true;
    this.send({ file, from, partBytes, ahead } satisfies FileMessage);
  }

  private reading = false;

  /**
   * The next part of the file readFile() named (blocks until it is there); `{eof, end}` after its last part or, with
   * `error`, where the thread could not read on; null if the thread failed (the caller reads on from the last part's
   * end).
   */
  takePart(): FilePart | FileEnd | null {
    if (!this.reading) throw new Error('LineValidator.takePart: no file');
    this.pending++; // one message per part: take() counts them down
    const m = this.take() as unknown as FilePart | FileEnd | null;
    if (m) {
      Atomics.add(this.flag, 1, 1);
      Atomics.notify(this.flag, 1);
    }
    if (m && 'eof' in m) this.reading = false;
    return m;
  }

  private send(m: string[] | BytesMessage | FileMessage, transfer: ArrayBuffer[] = []): void {
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
  const reply = (r: object, c?: Checked) => {
    const transfer = c ? ([c.kind.buffer, c.cls.buffer, c.type.buffer, c.nums.buffer, c.sym.buffer, c.shape.buffer] as ArrayBuffer[]) : [];
    input.port.postMessage(r, transfer);
    Atomics.add(flag, 0, 1);
    Atomics.notify(flag, 0);
  };
  input.port.on('message', (m: string[] | BytesMessage | FileMessage) => {
    if ('file' in m) return void readFile(m, flag, reply);
    let c: Checked;
    if (Array.isArray(m)) c = checkLines(m);
    else {
      if (m.start) text.started = false;
      c = checkText(m.bytes, text);
    }
    reply({ ...c, threadId } satisfies Reply, c);
  });
  parentPort?.on('message', () => undefined);
}

/**
 * The part of an open file from byte `pos`: at least `partBytes` bytes (more, up to a line end, if it has none), cut
 * after its last line end (a \r in its last byte may be half of a \r\n: never cut there), or all the rest of the file
 * (eof). Blocks (readSync).
 */
export function readPartAt(fd: number, pos: number, partBytes: number): { bytes: Buffer; eof: boolean } {
  let buf = Buffer.allocUnsafeSlow(partBytes);
  let len = 0;
  for (;;) {
    if (len === buf.length) {
      const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
      buf.copy(bigger, 0, 0, len);
      buf = bigger;
    }
    const got = readSync(fd, buf, len, buf.length - len, pos + len);
    if (got === 0) return { bytes: buf.subarray(0, len), eof: true };
    len += got;
    if (len < partBytes) continue;
    const cut = cutAfterLineEnd(buf, len);
    if (cut > 0) return { bytes: buf.subarray(0, cut), eof: false };
  }
}

/**
 * Where the first `len` bytes of `buf` may be cut: after their last line end, but never after a \r in the last byte
 * (it may be half of a \r\n); 0 if there is no such place.
 */
export function cutAfterLineEnd(buf: Buffer, len: number): number {
  const from = len - 2;
  return from < 0 ? 0 : Math.max(buf.lastIndexOf(10, from), buf.lastIndexOf(13, from)) + 1;
}

/**
 * The thread's side of readFile(): reads on part by part, validates each and sends it back; sleeps while `ahead`
 * parts are sent and not taken.
 */
function readFile(m: FileMessage, flag: Int32Array, reply: (r: object, c?: Checked) => void): void {
  const text: TextState = { started: m.from > 0 };
  let pos = m.from; // the file's bytes before pos are sent (as parts)
  let sent = 0;
  let fd: number | null = null;
  try {
    fd = openSync(m.file, 'r');
    for (let eof = false; !eof; ) {
      const part = readPartAt(fd, pos, m.partBytes);
      eof = part.eof;
      if (part.bytes.length === 0) continue;
      for (let taken = Atomics.load(flag, 1); sent - taken >= m.ahead; taken = Atomics.load(flag, 1)) {
        Atomics.wait(flag, 1, taken, 1000); // (woken by the next take: the value it waits on is the one it checked)
      }
      const c = checkText(part.bytes, text);
      reply({ ...c, threadId, start: pos, end: pos + part.bytes.length } satisfies Reply & FilePart, c);
      sent++;
      pos += part.bytes.length;
    }
    reply({ eof: true, end: pos, threadId } satisfies FileEnd);
  } catch (e) {
    reply({ eof: false, error: e instanceof Error ? e.message : String(e), end: pos, threadId } satisfies FileEnd);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

if (!isMainThread && (workerData as ValidatorInput | null)?.ledgerValidator) runValidator(workerData as ValidatorInput);
