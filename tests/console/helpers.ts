// Shared set-up for the console tests: a real SQLite file with the demo book, evaluated over three trading days
// until the controller is CORRECTING, opened through the same createServices the console uses.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServices, type Services } from '../../src/main/api/create';
import { loadDemoBook } from '../../src/main/services/demo';
import { openDb } from '../../src/main/services/store/db';
import { SHIPPED_CONFIG } from '../support/config';
import { tempDir } from '../support/tmp';

/** Tue–Thu 16–18 Jan 2024 at 10:00 New York time. */
const DAYS = ['2024-01-16T15:00:00Z', '2024-01-17T15:00:00Z', '2024-01-18T15:00:00Z'].map((s) => Date.parse(s));
const NOW = DAYS[2] + 5 * 60_000;

export interface Fixture {
  dir: string;
  dbFile: string;
  configFile: string;
  services: Services;
  cleanup(): Promise<void>;
}

export async function correctingFixture(opts: { evaluate?: boolean } = {}): Promise<Fixture> {
  const { dir, cleanup: removeDir } = tempDir('band-console-');
  const dbFile = join(dir, 'band.db');
  const configFile = join(dir, 'risk_rules.yaml');
  copyFileSync(SHIPPED_CONFIG, configFile);
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
      removeDir();
    },
  };
}
