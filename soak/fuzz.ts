// The ingest fuzzer: valid docs/spec.md §7 order events, mutated (field deletions, type swaps, huge / unicode / control
// strings, NaN-ish numbers, truncation, duplicated ids, bad timestamps, ...), fed into the ledger's ingest path
// (appendEvents + LedgerConsumer.runToEnd, as `bandctl ingest` does; a share as parsed objects through applyBatch, as
// a stream bridge does). Checks: nothing throws; every line is applied, quarantined or counted a duplicate and the
// counts add up (and match the quarantine, fills and order_events tables); every mutation whose verdict the spec (docs/spec.md)
// decides gets that verdict; positions and daily totals equal an independent recomputation (BigInt average cost)
// from the lines the model knows were applied.
import { CLASSIFICATIONS, EVENT_TYPES, sideOf, type Classification } from '../src/shared/domain';
import { LedgerConsumer, type Counts } from '../src/main/services/ledger/consumer';
import { appendEvents } from '../src/main/services/ledger/log';
import type { Db } from '../src/main/services/store/db';
import { Rng } from './rng';

/** accept: a valid event; reject: must be quarantined; either: the spec (docs/spec.md) does not decide (the ledger's call). */
type Verdict = 'accept' | 'reject' | 'either';

export interface Line {
  /** What is fed: a raw JSON line, or a parsed object (stream bridge path). */
  payload: string | Record<string, unknown>;
  verdict: Verdict;
  /** For an exact or conflicting redelivery: index of the line whose event_id it repeats (must not be applied). */
  dupOf?: number;
  /** The event as the model reads it, when it may be applied. */
  model?: ModelEvent;
  mutations: string[];
}

interface ModelEvent {
  event_id: string;
  isFill: boolean;
  bucket: 'LT' | 'MM';
  symbol: string;
  classification: Classification;
  side: 'BUY' | 'SELL';
  qty: number;
  price_micro: number;
}

export interface FuzzReport {
  lines: number;
  mutations: number;
  applied: number;
  quarantined: number;
  duplicates: number;
  fills: number;
  byMutation: Record<string, number>;
  violations: string[];
}

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'BRK.B', 'TSLA', 'INTC', 'SPY', 'X', 'RDS-A', 'BF/B', 'QQQ', 'A1'];
const UNICODE = ['é', 'ß', '日本', '🙂', '\u202e', '\u200b', '\ufeff', 'Ω', '\u0301', '𝔘'];
const CONTROL = ['\u0000', '\u0001', '\t', '\n', '\r', '\u001b', '\u007f', '\u2028', '\u2029'];

function isoTs(rng: Rng, ms: number): string | number {
  const r = rng.int(0, 3);
  if (r === 0) return ms;
  if (r === 1) return new Date(ms).toISOString();
  const offH = rng.pick([-5, -4, 0, 1, 5, 9]);
  const d = new Date(ms + offH * 3_600_000);
  const iso = d.toISOString().slice(0, 23);
  const sign = offH < 0 ? '-' : '+';
  return `${iso}${sign}${String(Math.abs(offH)).padStart(2, '0')}:00`;
}

function price(rng: Rng): number {
  const cents = rng.int(100, 100_000);
  const extra = rng.chance(0.3) ? rng.int(0, 99) / 10_000 : 0;
  return Math.round((cents / 100 + extra) * 10_000) / 10_000;
}

function baseEvent(rng: Rng, n: number): Record<string, unknown> {
  const cls = rng.pick(CLASSIFICATIONS);
  const types = ['FILL', 'FILL', 'FILL', 'PARTIAL_FILL', 'PARTIAL_FILL', 'NEW', 'ACK', 'CANCELED', 'REJECTED'] as const;
  const et = rng.pick(types);
  const e: Record<string, unknown> = {
    event_id: `fz-${n}`,
    order_id: `o-${rng.int(1, 5_000)}`,
    ts: isoTs(rng, Date.UTC(2024, 0, 2) + rng.int(0, 400 * 86_400_000)),
    symbol: rng.pick(SYMBOLS),
    classification: cls,
    side: sideOf(cls),
    event_type: et,
  };
  if (rng.chance(0.6)) e.intent_id = `i-${rng.int(1, 900)}`;
  if (et === 'FILL' || et === 'PARTIAL_FILL' || rng.chance(0.2)) {
    e.fill_qty = rng.int(1, 3_000);
    e.fill_price = price(rng);
  }
  return e;
}

