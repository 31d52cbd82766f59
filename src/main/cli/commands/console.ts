// Console commands: `serve` (the console in a browser, SPEC §11) and `web` (what `npm run web` runs: the demo
// database in the app-data folder, served the same way).
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createServices } from '../../api/create';
import { createHandlers } from '../../api/handlers';
import { isLoopback, nonLoopbackRefusal, startHost } from '../../host/server';
import { defaultAppDataDir, ensureAppData } from '../../services/appdata';
import { intOption, optionalString, requireString, UsageError, type Command, type Io } from '../framework';
import { PROJECT_ROOT } from '../root';

export const DEFAULT_CONFIG = join(PROJECT_ROOT, 'resources', 'config', 'risk_rules.yaml');
export const RENDERER_DIR = process.env.BAND_RENDERER_DIR || join(PROJECT_ROOT, 'out', 'renderer');

/** The console's data folder (BAND_APP_DATA, else <OS app-data>/band-console): the desktop app's too. */
export function appDataDir(): string {
  return defaultAppDataDir();
}

function osUser(): string {
  try {
    return userInfo().username || 'trader';
  } catch {
    return 'trader';
  }
}

function validToken(t: string | undefined): string | undefined {
  if (t === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(t)) {
    throw new UsageError('--token must be 16-128 characters of A-Z a-z 0-9 _ - (or leave it out for a random one)');
  }
  return t;
}

/** --host: an IP address (or localhost), loopback unless --allow-remote; checked before anything is opened. */
export function hostOption(host: string | undefined, allowRemote: boolean): { host: string; remote: boolean } {
  if (host === undefined) return { host: '127.0.0.1', remote: false };
  if (host !== 'localhost' && isIP(host) === 0) {
    throw new UsageError(`--host must be an IP address such as 127.0.0.1 (or localhost), got '${host}'`);
  }
  if (isLoopback(host)) return { host, remote: false };
  if (!allowRemote) throw new UsageError(nonLoopbackRefusal(host));
  return { host, remote: true };
}

function pricesOption(v: string | undefined): 'simulator' | 'static' {
  if (v === undefined || v === 'simulator' || v === 'static') return v ?? 'simulator';
  throw new UsageError(`--prices must be 'simulator' or 'static', got '${v}'`);
}

async function serveUntilSignal(
  io: Io,
  dbFile: string,
  configFile: string,
  opts: { port: number; token?: string; prices: 'simulator' | 'static'; reportsDir?: string; host?: { host: string; remote: boolean } },
): Promise<number> {
  if (!existsSync(configFile)) throw new UsageError(`config file not found: ${configFile}`);
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    throw new UsageError(`the renderer is not built (${RENDERER_DIR}/index.html is missing): run npx electron-vite build`);
  }
  const actor = osUser();
  const services = await createServices(dbFile, configFile, {
    prices: opts.prices,
    reportsDir: opts.reportsDir,
    actor,
    nativeBinding: process.env.BAND_SQLITE_BINDING || undefined,
    log: (l) => io.err(`${l}\n`),
  });
  let host;
  try {
    host = await startHost({
      handlers: createHandlers(services),
      events: services.events,
      rendererDir: RENDERER_DIR,
      port: opts.port,
      token: opts.token,
      host: opts.host?.host,
      allowNonLoopback: opts.host?.remote === true,
      actor,
      log: (l) => io.err(`${l}\n`),
    });
  } catch (e) {
    await services.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new UsageError(`port ${opts.port} is in use; pick another with --port or use --port 0`);
    if (err.code === 'EACCES') throw new UsageError(`not allowed to listen on port ${opts.port}`);
    if (err.code === 'EADDRNOTAVAIL') throw new UsageError(`--host ${opts.host?.host}: no local interface has this address`);
    throw e;
  }
  io.out(`Console: ${host.url}\n`);
  if (opts.host?.remote) {
    io.err(
      `warning: --allow-remote: listening on ${host.host}:${host.port}, not loopback. Anyone on the network who can reach ` +
        'this port and learns the token can approve orders, and the token and the orders travel unencrypted over plain HTTP.\n',
    );
  }
  io.err(`serving ${dbFile} (config ${configFile}); Ctrl+C to stop\n`);
  const h = host;
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await h.close();
  await services.close();
  return 0;
}

const serve: Command = {
  name: 'serve',
  usage: 'serve --db F [--config C] [--port P] [--token T] [--prices simulator|static] [--host 127.0.0.1] [--allow-remote]',
  summary: 'the console in a browser on 127.0.0.1 (loopback only unless --allow-remote); first line: Console: http://127.0.0.1:P/?token=…',
  options: {
    db: { type: 'string' },
    config: { type: 'string' },
    port: { type: 'string' },
    token: { type: 'string' },
    prices: { type: 'string' },
    host: { type: 'string' },
    'allow-remote': { type: 'boolean' },
  },
  run({ values, io }) {
    const db = requireString(values, 'db', this.usage);
    const port = intOption(values, 'port', 0);
    if (port > 65535) throw new UsageError(`--port must be 0-65535, got ${port}`);
    const host = hostOption(optionalString(values, 'host'), values['allow-remote'] === true);
    if (!existsSync(db)) throw new UsageError(`database not found: ${db} (create it with bandctl init --db ${db})`);
    return serveUntilSignal(io, db, optionalString(values, 'config') ?? DEFAULT_CONFIG, {
      port,
      token: validToken(optionalString(values, 'token')),
      prices: pricesOption(optionalString(values, 'prices')),
      host,
    });
  },
};

const web: Command = {
  name: 'web',
  usage: 'web [--port P] [--token T]',
  summary: 'the demo console in a browser: creates <app data>/band.db with the demo book if missing, then serves it',
  options: { port: { type: 'string' }, token: { type: 'string' } },
  run({ values, io }) {
    const data = ensureAppData(appDataDir(), DEFAULT_CONFIG);
    if (data.createdDemo) io.err(`created ${data.db} with the demo book\n`);
    const { db: dbFile, config: configFile, reports: reportsDir } = data;
    return serveUntilSignal(io, dbFile, configFile, {
      port: intOption(values, 'port', 0),
      token: validToken(optionalString(values, 'token')),
      prices: 'simulator',
      reportsDir,
    });
  },
};

export const commands: Command[] = [serve, web];
