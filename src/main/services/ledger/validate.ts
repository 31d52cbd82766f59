// docs/spec.md §7: one order event, validated field by field. A bad event yields a reason that starts with the field name.
import { isAscii } from 'node:buffer';
import {
  CLASSIFICATIONS,
  EVENT_TYPES,
  SYMBOL_RE,
  sideOf,
  type Classification,
  type EventType,
  type Side,
} from '../../../shared/domain';
import { errorMessage } from '../../../shared/errors';

interface OrderEvent {
  event_id: string;
  order_id: string;
  intent_id: string | null;
  ts: number;
  symbol: string;
  classification: Classification;
  bucket: 'LT' | 'MM';
  side: Side;
  event_type: EventType;
  isFill: boolean;
  /** Fills only (0 otherwise). */
  qty: number;
  /** Fills only (0 otherwise): price in micro-USD. */
  price_micro: number;
}

type Validated = { ok: true; event: OrderEvent } | { ok: false; reason: string };

const CLASS_SET: ReadonlySet<string> = new Set(CLASSIFICATIONS);
const SIDE_OF: Readonly<Record<string, Side>> = Object.fromEntries(CLASSIFICATIONS.map((c) => [c, sideOf(c)]));
const TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
/** Largest whole quantity one fill may carry. */
const MAX_FILL_QTY = 1_000_000_000;
/** Largest notional of one fill in micro-USD ($10 billion): keeps every daily sum inside SQLite's 64-bit INTEGER. */
const MAX_FILL_NOTIONAL_MICRO = 10_000_000_000n * 1_000_000n;
const MAX_ID_LEN = 256;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// 1970-01-01 .. 9999-12-31
const MAX_EPOCH_MS = 253_402_300_799_999;

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = typeof v === 'bigint' ? `${v}n` : (JSON.stringify(v) ?? String(v));
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** No lone surrogate (String.prototype.isWellFormed where the runtime has it: native, no regex). */
const wellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !LONE_SURROGATE.test(s);

function idField(o: Record<string, unknown>, name: string, required: boolean): string | null | { err: string } {
  const v = o[name];
  if (v === undefined || v === null) return required ? { err: `${name}: missing` } : null;
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_LEN) {
    return { err: `${name}: must be a non-empty string of at most ${MAX_ID_LEN} characters, got ${show(v)}` };
  }
  // A lone surrogate does not survive SQLite's UTF-8: the stored id would differ from the one compared later.
  if (!wellFormed(v)) return { err: `${name}: not valid Unicode text (lone surrogate), got ${show(v)}` };
  return v;
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/;

// A stream's timestamps share their minute and offset: the last fully parsed "YYYY-MM-DDTHH:MM" head and offset
// tail (both already validated) with their epoch, so the next one in the same minute parses only ":SS.fff".
let lastHead = '';
let lastTail = '';
let lastBase = 0;

/** 0-9 of the char at i, or -1. */
function digit(v: string, i: number): number {
  const c = v.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** The same minute and offset as the last full parse: its epoch ms, or null to parse in full. */
function sameMinute(v: string): number | null {
  if (lastHead === '' || v.length < 17 || !v.startsWith(lastHead)) return null;
  let i = 16;
  let ss = 0;
  let ms = 0;
  if (v.charCodeAt(16) === 58) {
    const a = digit(v, 17);
    const b = digit(v, 18);
    if (a < 0 || b < 0) return null;
    ss = a * 10 + b;
    if (ss > 59) return null;
    i = 19;
    if (v.charCodeAt(19) === 46) {
      // 1-9 fraction digits; ms = the first three, zero-padded (what the full parse's floor gives)
      let n = 0;
      let scale = 100;
      for (i = 20; i < v.length && n < 9; i++, n++) {
        const d = digit(v, i);
        if (d < 0) break;
        if (scale >= 1) ms += d * scale;
        scale /= 10;
      }
      if (n === 0) return null;
    }
  }
  if (v.length - i !== lastTail.length || !v.endsWith(lastTail)) return null;
  const t = lastBase + ss * 1000 + ms;
  return t >= 0 && t <= MAX_EPOCH_MS ? t : null;
}

/** Epoch ms of an ISO-8601 timestamp with offset or Z, or of epoch milliseconds; null when invalid. */
export function parseTs(v: unknown): number | null {
  if (typeof v === 'number') {
    return Number.isSafeInteger(v) && v >= 0 && v <= MAX_EPOCH_MS ? v : null;
  }
  if (typeof v !== 'string') return null;
  const fast = sameMinute(v);
  if (fast !== null) return fast;
  if (/^\d{1,15}$/.test(v)) return parseTs(Number(v));
  const m = ISO_RE.exec(v);
  if (!m) return null;
  const y = +m[1];
  const mo = +m[2];
  const d = +m[3];
  const hh = +m[4];
  const mi = +m[5];
  const ss = m[6] ? +m[6] : 0;
  const ms = m[7] ? Math.floor(+`0.${m[7]}` * 1000 + 1e-9) : 0;
  if (mo < 1 || mo > 12 || d < 1 || hh > 23 || mi > 59 || ss > 59) return null;
  const dim = mo === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : DAYS_IN_MONTH[mo];
  if (d > dim) return null;
  let off = 0;
  if (m[8] !== 'Z') {
    const oh = +m[10];
    const om = +m[11];
    if (oh > 23 || om > 59) return null;
    off = (oh * 60 + om) * 60_000 * (m[9] === '-' ? -1 : 1);
  }
  const utc = Date.UTC(y, mo - 1, d, hh, mi, ss, ms);
  const t = utc - off;
  if (t < 0 || t > MAX_EPOCH_MS) return null;
  lastHead = v.slice(0, 16);
  lastTail = m[8];
  lastBase = t - ss * 1000 - ms;
  return t;
}

function parseQty(v: unknown): number | null {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\d+$/.test(v)) n = Number(v);
  else return null;
  return Number.isInteger(n) && n > 0 && n <= MAX_FILL_QTY ? n : null;
}