function isFillType(t: unknown): boolean {
  return t === 'FILL' || t === 'PARTIAL_FILL';
}

const REQUIRED = ['event_id', 'order_id', 'event_type', 'ts', 'symbol', 'classification', 'side'] as const;
const NON_STRINGS: unknown[] = [true, false, null, [], [1, 2], {}, { a: 1 }, 0, -1];

type Mut = { name: string; apply(e: Record<string, unknown>, rng: Rng): Verdict };

/** Field-level mutations of an event object. Each returns the verdict the spec (docs/spec.md) gives the mutated event. */
const FIELD_MUTATIONS: Mut[] = [
  {
    name: 'delete-required',
    apply(e, rng) {
      delete e[rng.pick(REQUIRED)];
      return 'reject';
    },
  },
  {
    name: 'delete-fill-field',
    apply(e, rng) {
      delete e[rng.pick(['fill_qty', 'fill_price'])];
      return isFillType(e.event_type) ? 'reject' : 'either';
    },
  },
  {
    name: 'delete-intent',
    apply(e, rng) {
      if (rng.chance(0.5)) delete e.intent_id;
      else e.intent_id = null;
      return 'accept';
    },
  },
  {
    name: 'type-swap-string-field',
    apply(e, rng) {
      const f = rng.pick(REQUIRED);
      const v = rng.pick(NON_STRINGS);
      e[f] = v;
      // A number where an id is expected: the spec (docs/spec.md) shows strings but does not say; ts may be epoch ms; the rest is
      // plainly wrong.
      if (typeof v === 'number' && (f === 'event_id' || f === 'order_id' || f === 'ts')) return 'either';
      return 'reject';
    },
  },
  {
    name: 'type-swap-fill-number',
    apply(e, rng) {
      const f = rng.pick(['fill_qty', 'fill_price']);
      e[f] = rng.pick([true, false, [], {}, 'abc', '', ' ', '1,000', '$150', '0x10', 'NaN', 'Infinity', '-Infinity']);
      return isFillType(e.event_type) ? 'reject' : 'either';
    },
  },
  {
    name: 'numeric-string-fill-number',
    apply(e) {
      if ('fill_qty' in e) e.fill_qty = String(e.fill_qty);
      if ('fill_price' in e) e.fill_price = String(e.fill_price);
      return 'either';
    },
  },
  {
    name: 'bad-qty',
    apply(e, rng) {
      e.fill_qty = rng.pick([0, -1, -100, 0.5, 1.5, 100.0001, 1e21, -0.0, Number.MAX_VALUE, 2 ** 53 + 2, 1e-7]);
      return isFillType(e.event_type) ? 'reject' : 'either';
    },
  },
  {
    name: 'bad-price',
    apply(e, rng) {
      e.fill_price = rng.pick([0, -0.01, -150.25, -1e-9, -1e308]);
      return isFillType(e.event_type) ? 'reject' : 'either';
    },
  },
  {
    name: 'tiny-or-huge-price',
    apply(e, rng) {
      e.fill_price = rng.pick([1e-7, 4e-7, 1e-300, Number.MIN_VALUE, 1e15, 1e300, Number.MAX_VALUE]);
      return 'either';
    },
  },
  {
    name: 'bad-symbol',
    apply(e, rng) {
      e.symbol = rng.pick([
        'aapl',
        'Aapl',
        '',
        ' AAPL',
        'AAPL ',
        'AA PL',
        'ABCDEFGHIJKLMNOPQ',
        'AAPL\u0000',
        'ÄPPL',
        'AAPL🙂',
        'A_B',
        'A:B',
        'A'.repeat(10_000),
      ]);
      return 'reject';
    },
  },
  {
    name: 'bad-classification',
    apply(e, rng) {
      e.classification = rng.pick(['lt_long_increase', 'LT_LONG', 'LT_LONG_INCREASE ', 'XX_LONG_INCREASE', '', 'LT-LONG-INCREASE']);
      return 'reject';
    },
  },
  {
    name: 'side-disagrees',
    apply(e) {
      e.side = e.side === 'BUY' ? 'SELL' : 'BUY';
      return 'reject';
    },
  },
  {
    name: 'bad-side',
    apply(e, rng) {
      e.side = rng.pick(['buy', 'Sell', 'B', 'S', '', 'SHORT']);
      return 'reject';
    },
  },
  {
    name: 'bad-event-type',
    apply(e, rng) {
      e.event_type = rng.pick(['fill', 'Fill', 'FILLED', 'PARTIAL', 'TRADE', '', 'FILL ']);
      return 'reject';
    },
  },
  {
    name: 'change-event-type',
    apply(e, rng) {
      e.event_type = rng.pick(EVENT_TYPES);
      if (isFillType(e.event_type) && (typeof e.fill_qty !== 'number' || typeof e.fill_price !== 'number')) return 'reject';
      return 'accept';
    },
  },
  {
    name: 'bad-timestamp',
    apply(e, rng) {
      e.ts = rng.pick([
        '2024-13-01T10:00:00Z',
        '2024-02-30T10:00:00Z',
        '2023-02-29T10:00:00Z',
        '2024-01-15T24:00:00Z',
        '2024-01-15T10:60:00Z',
        '2024-01-15T10:00:61Z',
        '2024-01-15T14:31:02',
        '2024-01-15',
        '15/01/2024 14:31',
        'yesterday',
        '',
        'NaN',
        '2024-01-15T14:31:02+25:00',
        '2024-01-15T14:31:02.123-05:0',
        'T14:31:02Z',
      ]);
      return 'reject';
    },
  },
  {
    name: 'odd-timestamp',
    apply(e, rng) {
      e.ts = rng.pick([
        -1,
        -1_700_000_000_000,
        1.5,
        1_705_347_062,
        '1705347062123',
        1e20,
        253_402_300_800_000,
        '+275760-09-13T00:00:00Z',
        '0000-01-01T00:00:00Z',
        '1969-12-31T23:59:59Z',
        '2024-01-15T14:31:02.123456789Z',
        '2024-01-15t14:31:02z',
        '2024-01-15 14:31:02Z',
        '2024-01-15T14:31Z',
        '2024-01-15T14:31:02+0530',
      ]);
      return 'either';
    },
  },
  {
    name: 'huge-string',
    apply(e, rng) {
      const f = rng.pick(['event_id', 'order_id', 'intent_id', 'note']);
      e[f] = `${String(e[f] ?? '')}${'x'.repeat(rng.pick([257, 1_000, 70_000]))}`;
      return 'either';
    },
  },
  {
    name: 'unicode-id',
    apply(e, rng) {
      const f = rng.pick(['event_id', 'order_id', 'intent_id']);
      e[f] = `${rng.pick(UNICODE)}${String(e[f] ?? 'id')}${rng.pick(UNICODE)}`;
      return 'either';
    },
  },
  {
    name: 'lone-surrogate-id',
    apply(e, rng) {
      const f = rng.pick(['event_id', 'order_id']);
      // (a random tail keeps ids of different lines different once SQLite has replaced the surrogate)
      e[f] = `${rng.pick(['\ud800', '\udfff', '\udbff'])}${String(e[f])}~${rng.int(0, 1e9)}`;
      return 'either';
    },
  },
  {
    name: 'control-chars-id',
    apply(e, rng) {
      const f = rng.pick(['event_id', 'order_id', 'intent_id']);
      e[f] = `${String(e[f] ?? 'id')}${rng.pick(CONTROL)}${rng.pick(CONTROL)}`;
      return 'either';
    },
  },
  {
    name: 'empty-id',
    apply(e, rng) {
      e[rng.pick(['event_id', 'order_id'])] = '';
      return 'reject';
    },
  },
  {
    name: 'extra-fields',
    apply(e, rng) {
      e[rng.pick(['note', 'venue', '__proto__', 'constructor', 'toString', 'hasOwnProperty', ''])] = rng.pick([
        1,
        'x',
        { nested: { deeper: [1, 2, 3] } },
        null,
        'é'.repeat(500),
      ]);
      return 'either';
    },
  },
];

