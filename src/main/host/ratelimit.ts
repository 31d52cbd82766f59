// Rate limits for the browser host's state-changing channels: one token bucket per access token. The host keys it on
// the token a request carried, never on the peer address: every 127.0.0.x is this same machine, so a bucket per
// address was a bucket per address a script cared to bind. A human trader never reaches the limit: the console sends
// ONE request per click (approving or rejecting any selection is a single intents:approve / intents:reject call with
// all the ids), each waits for its answer before the next, and the refill rate (10/s) is faster than anyone can
// click. What it stops is a script holding the token hammering approvals, halt/resume flapping or evaluation cycles
// faster than a person could ever ask for them. Every tab of one console shares the bucket.
import type { Channel } from '../../shared/contract';

export interface RateLimit {
  /** Tokens added per second (the sustained rate). */
  perSecond: number;
  /** Bucket size (the burst allowed after a quiet period). */
  burst: number;
}

/** 10 requests/s sustained, bursts of 20, per token. */
export const APPROVAL_RATE_LIMIT: RateLimit = { perSecond: 10, burst: 20 };

/** The channels that change state (approve/reject orders, halt/resume or run the engine). Reads are never limited. */
export const RATE_LIMITED_CHANNELS: ReadonlySet<Channel> = new Set<Channel>([
  'intents:approve',
  'intents:reject',
  'intents:cancel',
  'engine:halt',
  'engine:resume',
  'engine:evaluate',
]);

export type Take = { ok: true } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** One token bucket per key; `now` is injectable so tests need not sleep. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) {
      throw new Error(`rate limit needs perSecond > 0 and burst >= 1, got ${JSON.stringify(limit)}`);
    }
  }

  /** Takes one token for `key`, or says how long until one is available. */
  take(key: string): Take {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: t };
    const elapsed = Math.max(0, t - b.at) / 1000;
    b.tokens = Math.min(this.limit.burst, b.tokens + elapsed * this.limit.perSecond);
    b.at = t;
    if (!this.buckets.has(key)) this.remember(key, b, t);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / this.limit.perSecond) * 1000) };
  }

  private remember(key: string, b: Bucket, t: number): void {
    if (this.buckets.size >= this.maxKeys) {
      // Forget clients whose bucket has refilled (they lose nothing); keeps memory bounded.
      const full = (this.limit.burst / this.limit.perSecond) * 1000;
      for (const [k, v] of this.buckets) if (t - v.at >= full) this.buckets.delete(k);
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    }
    this.buckets.set(key, b);
  }
}