/** Price to micro-USD (rounded half up); null unless finite and > 0 (and at least 1 micro after rounding). */
function parsePriceMicro(v: unknown): number | null {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) n = Number(v);
  else return null;
  if (!Number.isFinite(n) || n <= 0) return null;
  const m = Math.round(n * 1_000_000);
  return Number.isSafeInteger(m) && m > 0 ? m : null;
}

function validateObject(o: unknown): Validated {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    return { ok: false, reason: `event: must be a JSON object, got ${Array.isArray(o) ? 'an array' : show(o)}` };
  }
  const r = o as Record<string, unknown>;
  const eventId = idField(r, 'event_id', true);
  if (typeof eventId === 'object' && eventId !== null) return { ok: false, reason: eventId.err };
  const orderId = idField(r, 'order_id', true);
  if (typeof orderId === 'object' && orderId !== null) return { ok: false, reason: orderId.err };
  const intentId = idField(r, 'intent_id', false);
  if (typeof intentId === 'object' && intentId !== null) return { ok: false, reason: intentId.err };

  const eventType = r.event_type;
  if (eventType === undefined) return { ok: false, reason: 'event_type: missing' };
  if (typeof eventType !== 'string' || !TYPE_SET.has(eventType)) {
    return { ok: false, reason: `event_type: must be one of ${EVENT_TYPES.join(', ')}, got ${show(eventType)}` };
  }
  if (r.ts === undefined) return { ok: false, reason: 'ts: missing' };
  const ts = parseTs(r.ts);
  if (ts === null) {
    return {
      ok: false,
      reason: `ts: must be ISO-8601 with an offset or Z, or epoch milliseconds, got ${show(r.ts)}`,
    };
  }
  const symbol = r.symbol;
  if (symbol === undefined) return { ok: false, reason: 'symbol: missing' };
  if (typeof symbol !== 'string' || !SYMBOL_RE.test(symbol)) {
    return { ok: false, reason: `symbol: must be 1-16 characters of A-Z 0-9 . - / (upper case), got ${show(symbol)}` };
  }
  const cls = r.classification;
  if (cls === undefined) return { ok: false, reason: 'classification: missing' };
  if (typeof cls !== 'string' || !CLASS_SET.has(cls)) {
    return { ok: false, reason: `classification: must be one of ${CLASSIFICATIONS.join(', ')}, got ${show(cls)}` };
  }
  const side = r.side;
  if (side === undefined) return { ok: false, reason: 'side: missing' };
  if (side !== 'BUY' && side !== 'SELL') return { ok: false, reason: `side: must be BUY or SELL, got ${show(side)}` };
  const want = SIDE_OF[cls];
  if (side !== want) {
    return { ok: false, reason: `side: ${side} disagrees with classification ${cls} (which is a ${want})` };
  }
  const isFill = eventType === 'FILL' || eventType === 'PARTIAL_FILL';
  let qty = 0;
  let price = 0;
  if (isFill) {
    if (r.fill_qty === undefined || r.fill_qty === null) return { ok: false, reason: 'fill_qty: missing' };
    const q = parseQty(r.fill_qty);
    if (q === null) {
      return { ok: false, reason: `fill_qty: must be a whole number > 0 (at most ${MAX_FILL_QTY}), got ${show(r.fill_qty)}` };
    }
    if (r.fill_price === undefined || r.fill_price === null) return { ok: false, reason: 'fill_price: missing' };
    const p = parsePriceMicro(r.fill_price);
    if (p === null) return { ok: false, reason: `fill_price: must be a finite number > 0, got ${show(r.fill_price)}` };
    // q × p < 9e15 as a double is certainly within the limit (1e16); near it, decide exactly
    if (q * p > 9e15 && BigInt(q) * BigInt(p) > MAX_FILL_NOTIONAL_MICRO) {
      return { ok: false, reason: 'fill_qty: fill_qty × fill_price exceeds $10,000,000,000 for one fill' };
    }
    qty = q;
    price = p;
  }
  return {
    ok: true,
    event: {
      event_id: eventId as string,
      order_id: orderId as string,
      intent_id: intentId as string | null,
      ts,
      symbol,
      classification: cls as Classification,
      bucket: cls.startsWith('LT') ? 'LT' : 'MM',
      side,
      event_type: eventType as EventType,
      isFill,
      qty,
      price_micro: price,
    },
  };
}