/** Line-level mutations of the serialized JSON text. */
const TEXT_MUTATIONS: { name: string; apply(text: string, rng: Rng): { text: string; verdict: Verdict } }[] = [
  { name: 'truncate', apply: (t, rng) => ({ text: t.slice(0, rng.int(0, t.length - 1)), verdict: 'reject' }) },
  { name: 'garbage-prefix', apply: (t, rng) => ({ text: `${rng.pick(['x', ',', ']', '{', 'null'])}${t}`, verdict: 'reject' }) },
  { name: 'garbage-suffix', apply: (t, rng) => ({ text: `${t}${rng.pick(['x', ',', '}', '{', ' 1'])}`, verdict: 'reject' }) },
  { name: 'bom-prefix', apply: (t) => ({ text: `\ufeff${t}`, verdict: 'either' }) },
  { name: 'whitespace', apply: (t, rng) => ({ text: `${rng.pick([' ', '\t', ''])}${t}${rng.pick([' ', '\t', '\r', ''])}`, verdict: 'either' }) },
  { name: 'array-wrapped', apply: (t) => ({ text: `[${t}]`, verdict: 'reject' }) },
  { name: 'not-an-object', apply: (_t, rng) => ({ text: rng.pick(['null', '42', '"FILL"', 'true', '[]', '{}', '""', '-0', '1e999']), verdict: 'reject' }) },
  {
    name: 'byte-flip',
    apply(t, rng) {
      // Anywhere but inside the event_id (a flipped id could collide with another line's).
      const m = /"event_id":"[^"]*"/.exec(t);
      let i = rng.int(0, t.length - 1);
      if (m && i >= m.index && i < m.index + m[0].length) i = m.index + m[0].length + ((i - m.index) % Math.max(1, t.length - m.index - m[0].length));
      if (i >= t.length) i = t.length - 1;
      return { text: `${t.slice(0, i)}${String.fromCharCode(rng.int(32, 126))}${t.slice(i + 1)}`, verdict: 'either' };
    },
  },
  {
    name: 'nan-literal',
    apply(t, rng) {
      const lit = rng.pick(['NaN', 'Infinity', '-Infinity', 'undefined', '1e999', '-1e999', '01', '.5', '+1']);
      const replaced = t.replace(/"fill_price":[^,}]+/, `"fill_price":${lit}`);
      const verdict: Verdict = lit === '1e999' || lit === '-1e999' ? 'either' : 'reject';
      if (replaced === t) return { text: t.replace(/^\{/, `{"fill_price":${lit},`), verdict };
      return { text: replaced, verdict };
    },
  },
  {
    name: 'duplicate-key',
    apply(t, rng) {
      // JSON.parse keeps the last value of a repeated key.
      const v = rng.pick(['-5', '"x"', 'null', '0']);
      return { text: t.replace(/\}$/, `,"fill_qty":${v}}`), verdict: 'either' };
    },
  },
  {
    name: 'deep-nesting',
    apply(t, rng) {
      const d = rng.pick([100, 5_000]);
      return { text: t.replace(/\}$/, `,"deep":${'['.repeat(d)}${']'.repeat(d)}}`), verdict: 'either' };
    },
  },
];

