// Console commands: `serve` (the console in a browser, docs/spec.md §11) and `web` (what `npm run web` runs: the demo
// database in the app-data folder, served the same way).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createServices } from '../../api/create';
import { createHandlers } from '../../api/handlers';
import { isLoopback, nonLoopbackRefusal, startHost } from '../../host/server';
import { defaultAppDataDir, ensureAppData } from '../../services/appdata';
import { intOption, optionalString, requireString, UsageError, type Command, type Io } from '../framework';
import { PROJECT_ROOT } from '../root';
import { osUser } from '../../services/os-user';
import { clockInfo } from '../../services/clock';

const DEFAULT_CONFIG = join(PROJECT_ROOT, 'resources', 'config', 'risk_rules.yaml');
const RENDERER_DIR = process.env.BAND_RENDERER_DIR || join(PROJECT_ROOT, 'out', 'renderer');

/** The console's data folder (BAND_APP_DATA, else <OS app-data>/band-console): the desktop app's too. */
function appDataDir(): string {
  return defaultAppDataDir();
}

/** The environment variable `serve` and `web` take the token from when no --token-file (or --token) is given: unlike
 * the command line, a process's environment is readable only by its own user (and root). */
const TOKEN_ENV = 'BAND_TOKEN';
/** A token file larger than this is not a token file. */
const MAX_TOKEN_FILE_BYTES = 4096;

function validToken(t: string, source: string): string {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(t)) {
    throw new UsageError(`${source} must be 16-128 characters of A-Z a-z 0-9 _ - (or leave it out for a random one)`);
  }
  return t;
}

/** The token from a file: a regular file of at most 4 KiB holding the token alone (surrounding whitespace and the
 * final newline ignored). On POSIX systems the file must not be readable or writable by the group or by other
 * users (as ssh asks of a private key): a token anyone can read is a token anyone can approve orders with. */
function readTokenFile(file: string): string {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UsageError(`--token-file ${file}: no such file`);
  }
  if (!st.isFile()) throw new UsageError(`--token-file ${file}: not a regular file`);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
    throw new UsageError(`--token-file ${file}: other users can read or change it (mode ${mode}); make it private with chmod 600 ${file}`);
  }
  if (st.size > MAX_TOKEN_FILE_BYTES) throw new UsageError(`--token-file ${file}: larger than ${MAX_TOKEN_FILE_BYTES} bytes, not a token`);
  const text = readFileSync(file, 'utf8').trim();
  return validToken(text, `the token in ${file}`);
}

/** Where the token comes from: --token-file, else --token (with a warning: the command line is visible in `ps`),
 * else BAND_TOKEN, else none (startHost makes a random one). */
function tokenOption(values: Record<string, unknown>, io: Io, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = optionalString(values, 'token-file');
  const flag = optionalString(values, 'token');
  if (file !== undefined && flag !== undefined) throw new UsageError('give either --token-file or --token, not both');
  if (file !== undefined) return readTokenFile(file);
  if (flag !== undefined) {
    const t = validToken(flag, '--token');
    io.err(`warning: --token is visible to other users of this machine (ps, /proc/<pid>/cmdline); use --token-file F or the ${TOKEN_ENV} environment variable\n`);
    return t;
  }
  const fromEnv = env[TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return validToken(fromEnv, TOKEN_ENV);
  return undefined;
}

/** --host: an IP address (or localhost), loopback unless --allow-remote; checked before anything is opened. */
function hostOption(host: string | undefined, allowRemote: boolean): { host: string; remote: boolean } {
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
  const clock = clockInfo();
  if (clock.source === 'BAND_NOW') io.err(`clock: BAND_NOW=${clock.spec} (${clock.frozen ? 'frozen' : 'time flows on from there'})\n`);
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
  usage: 'serve --db F [--config C] [--port P] [--token-file F] [--prices simulator|static] [--host 127.0.0.1] [--allow-remote]',
  summary: 'the console in a browser on 127.0.0.1 (loopback only unless --allow-remote); first line: Console: http://127.0.0.1:P/?token=…',
  options: {
    db: { type: 'string' },
    config: { type: 'string' },
    port: { type: 'string' },
    'token-file': { type: 'string' },
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
    const token = tokenOption(values, io);
    return serveUntilSignal(io, db, optionalString(values, 'config') ?? DEFAULT_CONFIG, {
      port,
      token,
      prices: pricesOption(optionalString(values, 'prices')),
      host,
    });
  },
};

const web: Command = {
  name: 'web',
  usage: 'web [--port P] [--token-file F]',
  summary: 'the demo console in a browser: creates <app data>/band.db with the demo book if missing, then serves it',
  options: { port: { type: 'string' }, 'token-file': { type: 'string' }, token: { type: 'string' } },
  run({ values, io }) {
    const port = intOption(values, 'port', 0);
    const token = tokenOption(values, io);
    const data = ensureAppData(appDataDir(), DEFAULT_CONFIG);
    if (data.createdDemo) io.err(`created ${data.db} with the demo book\n`);
    const { db: dbFile, config: configFile, reports: reportsDir } = data;
    return serveUntilSignal(io, dbFile, configFile, {
      port,
      token,
      prices: 'simulator',
      reportsDir,
    });
  },
};

export const commands: Command[] = [serve, web];
