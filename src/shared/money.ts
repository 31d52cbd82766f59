// Money as integer micro-units (1 USD = 1,000,000 micro). Never binary floats in the books.
// Sums that can pass 2^53 micro (~9 billion USD) are carried as bigint.

export const MICRO = 1_000_000;

/** A decimal price or amount (number or string) to integer micro-units, rounded half away from zero. */
export function toMicro(value: number | string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (!Number.isFinite(n)) throw new RangeError(`not a finite amount: ${String(value)}`);
  const m = Math.round(Math.abs(n) * MICRO);
  if (!Number.isSafeInteger(m)) throw new RangeError(`amount out of range: ${String(value)}`);
  return n < 0 ? -m : m;
}

/** Micro-units to a plain number of dollars rounded to cents (for JSON). */
export function microToCents(micro: number | bigint): number {
  const m = BigInt(micro);
  const neg = m < 0n;
  const abs = neg ? -m : m;
  const cents = (abs + 5_000n) / 10_000n; // half away from zero
  const v = Number(cents) / 100;
  return neg && cents !== 0n ? -v : v;
}

/** `1234567` → `1,234,567`; handles negatives and bigint. */
export function groupThousands(n: number | bigint): string {
  const b = BigInt(n);
  const neg = b < 0n;
  const s = (neg ? -b : b).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return neg ? `-${s}` : s;
}

/** Micro-units to `[-]D.CC` without separators (CSV). */
export function formatPlain(micro: number | bigint): string {
  const m = BigInt(micro);
  const neg = m < 0n;
  const cents = ((neg ? -m : m) + 5_000n) / 10_000n;
  const s = `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
  return neg && cents !== 0n ? `-${s}` : s;
}

/** Micro-units to `$187,500.00` / `-$1,234.50` (docs/spec.md §9 text format). */
export function formatMoney(micro: number | bigint): string {
  const m = BigInt(micro);
  const neg = m < 0n;
  const cents = ((neg ? -m : m) + 5_000n) / 10_000n;
  const s = `$${groupThousands(cents / 100n)}.${(cents % 100n).toString().padStart(2, '0')}`;
  return neg && cents !== 0n ? `-${s}` : s;
}

// Arithmetic on micro-unit amounts (the ledger's book and aggregates, the EOD report sums). An amount is a safe
// integer number on the fast path and turns into a bigint only while a value is past 2^53 (then it stays exact): no
// float ever holds a sum that is not an exact integer.
export type Num = number | bigint;

/** A bigint back to a number when it is a safe integer (the fast path resumes). */
export function norm(b: bigint): Num {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

export function add(a: Num, b: Num): Num {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    if (Number.isSafeInteger(s)) return s; // exact: |true sum| <= 2^53 - 1 is representable
  }
  return norm(BigInt(a) + BigInt(b));
}

export function sub(a: Num, b: Num): Num {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a - b;
    if (Number.isSafeInteger(s)) return s;
  }
  return norm(BigInt(a) - BigInt(b));
}

/** a × b for a >= 0 and a whole b >= 0. */
export function mul(a: Num, b: number): Num {
  if (typeof a === 'number') {
    const p = a * b;
    if (Number.isSafeInteger(p)) return p; // a true product > 2^53 - 1 never rounds down into the safe range
  }
  return norm(BigInt(a) * BigInt(b));
}

/** round(a / b) half up, for a >= 0, b > 0. */
export function roundDiv(a: Num, b: number): Num {
  if (typeof a === 'number') {
    const x = 2 * a + b;
    // floor(x / y) of integers x < 2^53, y >= 1 is exact in doubles (the quotient never rounds up to the next integer)
    if (Number.isSafeInteger(x)) return Math.floor(x / (2 * b));
  }
  const bb = BigInt(b);
  return norm((2n * BigInt(a) + bb) / (2n * bb));
}