/** Values a parsed object can hold but JSON cannot: the stream-bridge path. */
const OBJECT_MUTATIONS: Mut[] = [
  {
    name: 'obj-nan-qty',
    apply(e, rng) {
      e.fill_qty = rng.pick([NaN, Infinity, -Infinity]);
      return isFillType(e.event_type) ? 'reject' : 'either';
    },
  },
  {
    name: 'obj-nan-price',
    apply(e, rng) {
      e.fill_price = rng.pick([NaN, Infinity, -Infinity]);
      return isFillType(e.event_type) ? 'reject' : 'either';
    },
  },
  {
    name: 'obj-bigint',
    apply(e, rng) {
      e[rng.pick(['fill_qty', 'ts', 'event_id'])] = BigInt(rng.int(1, 1000));
      return 'either';
    },
  },
  {
    name: 'obj-undefined',
    apply(e, rng) {
      e[rng.pick(REQUIRED)] = undefined;
      return 'reject';
    },
  },
  {
    name: 'obj-circular',
    apply(e) {
      e.self = e;
      return 'either';
    },
  },
  {
    name: 'obj-date-ts',
    apply(e) {
      e.ts = new Date(Date.UTC(2024, 0, 15));
      return 'either';
    },
  },
  {
    name: 'obj-function',
    apply(e) {
      e.toJSON = 'not a function';
      e.extra = () => 1;
      return 'either';
    },
  },
];

