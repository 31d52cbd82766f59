// The consumer's hot state (docs/spec.md §8): the book of positions by bucket and symbol, held in memory and reloaded from
// SQLite whenever ledger_meta.generation shows that someone else wrote positions (a trigger bumps it on every
// write), so it is always the committed truth; and the average-cost arithmetic that moves a position by one fill.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db';
import { add, mul, norm, roundDiv, sub, type Num } from '../../../shared/money';

/** One position of the book; `dirty` while its new values wait for the end of the transaction. */
export interface Pos {
  bucket: string;
  symbol: string;
  qty: number;
  cost: Num;
  realized: Num;
  dirty: boolean;
}

export class Book {
  /** By bucket, then symbol. */
  private readonly byBucket = new Map<string, Map<string, Pos>>();
  private generation = -1;
  // the position after the fill last computed by next() (committed into it only if the fill is new)
  nQty = 0;
  nCost: Num = 0;
  nRealized: Num = 0;
  private readonly gen: Statement;
  private readonly posAll: Statement;

  constructor(db: Db) {
    this.gen = db.prepare('SELECT generation FROM ledger_meta WHERE id = 1').pluck();
    this.posAll = db.prepare('SELECT bucket, symbol, qty, cost_micro, realized_micro FROM positions').safeIntegers(true);
  }

  /** Inside a transaction, before the book is used: reloads it if someone else wrote positions since. */
  sync(): void {
    if ((this.gen.get() as number) !== this.generation) this.load();
  }

  /** At the end of a transaction that wrote the book's positions: the book is the stored truth again. */
  synced(): void {
    this.generation = this.gen.get() as number;
  }

  /** The book may hold uncommitted changes (a transaction failed): reload it next time. */
  invalidate(): void {
    this.generation = -1;
  }

  private load(): void {
    this.byBucket.clear();
    for (const r of this.posAll.all() as {
      bucket: string;
      symbol: string;
      qty: bigint;
      cost_micro: bigint;
      realized_micro: bigint;
    }[]) {
      this.bucketBook(r.bucket).set(r.symbol, {
        bucket: r.bucket,
        symbol: r.symbol,
        qty: Number(r.qty),
        cost: norm(r.cost_micro),
        realized: norm(r.realized_micro),
        dirty: false,
      });
    }
  }

  private bucketBook(bucket: string): Map<string, Pos> {
    let m = this.byBucket.get(bucket);
    if (!m) this.byBucket.set(bucket, (m = new Map()));
    return m;
  }

  /** The position of (bucket, symbol), a flat one if the book has none yet. */
  position(bucket: string, symbol: string): Pos {
    const m = this.bucketBook(bucket);
    let p = m.get(symbol);
    if (!p) {
      p = { bucket, symbol, qty: 0, cost: 0, realized: 0, dirty: false };
      m.set(symbol, p);
    }
    return p;
  }

  /**
   * Average-cost update of the book (docs/spec.md §8) for one fill, WITHOUT touching p: the new qty / cost / realized total
   * go to nQty / nCost / nRealized (committed by the caller once the fill is known to be new). Returns the realized
   * PnL of this fill in micro-USD.
   */
  next(p: Pos, price: number, qty: number, signed: number): Num {
    this.nRealized = p.realized;
    if (p.qty === 0 || p.qty > 0 === signed > 0) {
      this.nQty = p.qty + signed;
      this.nCost = add(p.cost, mul(price, qty));
      return 0;
    }
    const open = Math.abs(p.qty);
    const closeQty = Math.min(qty, open);
    const closedCost = closeQty === open ? p.cost : roundDiv(mul(p.cost, closeQty), open);
    const proceeds = mul(price, closeQty);
    const realized = p.qty > 0 ? sub(proceeds, closedCost) : sub(closedCost, proceeds);
    this.nRealized = add(p.realized, realized);
    const rest = qty - closeQty;
    if (rest === 0) {
      this.nQty = p.qty + signed;
      this.nCost = sub(p.cost, closedCost);
    } else {
      this.nQty = signed > 0 ? rest : -rest;
      this.nCost = mul(price, rest);
    }
    return realized;
  }
}
