// Test fixtures for the engine tests: real SQLite files in a temp dir, configs from partial YAML-shaped objects.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RiskConfigSchema, type RiskConfig } from '../../src/main/services/config/schema';
import { openDb, type Db } from '../../src/main/services/store/db';
import type { ConfigStateLike } from '../../src/main/services/engine/config';

export function tempDir(prefix = 'engine-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function newDb(dir: string, name = 'db.sqlite'): Db {
  return openDb(join(dir, name));
}

type Band = Partial<RiskConfig['buckets']['LT']['band_drift']>;

export function makeConfig(opts: { band?: Band; equity?: number; cap?: number; holidays?: string[]; timezone?: string } = {}): RiskConfig {
  return RiskConfigSchema.parse({
    account: {
      equity: opts.equity ?? 10_000_000,
      timezone: opts.timezone ?? 'America/New_York',
      holidays: opts.holidays ?? [],
    },
    global: { hard_cap_gross_pct: opts.cap ?? 130 },
    buckets: { LT: { band_drift: opts.band ?? {} } },
  });
}

export function fixedConfig(config: RiskConfig): () => ConfigStateLike {
  const st: ConfigStateLike = { config, valid: true, messages: [], file: null };
  return () => st;
}

export interface P {
  bucket?: 'LT' | 'MM';
  symbol: string;
  qty: number;
  avg: number;
  tick?: number;
}

/** An opening book written as a fixture (the engine only ever reads positions). */
export function setBook(db: Db, book: readonly P[], ts = 0): void {
  const pos = db.prepare(
    `INSERT INTO positions (bucket, symbol, qty, cost_micro, realized_micro, updated_at) VALUES (?, ?, ?, ?, 0, ?)
     ON CONFLICT(bucket, symbol) DO UPDATE SET qty = excluded.qty, cost_micro = excluded.cost_micro`,
  );
  const tick = db.prepare(
    `INSERT INTO ticks (symbol, price_micro, ts, source) VALUES (?, ?, ?, 'test')
     ON CONFLICT(symbol) DO UPDATE SET price_micro = excluded.price_micro`,
  );
  db.transaction(() => {
    for (const p of book) {
      pos.run(p.bucket ?? 'LT', p.symbol, p.qty, Math.round(p.avg * 1e6) * Math.abs(p.qty), ts);
      tick.run(p.symbol, Math.round((p.tick ?? p.avg) * 1e6), ts);
    }
  })();
}

/** Epoch ms of a local New York wall-clock time. */
export function ny(isoLocal: string): number {
  const d = new Date(`${isoLocal}-05:00`);
  return d.getTime();
}
