// The ledger against an independent model (written here, not the service's code) on randomised days: duplicates,
// lifecycle events, bad events, flips through zero, fills on both sides of midnight UTC, batches of random sizes and
// consumer restarts. Compares positions (exact micro) and every day's JSON report.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/main/services/store/db';
import { LedgerConsumer } from '../../src/main/services/ledger/consumer';
import { appendEvents } from '../../src/main/services/ledger/log';
import { reportJson } from '../../src/main/services/reports';
import { SIDE } from './helpers';

const TZ = 'America/New_York';
const SYMBOLS = ['AAPL', 'BRK.B', 'X/Y', 'Z-1'];
const CLASSES = Object.keys(SIDE);
// 2024-03-09 .. 2024-03-12 spans the US DST switch (2024-03-10) and several midnights UTC
const T0 = Date.UTC(2024, 2, 9, 0, 0, 0);

const dateFmt = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' });
const modelDate = (ms: number) => dateFmt.format(new Date(ms));

interface ModelPos {
  qty: bigint;
  cost: bigint;
  realized: bigint;
}
interface ModelAgg {
  qty: bigint;
  notional: bigint;
  realized: bigint;
  count: bigint;
  net: bigint;
}

/** Price as a decimal string → micro, by string arithmetic (no floats). */
function priceMicro(p: string): bigint {
  const [i, f = ''] = p.split('.');
  return BigInt(i) * 1_000_000n + BigInt((f + '000000').slice(0, 6));
}

function halfUpDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a - q * b) * 2n >= b ? q + 1n : q;
}

class Model {
  seen = new Set<string>();
  pos = new Map<string, ModelPos>();
  aggs = new Map<string, ModelAgg>();
  apply(e: Ev): 'accepted' | 'duplicate' | 'rejected' {
    if (e.bad) return 'rejected';
    if (this.seen.has(e.event_id)) return 'duplicate';
    this.seen.add(e.event_id);
    if (e.event_type !== 'FILL' && e.event_type !== 'PARTIAL_FILL') return 'accepted';
    const bucket = e.classification.slice(0, 2);
    const k = `${bucket}|${e.symbol}`;
    const p = this.pos.get(k) ?? { qty: 0n, cost: 0n, realized: 0n };
    const q = BigInt(e.fill_qty);
    const px = priceMicro(e.fill_price);
    const delta = e.side === 'BUY' ? q : -q;
    let realized = 0n;
    if (p.qty === 0n || p.qty > 0n === delta > 0n) {
      p.qty += delta;
      p.cost += q * px;
    } else {
      const open = p.qty < 0n ? -p.qty : p.qty;
      const closing = q < open ? q : open;
      const costOut = halfUpDiv(p.cost * closing, open);
      realized = p.qty > 0n ? closing * px - costOut : costOut - closing * px;
      p.cost -= costOut;
      p.qty += delta;
      if (q > open) p.cost = (q - open) * px;
    }
    p.realized += realized;
    this.pos.set(k, p);
    const ts = typeof e.ts === 'number' ? e.ts : Date.parse(e.ts);
    const ak = `${modelDate(ts)}|${e.symbol}|${e.classification}`;
    const a = this.aggs.get(ak) ?? { qty: 0n, notional: 0n, realized: 0n, count: 0n, net: 0n };
    a.qty += q;
    a.notional += q * px;
    a.realized += realized;
    a.count += 1n;
    a.net += delta;
    this.aggs.set(ak, a);
    return 'accepted';
  }
  /** Expected JSON report of one date, built from the model's aggregates. */
  report(date: string) {
    const cents = (m: bigint) => {
      const neg = m < 0n;
      const c = ((neg ? -m : m) + 5_000n) / 10_000n;
      return c === 0n ? 0 : (neg ? -1 : 1) * Number(c) / 100;
    };
    const byC = new Map<string, ModelAgg & { names: Set<string> }>();
    const byS = new Map<string, ModelAgg & { names: Set<string> }>();
    const tot: ModelAgg = { qty: 0n, notional: 0n, realized: 0n, count: 0n, net: 0n };
    const addTo = (t: ModelAgg, a: ModelAgg) => {
      t.qty += a.qty;
      t.notional += a.notional;
      t.realized += a.realized;
      t.count += a.count;
      t.net += a.net;
    };
    for (const [k, a] of this.aggs) {
      const [d, sym, cls] = k.split('|');
      if (d !== date) continue;
      const c = byC.get(cls) ?? { qty: 0n, notional: 0n, realized: 0n, count: 0n, net: 0n, names: new Set() };
      addTo(c, a);
      c.names.add(sym);
      byC.set(cls, c);
      const s = byS.get(sym) ?? { qty: 0n, notional: 0n, realized: 0n, count: 0n, net: 0n, names: new Set() };
      addTo(s, a);
      s.names.add(cls);
      byS.set(sym, s);
      addTo(tot, a);
    }
    const line = (a: ModelAgg) => ({
      filled_qty: Number(a.qty),
      filled_notional: cents(a.notional),
      realized_pnl: cents(a.realized),
      count_fills: Number(a.count),
      net_qty_change: Number(a.net),
    });
    const sortKeys = <T>(m: Map<string, T>) => [...m.keys()].sort();
    return {
      date,
      by_classification: Object.fromEntries(
        sortKeys(byC).map((k) => [k, { ...line(byC.get(k)!), symbols: [...byC.get(k)!.names].sort() }]),
      ),
      by_symbol: Object.fromEntries(
        sortKeys(byS).map((k) => [k, { ...line(byS.get(k)!), classifications: [...byS.get(k)!.names].sort() }]),
      ),
      totals: {
        total_filled_qty: Number(tot.qty),
        total_filled_notional: cents(tot.notional),
        total_realized_pnl: cents(tot.realized),
        total_count_fills: Number(tot.count),
        total_net_qty_change: Number(tot.net),
      },
    };
  }
}

