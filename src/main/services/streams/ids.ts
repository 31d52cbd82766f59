// Redis stream entry ids (`<ms>-<seq>`, both unsigned 64-bit): parsed to BigInt so they compare exactly.
export interface StreamId {
  ms: bigint;
  seq: bigint;
}

const ID_RE = /^(\d{1,20})-(\d{1,20})$/;

export function parseId(id: string): StreamId {
  const m = ID_RE.exec(id);
  if (!m) throw new RangeError(`not a Redis stream id: '${id}'`);
  return { ms: BigInt(m[1]), seq: BigInt(m[2]) };
}

/** Compares two unsigned decimal strings without leading zeros. */
function cmpDec(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** -1, 0, 1 as a is before, equal to, after b (exact for the whole 64-bit range, no number conversion). */
export function compareIds(a: string, b: string): number {
  const i = a.indexOf('-');
  const j = b.indexOf('-');
  if (i <= 0 || j <= 0) throw new RangeError(`not a Redis stream id: '${i <= 0 ? a : b}'`);
  return cmpDec(a.slice(0, i), b.slice(0, j)) || cmpDec(a.slice(i + 1), b.slice(j + 1));
}

