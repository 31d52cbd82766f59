// Truth ticks from a Redis stream (issue 6, docs/spec.md §7): every console reads every tick (plain XREAD, no group). An
// entry is `symbol` + `price` [+ `ts`, ISO-8601 or epoch ms] as flat fields, or the same object as one JSON field
// (`event`, `json`, `data`, `payload`, `tick`). At start the newest tick per symbol is taken from the last entries
// of the stream; then new entries are applied as they arrive, in batches, into the ticks table (source `redis`).
import type { Redis } from 'ioredis';
import { SYMBOL_RE } from '../../../shared/domain';
import type { StreamStatus } from '../../../shared/types';
import { setTicks, type TickRow } from '../prices/ticks';
import type { PriceSource } from '../prices/source';
import type { Db } from '../store/db';
import { connectRedis } from './connection';
import { JSON_FIELDS } from './entry';
import { errorMessage } from '../../../shared/errors';

type RawEntry = [string, string[] | null];

export type TickParse = { ok: true; row: TickRow } | { ok: false; reason: string };

function parseTickTs(v: unknown, fallback: number): number | null {
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null;
  if (typeof v !== 'string') return null;
  if (/^\d{1,15}$/.test(v)) return Number(v);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

/** One tick entry -> a tick row, or why not. `entryMs` (the entry id's time) stands in for a missing ts. */
export function parseTickEntry(fields: readonly string[] | null, entryMs: number): TickParse {
  if (!fields || fields.length === 0) return { ok: false, reason: 'empty entry' };
  let o: Record<string, unknown> = {};
  const jsonAt = fields.findIndex((f, i) => i % 2 === 0 && (JSON_FIELDS.includes(f) || f === 'tick'));
  if (jsonAt >= 0) {
    try {
      const v = JSON.parse(fields[jsonAt + 1]) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, reason: 'tick: must be a JSON object' };
      o = v as Record<string, unknown>;
    } catch {
      return { ok: false, reason: 'tick: not valid JSON' };
    }
  } else {
    for (let i = 0; i + 1 < fields.length; i += 2) o[fields[i]] = fields[i + 1];
  }
  const symbol = o.symbol;
  if (typeof symbol !== 'string' || !SYMBOL_RE.test(symbol)) {
    return { ok: false, reason: `symbol: must be 1-16 characters of A-Z 0-9 . - /, got ${JSON.stringify(symbol ?? null)}` };
  }
  const p = o.price;
  const n = typeof p === 'number' ? p : typeof p === 'string' && /^\d+(\.\d+)?$/.test(p) ? Number(p) : NaN;
  const micro = Math.round(n * 1_000_000);
  if (!Number.isFinite(n) || n <= 0 || !Number.isSafeInteger(micro) || micro <= 0) {
    return { ok: false, reason: `price: must be a finite number > 0, got ${JSON.stringify(p ?? null)}` };
  }
  const ts = parseTickTs(o.ts, entryMs);
  if (ts === null) return { ok: false, reason: `ts: must be ISO-8601 with an offset or epoch ms, got ${JSON.stringify(o.ts)}` };
  return { ok: true, row: { symbol, priceMicro: micro, ts, source: 'redis' } };
}

export interface TickSourceOptions {
  db: Db;
  url: string;
  stream: string;
  /** Entries read at start to find the newest tick of each symbol (default 10,000). */
  seedEntries?: number;
  blockMs?: number;
  onTicks?: (rows: TickRow[]) => void;
  onStatus?: (s: StreamStatus) => void;
  log?: (line: string) => void;
}

/** The Redis price source: writes ticks itself (no advance()). */
export class RedisTickSource implements PriceSource {
  readonly name = 'redis';
  applied = 0;
  bad = 0;
  lastBad: string | null = null;
  private redis: Redis | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private lastId = '0-0';

  constructor(private readonly o: TickSourceOptions) {}

  start(): void {
    if (this.running) return;
    this.redis = connectRedis(this.o.url, { name: 'band:ticks', onStatus: (s) => !this.stopped && this.o.onStatus?.(s) });
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.redis?.disconnect();
    await this.running?.catch(() => {});
    this.running = null;
  }

  private apply(entries: RawEntry[]): void {
    const newest = new Map<string, TickRow>();
    for (const [id, fields] of entries) {
      const r = parseTickEntry(fields, Number(id.split('-')[0]));
      if (!r.ok) {
        this.bad++;
        this.lastBad = `${this.o.stream} ${id}: ${r.reason}`;
        this.o.log?.(`ticks: skipped ${this.lastBad}`);
        continue;
      }
      newest.delete(r.row.symbol); // the last entry of a symbol in stream order is its truth tick
      newest.set(r.row.symbol, r.row);
    }
    if (newest.size === 0) return;
    const rows = [...newest.values()];
    setTicks(this.o.db, rows);
    this.applied += rows.length;
    this.o.onTicks?.(rows);
  }

  private async loop(): Promise<void> {
    const r = this.redis!;
    let delay = 100;
    let seeded = false;
    while (!this.stopped) {
      try {
        if (!seeded) {
          const last = (await r.call('XREVRANGE', [
            this.o.stream, '+', '-', 'COUNT', String(this.o.seedEntries ?? 10_000),
          ])) as RawEntry[];
          // An empty stream: read it from its start, so nothing added during an outage is missed.
          this.lastId = last.length ? last[0][0] : '0-0';
          if (last.length) this.apply(last.reverse());
          seeded = true;
        }
        const res = (await r.call('XREAD', [
          'COUNT', '1000', 'BLOCK', String(this.o.blockMs ?? 1000), 'STREAMS', this.o.stream, this.lastId,
        ])) as [string, RawEntry[]][] | null;
        const entries = res?.[0]?.[1] ?? [];
        if (entries.length) {
          this.lastId = entries[entries.length - 1][0];
          this.apply(entries);
        }
        delay = 100;
      } catch (e) {
        if (this.stopped) break;
        this.o.log?.(`ticks: ${errorMessage(e)}; retrying in ${delay} ms`);
        await new Promise((res) => setTimeout(res, delay));
        delay = Math.min(5000, delay * 2);
      }
    }
  }
}