function modelOf(e: Record<string, unknown>): ModelEvent | undefined {
  const cls = e.classification;
  if (typeof e.event_id !== 'string' || typeof cls !== 'string' || !(CLASSIFICATIONS as readonly string[]).includes(cls)) {
    return undefined;
  }
  const isFill = isFillType(e.event_type);
  const q = Number(e.fill_qty);
  const p = Number(e.fill_price);
  return {
    event_id: e.event_id,
    isFill,
    bucket: cls.startsWith('LT') ? 'LT' : 'MM',
    symbol: String(e.symbol),
    classification: cls as Classification,
    side: e.side === 'BUY' ? 'BUY' : 'SELL',
    qty: isFill ? q : 0,
    price_micro: isFill ? Math.round(p * 1_000_000) : 0,
  };
}

function combine(a: Verdict, b: Verdict): Verdict {
  if (a === 'reject' || b === 'reject') return 'reject';
  if (a === 'either' || b === 'either') return 'either';
  return 'accept';
}

/** Generates `count` mutated lines (plus the clean events between them) deterministically from `seed`. */
export function generateLines(count: number, seed: number, opts: { objects?: boolean; fileSafe?: boolean } = {}): Line[] {
  const rng = new Rng(seed);
  const lines: Line[] = [];
  const acceptedIdx: number[] = [];
  // Lines whose fate the ledger decides: redelivered only as exact copies (a changed copy might be the first valid one).
  const eitherIdx: number[] = [];
  let n = 0;
  let mutations = 0;
  while (mutations < count) {
    n++;
    const e = baseEvent(rng, n);
    const r = rng.next();
    // Redeliveries: exact copies and conflicting copies (same event_id, other content) of applied events.
    if (r < 0.06 && acceptedIdx.length > 0) {
      const fromEither = eitherIdx.length > 0 && rng.chance(0.3);
      const of = fromEither ? rng.pick(eitherIdx) : rng.pick(acceptedIdx);
      const orig = lines[of];
      mutations++;
      if (typeof orig.payload === 'string' && (fromEither || rng.chance(0.5))) {
        lines.push({ payload: orig.payload, verdict: 'either', dupOf: of, mutations: ['duplicate-exact'] });
      } else {
        const copy = typeof orig.payload === 'string' ? (JSON.parse(orig.payload) as Record<string, unknown>) : { ...orig.payload };
        if ('fill_qty' in copy) copy.fill_qty = rng.int(1, 9_999);
        copy.order_id = `o-dup-${n}`;
        lines.push({ payload: JSON.stringify(copy), verdict: 'either', dupOf: of, mutations: ['duplicate-conflicting'] });
      }
      continue;
    }
    if (r < 0.16) {
      // A clean event (the stream is mostly valid).
      const line: Line = { payload: JSON.stringify(e), verdict: 'accept', model: modelOf(e), mutations: [] };
      acceptedIdx.push(lines.length);
      lines.push(line);
      continue;
    }
    const asObject = opts.objects === true && r > 0.95;
    let verdict: Verdict = 'accept';
    const names: string[] = [];
    const k = rng.chance(0.75) ? 1 : rng.int(2, 3);
    for (let i = 0; i < k; i++) {
      const m = asObject && i === 0 ? rng.pick(OBJECT_MUTATIONS) : rng.pick(FIELD_MUTATIONS);
      if (opts.fileSafe && m.name === 'lone-surrogate-id') continue;
      verdict = combine(verdict, m.apply(e, rng));
      names.push(m.name);
    }
    // Mutations can undo each other (a deleted side set again, an emptied id replaced): with several, a field-level
    // reject is no longer certain. Single mutations keep their strict verdict.
    if (names.length > 1 && verdict === 'reject') verdict = 'either';
    mutations += names.length;
    if (asObject) {
      lines.push({ payload: e, verdict, model: modelOf(e), mutations: names });
      continue;
    }
    let text = JSON.stringify(e);
    if (rng.chance(0.25)) {
      const tm = rng.pick(TEXT_MUTATIONS);
      const out = tm.apply(text, rng);
      mutations++;
      names.push(tm.name);
      text = out.text;
      // A certain text-level reject wins; an uncertain one (a flipped byte may repair a field) makes it uncertain.
      verdict = out.verdict === 'reject' ? 'reject' : out.verdict === 'either' ? 'either' : verdict;
      if (tm.name === 'duplicate-key' || tm.name === 'nan-literal') {
        // The value the parser ends up with decides; the model re-reads it.
        try {
          const parsed = JSON.parse(text) as Record<string, unknown>;
          lines.push({ payload: text, verdict, model: modelOf(parsed), mutations: names });
        } catch {
          lines.push({ payload: text, verdict: 'reject', mutations: names });
        }
        continue;
      }
    }
    if (opts.fileSafe && /[\r\n]/.test(text)) text = text.replace(/[\r\n]/g, '');
    let model: ModelEvent | undefined;
    try {
      model = modelOf(JSON.parse(text) as Record<string, unknown>);
    } catch {
      model = undefined;
    }
    const line: Line = { payload: text, verdict, model, mutations: names };
    if (verdict === 'accept') acceptedIdx.push(lines.length);
    else if (verdict === 'either' && model) eitherIdx.push(lines.length);
    lines.push(line);
  }
  return lines;
}

