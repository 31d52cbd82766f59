// Shared test helpers for the ledger tests (temp databases, event builders).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
export const BANDCTL = join(ROOT, 'src', 'main', 'cli', 'bandctl.ts');
export const TSX_CJS = require.resolve('tsx/cjs', { paths: [ROOT] });
export const BANDCTL_BIN = join(ROOT, 'bin', 'bandctl.cjs');

export function tempDir(prefix = 'ledger-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const SIDE: Record<string, 'BUY' | 'SELL'> = {
  LT_LONG_INCREASE: 'BUY',
  LT_LONG_DECREASE: 'SELL',
  LT_SHORT_INCREASE: 'SELL',
  LT_SHORT_DECREASE: 'BUY',
  MM_LONG_INCREASE: 'BUY',
  MM_LONG_DECREASE: 'SELL',
  MM_SHORT_INCREASE: 'SELL',
  MM_SHORT_DECREASE: 'BUY',
};

export function fill(
  id: string,
  symbol: string,
  classification: string,
  qty: number | string,
  price: number | string,
  ts: string | number = '2024-01-15T15:00:00Z',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    event_id: id,
    order_id: `o-${id}`,
    ts,
    symbol,
    classification,
    side: SIDE[classification],
    event_type: 'FILL',
    fill_qty: qty,
    fill_price: price,
    ...extra,
  };
}

import { spawnSync } from 'node:child_process';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI as a subprocess. */
export function bandctl(args: string[], input?: string): Run {
  // bin/bandctl.cjs: the built CLI when it is as new as the sources (npm test builds it), else the sources via tsx
  const r = spawnSync(process.execPath, [BANDCTL_BIN, ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
