// Domain vocabulary shared by the main process and the renderer (docs/spec.md §2).
// This folder imports no Node, Electron or React: only zod and pure TypeScript.
import { z } from 'zod';

export const BUCKETS = ['LT', 'MM'] as const;
export type Bucket = (typeof BUCKETS)[number];

export const CLASSIFICATIONS = [
  'LT_LONG_DECREASE',
  'LT_LONG_INCREASE',
  'LT_SHORT_DECREASE',
  'LT_SHORT_INCREASE',
  'MM_LONG_DECREASE',
  'MM_LONG_INCREASE',
  'MM_SHORT_DECREASE',
  'MM_SHORT_INCREASE',
] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export type Side = 'BUY' | 'SELL';

export const EVENT_TYPES = ['NEW', 'ACK', 'PARTIAL_FILL', 'FILL', 'CANCELED', 'REJECTED'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const INTENT_STATUSES = [
  'PENDING',
  // approved outside its session: held until the session's open, then released as an order (docs/spec.md §6)
  'STAGED',
  'APPROVED',
  'WORKING',
  'FILLED',
  'CANCELED',
  'REJECTED',
  'EXPIRED',
  'SUPERSEDED',
] as const;
export type IntentStatus = (typeof INTENT_STATUSES)[number];

export type BandStatus = 'IN_BAND' | 'WATCH' | 'CORRECTING' | 'NO_EXPOSURE' | 'SUSPENDED';

export type EngineMode = 'NORMAL' | 'DERISK' | 'HALTED';

export type OrderType = 'LIMIT' | 'MARKET';

/** Symbol: 1–16 characters of A-Z 0-9 . - /, upper case (docs/spec.md §2). */
export const SYMBOL_RE = /^[A-Z0-9./-]{1,16}$/;

/** ISO calendar date, YYYY-MM-DD. */
const ISO_DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
export const IsoDateSchema = z
  .string()
  .regex(ISO_DATE_RE, 'date must be YYYY-MM-DD')
  .refine((s) => {
    const [y, m, d] = s.split('-').map(Number);
    const dt = new Date(Date.UTC(y, m - 1, d));
    return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
  }, 'not a calendar date');

export function parseClassification(c: Classification): {
  bucket: Bucket;
  direction: 'LONG' | 'SHORT';
  effect: 'INCREASE' | 'DECREASE';
} {
  const [bucket, direction, effect] = c.split('_') as [Bucket, 'LONG' | 'SHORT', 'INCREASE' | 'DECREASE'];
  return { bucket, direction, effect };
}

/** The side a classification implies (docs/spec.md §2). */
export function sideOf(c: Classification): Side {
  const { direction, effect } = parseClassification(c);
  return (direction === 'LONG') === (effect === 'INCREASE') ? 'BUY' : 'SELL';
}
