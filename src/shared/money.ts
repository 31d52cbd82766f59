// Money as integer micro-units (1 USD = 1,000,000 micro). Never binary floats in the books.
// Sums that can pass 2^53 micro (~9 billion USD) are carried as bigint.

export const MICRO = 1_000_000;
const MICRO_N = 1_000_000n;

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

/** Micro-units to `$187,500.00` / `-$1,234.50` (SPEC §9 text format). */
export function formatMoney(micro: number | bigint): string {
  const m = BigInt(micro);
  const neg = m < 0n;
  const cents = ((neg ? -m : m) + 5_000n) / 10_000n;
  const s = `$${groupThousands(cents / 100n)}.${(cents % 100n).toString().padStart(2, '0')}`;
  return neg && cents !== 0n ? `-${s}` : s;
}

/** Price in micro-units × whole quantity, exact. */
export function notionalMicro(priceMicro: number, qty: number): bigint {
  return BigInt(priceMicro) * BigInt(qty);
}

export function microToNumber(micro: number | bigint): number {
  return Number(BigInt(micro)) / MICRO;
}

export { MICRO_N };