/** Total mutations in a set of lines. */
export function mutationCount(lines: Line[]): number {
  return lines.reduce((s, l) => s + l.mutations.length, 0);
}

interface ModelPos {
  qty: number;
  cost: bigint;
  realized: bigint;
}

/** Average cost (docs/spec.md §8) in BigInt micro-USD: the independent recomputation. Returns realized of this fill. */
function applyModel(book: Map<string, ModelPos>, ev: ModelEvent): bigint {
  const key = `${ev.bucket}|${ev.symbol}`;
  let p = book.get(key);
  if (!p) {
    p = { qty: 0, cost: 0n, realized: 0n };
    book.set(key, p);
  }
  const signed = ev.side === 'BUY' ? ev.qty : -ev.qty;
  const px = BigInt(ev.price_micro);
  if (p.qty === 0 || Math.sign(p.qty) === Math.sign(signed)) {
    p.qty += signed;
    p.cost += BigInt(ev.qty) * px;
    return 0n;
  }
  const open = Math.abs(p.qty);
  const close = Math.min(open, ev.qty);
  // Cost of the closed part: proportional, rounded half up to the micro-dollar.
  const closedCost = close === open ? p.cost : (2n * p.cost * BigInt(close) + BigInt(open)) / (2n * BigInt(open));
  const realized = p.qty > 0 ? BigInt(close) * px - closedCost : closedCost - BigInt(close) * px;
  p.realized += realized;
  p.cost -= closedCost;
  const rest = ev.qty - close;
  if (rest === 0) p.qty += signed;
  else {
    p.qty = signed > 0 ? rest : -rest;
    p.cost = BigInt(rest) * px;
  }
  return realized;
}


/**
 * Feeds the lines into a fresh ledger database (already migrated, empty book) through the ingest path and checks
 * everything. `chunk`: lines per append; a new consumer (a restart) is made every other chunk.
 */
export function runFuzz(db: Db, lines: Line[], opts: { chunk?: number; timezone?: string } = {}): FuzzReport {
  const violations: string[] = [];
  const v = (m: string) => {
    if (violations.length < 50) violations.push(m);
    else if (violations.length === 50) violations.push('... more violations not shown');
  };
  const chunk = opts.chunk ?? 5_000;
  const tz = opts.timezone ?? 'America/New_York';
  const total: Counts = { accepted: 0, duplicates: 0, rejected: 0 };
  const add = (c: Counts) => {
    total.accepted += c.accepted;
    total.duplicates += c.duplicates;
    total.rejected += c.rejected;
  };
  let consumer = new LedgerConsumer(db, { timezone: tz, batchSize: 1_000 });
  for (let i = 0, round = 0; i < lines.length; i += chunk, round++) {
    const slice = lines.slice(i, i + chunk);
    try {
      if (round % 2 === 1) consumer = new LedgerConsumer(db, { timezone: tz, batchSize: 1_000 });
      // Strings go through the log (bandctl ingest's path); objects through applyBatch (a stream bridge's path),
      // kept in order: each run of strings is appended and consumed before the next run of objects.
      let j = 0;
      while (j < slice.length) {
        const isStr = typeof slice[j].payload === 'string';
        let k = j;
        while (k < slice.length && typeof slice[k].payload === 'string' === isStr) k++;
        const run = slice.slice(j, k).map((l) => l.payload);
        if (isStr) {
          appendEvents(db, run as string[], 'fuzz');
          add(consumer.runToEnd());
        } else {
          add(consumer.applyBatch(run as Record<string, unknown>[], 'fuzz-bridge'));
        }
        j = k;
      }
    } catch (e) {
      v(`ingest threw at lines ${i}..${i + slice.length - 1}: ${(e as Error).stack ?? String(e)}`);
      return checkFuzz(db, lines, total, violations);
    }
  }
  return checkFuzz(db, lines, total, violations);
}