/** Parses one raw JSON line and validates it. */
function validateRaw(raw: string): Validated {
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch (e) {
    return { ok: false, reason: `json: not valid JSON (${errorMessage(e).split('\n')[0].slice(0, 80)})` };
  }
  return validateObject(o);
}

/** Checked.kind of a line. */
export const REJECTED = 0;
/** The first line of the batch with its event_id (to apply unless an earlier batch applied it). */
export const FIRST = 1;
/** A valid line whose event_id an earlier line of the same batch has: a duplicate. */
const REPEAT = 2;

const CLS_INDEX: ReadonlyMap<string, number> = new Map(CLASSIFICATIONS.map((c, i) => [c, i]));
const TYPE_INDEX: ReadonlyMap<string, number> = new Map(EVENT_TYPES.map((t, i) => [t, i]));
/** Only ASCII: JavaScript's order of such strings is SQLite's order of their bytes. */
// eslint-disable-next-line no-control-regex
export const ASCII = /^[\x00-\x7f]*$/;

/**
 * A batch of lines parsed and validated, in columns (what a validator thread sends back: typed arrays it can
 * transfer and one array of strings, instead of an object per line). Repeats of an event_id inside the batch are
 * marked here already (the first valid occurrence wins).
 */
export interface Checked {
  n: number;
  /** Per line: REJECTED, FIRST or REPEAT. */
  kind: Uint8Array;
  /** Per valid line: index in CLASSIFICATIONS. */
  cls: Uint8Array;
  /** Per valid line: index in EVENT_TYPES. */
  type: Uint8Array;
  /** Per valid line i: ts, qty, price_micro at 3i, 3i + 1, 3i + 2 (qty and price 0 for a lifecycle event). */
  nums: Float64Array;
  /** Per valid line: index of its symbol in `syms`. */
  sym: Uint32Array;
  /** The batch's distinct symbols. */
  syms: string[];
  /** In line order: per FIRST line event_id, order_id, intent_id; per REJECTED line its reason; nothing per REPEAT. */
  strs: (string | null)[];
  /** The least event_id of the FIRST lines (null if none), and whether all of those ids are ASCII. */
  minId: string | null;
  ascii: boolean;
  /** The raw text of each REJECTED line in order, when the batch came as bytes (checkText); else null. */
  raws: string[] | null;
  /**
   * The shapes of the FIRST lines' event ids, for the applier's marks (apply.ts IdMarks): an id is a prefix and a run
   * of L >= 0 trailing ASCII digits (`e-5-1042`: `e-5-` and 4). Per FIRST line i, `shape[i]` is the index in `shapes`
   * of its shape, which holds the prefix, L and the greatest id of the batch of that shape; `shapes` is null when
   * the batch has more than MAX_SHAPES of them (UUIDs, say) or an id that is not ASCII.
   */
  shape: Uint16Array;
  shapes: IdShape[] | null;
}

export interface IdShape {
  prefix: string;
  digits: number;
  /** The greatest id of the batch of this shape (same prefix and length: compared as text is compared as numbers). */
  max: string;
}

/** More distinct id shapes than this in one batch: no shapes (the applier then probes by the byte-order mark alone). */
export const MAX_SHAPES = 64;

