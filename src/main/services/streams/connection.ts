// Redis connections for the streams bridge: RESP2 replies (the shapes this module parses), reconnect with capped
// exponential backoff and jitter, commands queued while down (never failed for being offline), and a status for
// the header (`up`, `connecting`, `down` with the reason).
import { Redis } from 'ioredis';
import type { StreamStatus } from '../../../shared/types';

export interface ConnectOptions {
  /** CLIENT SETNAME, visible in CLIENT LIST (e.g. `band:consume:<consumer>`). */
  name?: string;
  /** First retry delay in ms (default 100); doubles per attempt up to maxDelayMs. */
  minDelayMs?: number;
  /** Longest delay between attempts in ms (default 5000). */
  maxDelayMs?: number;
  onStatus?: (s: StreamStatus) => void;
}

/** Delay before reconnect attempt `times` (1-based): min * 2^(times-1), capped, with ±20% jitter. */
export function backoffMs(times: number, minDelayMs = 100, maxDelayMs = 5000): number {
  const base = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(30, Math.max(0, times - 1)));
  return Math.max(1, Math.round(base * (0.8 + Math.random() * 0.4)));
}

/** Shows a redis URL without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

export function validateRedisUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `not a URL: '${url}' (expected redis://host:port[/db])`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    return `unsupported scheme '${u.protocol}' in '${redactUrl(url)}' (expected redis:// or rediss://)`;
  }
  return null;
}

/** A connection that keeps trying forever. Resolves nothing: use `waitReady` when a caller must know. */
export function connectRedis(url: string, opts: ConnectOptions = {}): Redis {
  const bad = validateRedisUrl(url);
  if (bad) throw new RangeError(bad);
  const shown = redactUrl(url);
  const emit = opts.onStatus ?? (() => {});
  let lastError = '';
  const r = new Redis(url, {
    protocol: 2,
    connectionName: opts.name,
    lazyConnect: true,
    // null: commands wait for the connection to come back instead of failing after N attempts.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    connectTimeout: 5000,
    retryStrategy: (times: number) => backoffMs(times, opts.minDelayMs, opts.maxDelayMs),
  });
  emit({ state: 'connecting', detail: `connecting to ${shown}` });
  r.on('ready', () => {
    lastError = '';
    emit({ state: 'up', detail: shown });
  });
  r.on('error', (e: Error) => {
    lastError = e.message;
  });
  r.on('close', () => {
    emit({ state: 'down', detail: `${shown}: connection lost${lastError ? ` (${lastError})` : ''}` });
  });
  r.on('reconnecting', (delay: number) => {
    emit({
      state: 'down',
      detail: `${shown}: ${lastError || 'connection lost'}; retrying in ${Math.round(Number(delay) || 0)} ms`,
    });
  });
  r.on('end', () => emit({ state: 'off', detail: `${shown}: closed` }));
  r.connect().catch(() => {
    /* the retry strategy keeps going; errors surface through the status */
  });
  return r;
}

/** Resolves when the connection is ready, rejects after timeoutMs. */
export function waitReady(r: Redis, timeoutMs: number): Promise<void> {
  if (r.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      r.off('ready', ok);
      reject(new Error(`Redis not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const ok = () => {
      clearTimeout(t);
      resolve();
    };
    r.once('ready', ok);
  });
}