/** Checks a ledger database after `lines` were ingested with the given counts (in process or by `bandctl ingest`). */
export function checkFuzz(db: Db, lines: Line[], total: Counts, violations: string[] = []): FuzzReport {
  const v = (m: string) => {
    if (violations.length < 50) violations.push(m);
    else if (violations.length === 50) violations.push('... more violations not shown');
  };
  {
    const byMutation: Record<string, number> = {};
    for (const l of lines) for (const m of l.mutations) byMutation[m] = (byMutation[m] ?? 0) + 1;
    const q = (sql: string) => (db.prepare(sql).pluck().get() as number) ?? 0;
    const fills = q('SELECT COUNT(*) FROM fills');
    const oes = q('SELECT COUNT(*) FROM order_events');
    const quarantined = q('SELECT COUNT(*) FROM ledger_quarantine');
    const report: FuzzReport = {
      lines: lines.length,
      mutations: mutationCount(lines),
      applied: total.accepted,
      quarantined,
      duplicates: total.duplicates,
      fills,
      byMutation,
      violations,
    };
    if (violations.length) return report;
    // Counts add up.
    if (total.accepted + total.duplicates + total.rejected !== lines.length) {
      v(`counts do not add up: ${JSON.stringify(total)} for ${lines.length} lines`);
    }
    if (total.accepted !== fills + oes) v(`accepted ${total.accepted} but fills + order_events = ${fills + oes}`);
    if (total.rejected !== quarantined) v(`rejected ${total.rejected} but ${quarantined} quarantine rows`);

    // Which lines were applied: the ledger's rows by event_id (text as SQLite stores it).
    const appliedIds = new Map<string, number>();
    for (const id of db.prepare('SELECT event_id FROM fills UNION ALL SELECT event_id FROM order_events').pluck().all() as string[]) {
      appliedIds.set(id, (appliedIds.get(id) ?? 0) + 1);
    }
    const book = new Map<string, ModelPos>();
    let modelFills = 0;
    let modelQty = 0;
    let modelNotional = 0n;
    let modelRealized = 0n;
    let expectedApplied = 0;
    let certainRejects = 0;
    const seenIds = new Set<string>();
    // An id as SQLite hands it back (a lone surrogate does not survive UTF-8): the key to the ledger's rows.
    const stored = db.prepare('SELECT ?').pluck();
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      const id = l.model ? (stored.get(l.model.event_id) as string) : undefined;
      if (l.dupOf !== undefined) continue; // a redelivery is never applied again
      if (l.verdict === 'reject') {
        certainRejects++;
        if (id !== undefined && !seenIds.has(id) && appliedIds.has(id)) {
          v(`line ${i} (${l.mutations.join('+')}) must be quarantined but was applied: ${preview(l.payload)}`);
        }
        continue;
      }
      const applied = id !== undefined && appliedIds.has(id) && !seenIds.has(id);
      if (l.verdict === 'accept' && !applied) {
        v(`line ${i} (${l.mutations.join('+') || 'clean'}) is valid but was not applied: ${preview(l.payload)}`);
        continue;
      }
      if (!applied || !l.model || id === undefined) continue;
      seenIds.add(id);
      expectedApplied++;
      if (!l.model.isFill) continue;
      const m = l.model;
      if (!(Number.isSafeInteger(m.qty) && m.qty > 0 && Number.isSafeInteger(m.price_micro) && m.price_micro > 0)) {
        v(`line ${i} (${l.mutations.join('+')}) was applied as a fill with qty ${m.qty} / price ${m.price_micro} micro`);
        continue;
      }
      modelFills++;
      modelQty += m.qty;
      modelNotional += BigInt(m.qty) * BigInt(m.price_micro);
      modelRealized += applyModel(book, m);
    }
    if (expectedApplied !== total.accepted) {
      v(`the model counts ${expectedApplied} applied lines, the ledger ${total.accepted} (a redelivery applied twice?)`);
    }
    if (total.rejected < certainRejects - countRedundantRejects(lines)) {
      v(`only ${total.rejected} quarantined for ${certainRejects} lines that must be`);
    }
    if (fills !== modelFills) v(`fills: ledger ${fills}, model ${modelFills}`);
    // Quarantine keeps what was received: a raw text that says nothing about the event loses it.
    const opaque = q(`SELECT COUNT(*) FROM ledger_quarantine WHERE raw LIKE '[object %'`);
    if (opaque > 0) v(`${opaque} quarantined event(s) stored as '[object Object]': their content is lost`);

    // Positions equal the independent recomputation.
    const rows = db
      .prepare('SELECT bucket, symbol, qty, cost_micro, realized_micro FROM positions')
      .safeIntegers(true)
      .all() as { bucket: string; symbol: string; qty: bigint; cost_micro: bigint; realized_micro: bigint }[];
    const ledgerBook = new Map(rows.map((r) => [`${r.bucket}|${r.symbol}`, r]));
    for (const [key, p] of book) {
      const r = ledgerBook.get(key);
      if (!r) {
        if (p.qty !== 0 || p.cost !== 0n || p.realized !== 0n) v(`position ${key}: missing in the ledger, model ${fmt(p)}`);
        continue;
      }
      if (Number(r.qty) !== p.qty || r.cost_micro !== p.cost || r.realized_micro !== p.realized) {
        v(`position ${key}: ledger qty ${r.qty} cost ${r.cost_micro} realized ${r.realized_micro}; model ${fmt(p)}`);
      }
    }
    for (const key of ledgerBook.keys()) if (!book.has(key)) v(`position ${key}: in the ledger, not in the model`);

    // Daily aggregates add up to the same totals.
    const agg = db
      .prepare('SELECT SUM(filled_qty) q, SUM(notional_micro) n, SUM(realized_micro) r, SUM(count_fills) c FROM daily_agg')
      .safeIntegers(true)
      .get() as { q: bigint | null; n: bigint | null; r: bigint | null; c: bigint | null };
    if (Number(agg.q ?? 0n) !== modelQty) v(`daily_agg filled_qty ${agg.q}, model ${modelQty}`);
    if ((agg.n ?? 0n) !== modelNotional) v(`daily_agg notional ${agg.n}, model ${modelNotional}`);
    if ((agg.r ?? 0n) !== modelRealized) v(`daily_agg realized ${agg.r}, model ${modelRealized}`);
    if (Number(agg.c ?? 0n) !== modelFills) v(`daily_agg count_fills ${agg.c}, model ${modelFills}`);
    const twice = [...appliedIds].filter(([, c]) => c > 1);
    if (twice.length) {
      v(
        `${twice.length} event_id(s) applied more than once, e.g. ${twice
          .slice(0, 3)
          .map(([id, c]) => `${JSON.stringify(id).slice(0, 40)} x${c}`)
          .join(', ')}`,
      );
    }
    return report;
  }
}

/** Rejected lines whose exact text repeats an earlier rejected line (the ledger may count those as duplicates). */
function countRedundantRejects(lines: Line[]): number {
  const seen = new Set<string>();
  let n = 0;
  for (const l of lines) {
    if (l.verdict !== 'reject' || l.dupOf !== undefined) continue;
    const key = typeof l.payload === 'string' ? l.payload : safeKey(l.payload);
    if (seen.has(key)) n++;
    else seen.add(key);
  }
  return n;
}

function safeKey(o: Record<string, unknown>): string {
  try {
    return JSON.stringify(o, (_k, val: unknown) => (typeof val === 'bigint' ? `${val}n` : val)) ?? String(o);
  } catch {
    return String(o);
  }
}

function preview(p: string | Record<string, unknown>): string {
  const s = typeof p === 'string' ? p : safeKey(p);
  return JSON.stringify(s.length > 160 ? `${s.slice(0, 157)}...` : s);
}

function fmt(p: ModelPos): string {
  return `qty ${p.qty} cost ${p.cost} realized ${p.realized}`;
}