/** Parses (raw JSON lines) and validates a batch into columns; objects are events already parsed. */
export function checkLines(items: ReadonlyArray<unknown>): Checked {
  const n = items.length;
  const kind = new Uint8Array(n);
  const cls = new Uint8Array(n);
  const type = new Uint8Array(n);
  const nums = new Float64Array(3 * n);
  const sym = new Uint32Array(n);
  const syms: string[] = [];
  const symIndex = new Map<string, number>();
  const strs: (string | null)[] = [];
  const ids = new Set<string>();
  let minId: string | null = null;
  let ascii = true;
  const shape = new Uint16Array(n);
  let shapes: IdShape[] | null = [];
  let last = 0; // the last FIRST line's shape
  for (let i = 0; i < n; i++) {
    const item = items[i];
    const v = typeof item === 'string' ? validateRaw(item) : validateObject(item);
    if (!v.ok) {
      kind[i] = REJECTED;
      strs.push(v.reason);
      continue;
    }
    const e = v.event;
    cls[i] = CLS_INDEX.get(e.classification) as number;
    type[i] = TYPE_INDEX.get(e.event_type) as number;
    nums[3 * i] = e.ts;
    nums[3 * i + 1] = e.qty;
    nums[3 * i + 2] = e.price_micro;
    let s = symIndex.get(e.symbol);
    if (s === undefined) {
      s = syms.length;
      syms.push(e.symbol);
      symIndex.set(e.symbol, s);
    }
    sym[i] = s;
    const id = e.event_id;
    if (ids.size === ids.add(id).size) {
      kind[i] = REPEAT;
      continue;
    }
    kind[i] = FIRST;
    strs.push(id, e.order_id, e.intent_id);
    if (minId === null || id < minId) minId = id;
    if (ascii && !ASCII.test(id)) {
      ascii = false;
      shapes = null;
    }
    if (shapes !== null) {
      let j = id.length;
      while (j > 0 && id.charCodeAt(j - 1) >= 48 && id.charCodeAt(j - 1) <= 57) j--;
      const digits = id.length - j;
      // its shape: one of the (at most MAX_SHAPES) seen, looked for from the last line's on, compared in place
      let x = -1;
      for (let q = 0, len = shapes.length; q < len; q++) {
        const t = last + q < len ? last + q : last + q - len;
        const sh = shapes[t];
        if (sh.digits === digits && sh.prefix.length === j && id.startsWith(sh.prefix)) {
          x = t;
          if (id > sh.max) sh.max = id;
          break;
        }
      }
      if (x < 0) {
        if (shapes.length === MAX_SHAPES) {
          shapes = null;
          continue;
        }
        x = shapes.length;
        shapes.push({ prefix: id.slice(0, j), digits, max: id });
      }
      shape[i] = x;
      last = x;
    }
  }
  return { n, kind, cls, type, nums, sym, syms, strs, minId, ascii, raws: null, shape, shapes };
}

/** Where an input's text stands: whether a non-blank line was seen (a BOM is dropped from the first one only). */
export interface TextState {
  started: boolean;
}

const LINE_END = /\r\n|\n|\r/;

/**
 * The non-blank lines of a piece of UTF-8 text that ends at a line end (or at the end of the input): line ends as
 * node:readline's (\n, \r\n, a lone \r), a byte order mark dropped from the input's first line, blank lines skipped.
 */
function textLines(text: string, state: TextState): string[] {
  // no \r in it (as most files): split at \n natively, without the regular expression
  const parts = text.indexOf('\r') === -1 ? text.split('\n') : text.split(LINE_END);
  if (parts[parts.length - 1] === '') parts.pop(); // the text ended with a line end
  const out: string[] = [];
  for (const line of parts) {
    // most lines start with '{': not blank, no BOM (the cheap test first)
    if (line.charCodeAt(0) === 123) {
      state.started = true;
      out.push(line);
      continue;
    }
    const raw = !state.started && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
    if (raw.trim() === '') continue;
    state.started = true;
    out.push(raw);
  }
  return out;
}

/** A piece of an input's bytes (UTF-8, cut at a line end) parsed and validated; raws: the text of each rejected line. */
export function checkText(bytes: Uint8Array, state: TextState): Checked {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // (all ASCII, as most files: the same text decoded as latin1, without UTF-8's checks)
  const text = isAscii(buf) ? buf.toString('latin1') : buf.toString('utf8');
  const lines = textLines(text, state);
  const c = checkLines(lines);
  const raws: string[] = [];
  for (let i = 0; i < c.n; i++) if (c.kind[i] === REJECTED) raws.push(lines[i]);
  c.raws = raws;
  return c;
}
