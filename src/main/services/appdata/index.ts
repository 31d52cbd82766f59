// The console's data folder, shared by the desktop app (`npm start`) and the browser console (`npm run web`), so both
// open the same book: band.db (created with the demo book on first start), risk_rules.yaml (seeded from the
// default), reports/ and logs/. No Electron here: the Electron shell passes its OS app-data folder in.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { accountCalendar, DEFAULT_TIMEZONE } from '../../../shared/calendar';
import { loadConfigFile } from '../config/load';
import { loadDemoBook } from '../demo';
import { bookZone } from '../store/book-zone';
import { openDb } from '../store/db';
import { now } from '../clock';
import { accountHours } from '../../../shared/session';

/** The folder name under the OS's app-data folder (also the packaged app's, whatever its product name). */
export const APP_DATA_NAME = 'band-console';

/** BAND_APP_DATA, else <OS app-data>/band-console (what Electron's app.getPath('appData') gives, per OS). */
export function defaultAppDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BAND_APP_DATA) return env.BAND_APP_DATA;
  if (process.platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_DATA_NAME);
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_DATA_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_DATA_NAME);
}

export interface AppData {
  dir: string;
  db: string;
  config: string;
  reports: string;
  logs: string;
  windowState: string;
  /** True when this call created band.db with the demo book. */
  createdDemo: boolean;
}

/**
 * Makes the folder ready: the default config copied in when missing, and a missing database created with the demo
 * book. An existing database is never touched here (a damaged one is the store's to refuse, with the restore offer).
 */
export function ensureAppData(dir: string, defaultConfig: string, opts: { nativeBinding?: string } = {}): AppData {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'risk_rules.yaml');
  if (!existsSync(config)) copyFileSync(defaultConfig, config);
  const reports = join(dir, 'reports');
  mkdirSync(reports, { recursive: true });
  const dbFile = join(dir, 'band.db');
  let createdDemo = false;
  if (!existsSync(dbFile)) {
    const db = openDb(dbFile, { nativeBinding: opts.nativeBinding });
    try {
      // The demo's history is dated in the account calendar of the config the console will run on.
      const r = loadConfigFile(config);
      const account = r.ok ? r.config.account : { timezone: DEFAULT_TIMEZONE, holidays: [], market_open: undefined, market_close: undefined };
      const zone = bookZone(db, account.timezone);
      createdDemo = loadDemoBook(db, now(), { calendar: accountCalendar(zone, account), hours: accountHours(account) });
    } finally {
      db.close();
    }
  }
  return { dir, db: dbFile, config, reports, logs: join(dir, 'logs'), windowState: join(dir, 'window-state.json'), createdDemo };
}