interface Ev {
  event_id: string;
  order_id: string;
  ts: string | number;
  symbol: string;
  classification: string;
  side: string;
  event_type: string;
  fill_qty: number;
  fill_price: string;
  bad?: string;
}

function isoWithOffset(ms: number, offMin: number): string {
  const d = new Date(ms + offMin * 60_000);
  const sign = offMin < 0 ? '-' : '+';
  const a = Math.abs(offMin);
  const off = `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  return d.toISOString().replace('Z', off);
}

const evArb = fc
  .record({
    sym: fc.constantFrom(...SYMBOLS),
    cls: fc.constantFrom(...CLASSES),
    type: fc.constantFrom('FILL', 'FILL', 'FILL', 'PARTIAL_FILL', 'PARTIAL_FILL', 'NEW', 'ACK', 'CANCELED', 'REJECTED'),
    qty: fc.integer({ min: 1, max: 700 }),
    pxInt: fc.integer({ min: 0, max: 999 }),
    pxFrac: fc.integer({ min: 1, max: 9999 }),
    // around several midnights UTC over four days
    t: fc.integer({ min: 0, max: 4 * 86_400_000 - 1 }),
    tsForm: fc.constantFrom('ms', 'Z', 'offset'),
    off: fc.constantFrom(-300, -240, 0, 330, 60),
    bad: fc.constantFrom(undefined, undefined, undefined, undefined, undefined, undefined, undefined, 'qty', 'side'),
  })
  .map(({ sym, cls, type, qty, pxInt, pxFrac, t, tsForm, off, bad }) => {
    const ms = T0 + t;
    const ts = tsForm === 'ms' ? ms : tsForm === 'Z' ? new Date(ms).toISOString() : isoWithOffset(ms, off);
    return { sym, cls, type, qty, price: `${pxInt}.${String(pxFrac).padStart(4, '0')}`, ts, bad };
  });

const dayArb = fc.record({
  evs: fc.array(evArb, { minLength: 1, maxLength: 150 }),
  dupIdx: fc.array(fc.nat(), { maxLength: 30 }),
  cuts: fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 10 }),
  restartEvery: fc.integer({ min: 1, max: 4 }),
});

function build(evs: fc.Arbitrary<unknown> extends never ? never : ReturnType<typeof evArb.generate>['value'][], dupIdx: number[]): Ev[] {
  const out: Ev[] = evs.map((e, i) => {
    const ev: Ev = {
      event_id: `ev-${i}`,
      order_id: `o-${i % 17}`,
      ts: e.ts,
      symbol: e.sym,
      classification: e.cls,
      side: SIDE[e.cls],
      event_type: e.type,
      fill_qty: e.qty,
      fill_price: e.price,
    };
    if (e.bad === 'qty' && (e.type === 'FILL' || e.type === 'PARTIAL_FILL')) {
      ev.fill_qty = 0;
      ev.bad = 'fill_qty';
    } else if (e.bad === 'side') {
      ev.side = ev.side === 'BUY' ? 'SELL' : 'BUY';
      ev.bad = 'side';
    }
    return ev;
  });
  // redeliveries (exact copies) inserted after their original
  for (const d of dupIdx) {
    const src = out[d % out.length];
    const at = Math.min(out.length, (d % out.length) + 1 + (d % 7));
    out.splice(at, 0, { ...src });
  }
  return out;
}

function toWire(e: Ev): string {
  const { bad: _bad, ...rest } = e;
  // prices go on the wire as JSON numbers (the model reads the decimal string)
  return JSON.stringify({ ...rest, fill_price: Number(rest.fill_price) });
}

function runLedger(db: Db, wire: string[], cuts: number[], restartEvery: number) {
  let consumer = new LedgerConsumer(db, { timezone: TZ, batchSize: 7 });
  const counts = { accepted: 0, duplicates: 0, rejected: 0 };
  let i = 0;
  let k = 0;
  while (i < wire.length) {
    const n = cuts[k % cuts.length];
    const part = wire.slice(i, i + n);
    const c = k % 2 === 0 ? consumer.applyBatch(part, 'test') : (appendEvents(db, part, 'log'), consumer.runToEnd());
    counts.accepted += c.accepted;
    counts.duplicates += c.duplicates;
    counts.rejected += c.rejected;
    i += n;
    k++;
    if (k % restartEvery === 0) consumer = new LedgerConsumer(db, { timezone: TZ }); // a restart: reload from SQLite
  }
  return counts;
}

describe('ledger vs an independent model', () => {
  it('agrees on counts, positions and every day report (randomised days)', () => {
    fc.assert(
      fc.property(dayArb, ({ evs, dupIdx, cuts, restartEvery }) => {
        const events = build(evs as never, dupIdx);
        const model = new Model();
        const want = { accepted: 0, duplicates: 0, rejected: 0 };
        const badSeen = new Set<string>();
        for (const e of events) {
          const r = model.apply(e);
          if (r === 'rejected') {
            // the same bad bytes twice: the second is a redelivery
            const w = toWire(e);
            if (badSeen.has(w)) want.duplicates++;
            else want.rejected++;
            badSeen.add(w);
          } else if (r === 'duplicate') want.duplicates++;
          else want.accepted++;
        }
        const db = openDb(':memory:');
        try {
          const got = runLedger(db, events.map(toWire), cuts, restartEvery);
          expect(got).toEqual(want);
          const rows = db
            .prepare('SELECT bucket, symbol, qty, cost_micro, realized_micro FROM positions ORDER BY bucket, symbol')
            .safeIntegers(true)
            .all() as { bucket: string; symbol: string; qty: bigint; cost_micro: bigint; realized_micro: bigint }[];
          const gotPos = Object.fromEntries(rows.map((r) => [`${r.bucket}|${r.symbol}`, [r.qty, r.cost_micro, r.realized_micro]]));
          const wantPos = Object.fromEntries([...model.pos].map(([k, p]) => [k, [p.qty, p.cost, p.realized]]));
          expect(gotPos).toEqual(wantPos);
          for (let d = -1; d <= 4; d++) {
            const date = new Date(T0 + d * 86_400_000).toISOString().slice(0, 10);
            expect(reportJson(db, date)).toEqual(model.report(date));
          }
        } finally {
          db.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('flips through zero: closes at average cost, opens the rest at the fill price', () => {
    const db = openDb(':memory:');
    const c = new LedgerConsumer(db, { timezone: TZ });
    const ev = (id: string, cls: string, qty: number, price: number) =>
      JSON.stringify({ event_id: id, order_id: 'o', ts: '2024-01-15T15:00:00Z', symbol: 'AAPL', classification: cls, side: SIDE[cls], event_type: 'FILL', fill_qty: qty, fill_price: price });
    c.applyBatch([ev('a', 'LT_LONG_INCREASE', 100, 10), ev('b', 'LT_LONG_INCREASE', 50, 13)], 's'); // 150 @ 11
    c.applyBatch([ev('c', 'LT_LONG_DECREASE', 200, 12)], 's'); // close 150 (+150), open -50 @ 12
    const p = db.prepare('SELECT qty, cost_micro, realized_micro FROM positions').get();
    expect(p).toEqual({ qty: -50, cost_micro: 600_000_000, realized_micro: 150_000_000 });
    c.applyBatch([ev('d', 'LT_SHORT_DECREASE', 20, 11.5)], 's'); // short closes 20: (12 - 11.5) * 20 = +10
    expect(db.prepare('SELECT qty, cost_micro, realized_micro FROM positions').get()).toEqual({
      qty: -30,
      cost_micro: 360_000_000,
      realized_micro: 160_000_000,
    });
    const r = reportJson(db, '2024-01-15');
    expect(r.by_classification.LT_LONG_DECREASE.realized_pnl).toBe(150);
    expect(r.by_classification.LT_SHORT_DECREASE.realized_pnl).toBe(10);
    expect(r.totals.total_net_qty_change).toBe(-30);
    db.close();
  });
});
