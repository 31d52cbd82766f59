// Event mixes for the ledger bench (issue 21): the same day of fills with event ids of the shapes real producers
// use, and a realistic day with repeats, refused lines and mixed timestamp formats. Each mix says which ids a raw
// insert of the same keys writes (its baseline) and the counts an ingest of it must print.
import { randomUUID } from 'node:crypto';
import { mulberry32 } from '../src/main/services/prices/simulator';

export const MIXES = ['sorted', 'prefix', 'uuid', 'producers', 'day'] as const;
export type Mix = (typeof MIXES)[number];

export const MIX_TEXT: Record<Mix, string> = {
  sorted: 'zero-padded ids that sort as text (ev-0000000001 …)',
  prefix: 'prefix-N ids that do not sort as text (e-5-0 … e-5-999999)',
  uuid: 'random UUIDs',
  producers: 'four producers interleaved, each numbering its own (fix-a-17, oms-3-4021, …)',
  day: 'a realistic day: e-5-N ids, 3% repeated lines, 2% refused lines, partial fills, epoch-ms and ISO times',
};

const CLASSES = [
  ['LT_LONG_INCREASE', 'BUY'],
  ['LT_LONG_DECREASE', 'SELL'],
  ['LT_SHORT_INCREASE', 'SELL'],
  ['LT_SHORT_DECREASE', 'BUY'],
  ['MM_LONG_INCREASE', 'BUY'],
  ['MM_LONG_DECREASE', 'SELL'],
  ['MM_SHORT_INCREASE', 'SELL'],
  ['MM_SHORT_DECREASE', 'BUY'],
] as const;
export const SYMBOLS = 475; // × 8 classifications ≈ 3,800 aggregate rows, as in STACK.md
const T0 = Date.parse('2024-01-15T09:30:00-05:00');
const PRODUCERS = ['fix-a', 'oms-3', 'algo', 'desk-7'];

export interface MixFile {
  lines: string[];
  /** The ids a raw insert of the same keys writes: every accepted event's, in file order. */
  keys: string[];
  expect: { accepted: number; duplicates: number; rejected: number };
}

/** One valid fill event of the day (the i-th), with the given id and its time as ISO or epoch ms. */
function fill(i: number, n: number, id: string, epochMs: boolean): Record<string, unknown> {
  const [cls, side] = CLASSES[(i * 7 + (i >> 5)) % 8];
  const t = T0 + Math.floor((i * 23_400_000) / n);
  return {
    event_id: id,
    order_id: `o-${i >> 2}`,
    ...(i % 10 === 0 ? { intent_id: `i-${i >> 4}` } : {}),
    ts: epochMs ? t : new Date(t).toISOString().replace('Z', '+00:00'),
    symbol: `S${(i * 31) % SYMBOLS}`,
    classification: cls,
    side,
    event_type: i % 4 === 3 ? 'FILL' : 'PARTIAL_FILL',
    fill_qty: 1 + ((i * 13) % 500),
    fill_price: Number((20 + ((i * 17) % 40_000) / 100).toFixed(2)),
  };
}

/** A line the ledger must refuse (and quarantine), of one of several kinds. */
function refused(i: number, n: number, id: string): string {
  const e = fill(i, n, id, false);
  switch (i % 5) {
    case 0:
      return JSON.stringify(e).slice(0, -7); // cut short: not JSON
    case 1:
      return JSON.stringify({ ...e, side: e.side === 'BUY' ? 'SELL' : 'BUY' }); // disagrees with its classification
    case 2:
      return JSON.stringify({ ...e, fill_qty: 0 });
    case 3:
      return JSON.stringify({ ...e, symbol: 'lower case' });
    default: {
      const { ts: _ts, ...rest } = e;
      return JSON.stringify(rest); // no ts
    }
  }
}

export function mixFile(mix: Mix, n: number, seed = 21): MixFile {
  const lines = new Array<string>();
  const keys: string[] = [];
  const rand = mulberry32(seed); // the same mix for the same seed
  const seq = PRODUCERS.map(() => 0);
  const idOf = (i: number): string => {
    switch (mix) {
      case 'sorted':
        return `ev-${String(i).padStart(10, '0')}`;
      case 'uuid':
        return randomUUID();
      case 'producers': {
        const p = Math.floor(rand() * PRODUCERS.length);
        return `${PRODUCERS[p]}-${seq[p]++}`;
      }
      default:
        return `e-5-${i}`;
    }
  };
  if (mix !== 'day') {
    for (let i = 0; i < n; i++) {
      const id = idOf(i);
      keys.push(id);
      lines.push(JSON.stringify(fill(i, n, id, false)));
    }
    return { lines, keys, expect: { accepted: n, duplicates: 0, rejected: 0 } };
  }
  // The day: n lines, of which 3% repeat an earlier line (from a few lines to a few batches back: some within a
  // validator batch, most in earlier transactions) and 2% are refused; the rest are new events.
  let dup = 0;
  let bad = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.03 && lines.length > 0) {
      const back = 1 + Math.floor(rand() * Math.min(lines.length, rand() < 0.2 ? 500 : 200_000));
      const again = lines[lines.length - back];
      lines.push(again);
      // a repeated refused line is a duplicate too (its exact text is quarantined already)
      dup++;
      continue;
    }
    const id = idOf(k);
    if (r < 0.05) {
      lines.push(refused(k, n, id));
      bad++;
    } else {
      lines.push(JSON.stringify(fill(k, n, id, rand() < 0.5)));
      keys.push(id);
    }
    k++;
  }
  return { lines, keys, expect: { accepted: keys.length, duplicates: dup, rejected: bad } };
}
