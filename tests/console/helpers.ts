// Shared set-up for the console tests: a real SQLite file with the demo book, evaluated over three trading days
// until the controller is CORRECTING, opened through the same createServices the console uses.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServices, type Services } from '../../src/main/api/create';
import { loadDemoBook } from '../../src/main/services/demo';
import { openDb } from '../../src/main/services/store/db';

export const REPO = resolve(__dirname, '../..');
export const DEFAULT_CONFIG = join(REPO, 'resources/config/risk_rules.yaml');

/** Tue–Thu 16–18 Jan 2024 at 10:00 New York time. */
export const DAYS = ['2024-01-16T15:00:00Z', '2024-01-17T15:00:00Z', '2024-01-18T15:00:00Z'].map((s) => Date.parse(s));
export const NOW = DAYS[2] + 5 * 60_000;

export interface Fixture {
  dir: string;
  dbFile: string;
  configFile: string;
  services: Services;
  cleanup(): Promise<void>;
}

export async function correctingFixture(opts: { evaluate?: boolean } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'band-console-'));
  const dbFile = join(dir, 'band.db');
  const configFile = join(dir, 'risk_rules.yaml');
  copyFileSync(DEFAULT_CONFIG, configFile);
  const db = openDb(dbFile);
  loadDemoBook(db, DAYS[0] - 3_600_000, { history: false });
  db.close();
  const services = await createServices(dbFile, configFile, { cycles: false, prices: 'static', watchMs: 0, now: () => NOW, actor: 'tester', ledgerWorkerFile: null });
  if (opts.evaluate !== false) for (const at of DAYS) services.engine.evaluate(at);
  return {
    dir,
    dbFile,
    configFile,
    services,
    async cleanup() {
      await services.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
