// The trader's desk for the end-to-end tests, built through the real CLI as a subprocess: a demo book evaluated
// over three trading days until CORRECTING, then `bandctl serve` on a free port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DateTime } from 'luxon';

export const REPO = resolve(__dirname, '..');
export const SHOTS = join(REPO, 'artifacts', 'screenshots');
const TSX = join(REPO, 'node_modules', '.bin', 'tsx');
const BANDCTL = join(REPO, 'src', 'main', 'cli', 'bandctl.ts');
const TZ = 'America/New_York';

export interface EvalIntent {
  id: string;
  symbol: string;
  classification: string;
  side: 'BUY' | 'SELL';
  qty: number;
  limit_price: number | null;
}

/** Runs bandctl and returns stdout as bytes; throws with stderr on a non-zero exit. */
export function bandctl(args: string[]): Buffer {
  const r = spawnSync(TSX, [BANDCTL, ...args], { cwd: REPO, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`bandctl ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}

function isWeekday(d: DateTime): boolean {
  return d.weekday <= 5;
}

/**
 * The three trading days ending today (New York), or ending on the next trading day when today is a weekend:
 * intents are created on the last one, so they cannot expire during the run.
 */
export function tradingDays(now = DateTime.now().setZone(TZ)): string[] {
  let d = now.startOf('day');
  while (!isWeekday(d)) d = d.plus({ days: 1 });
  const days = [d];
  let p = d;
  while (days.length < 3) {
    p = p.minus({ days: 1 });
    if (isWeekday(p)) days.unshift(p);
  }
  return days.map((x) => x.toISODate()!);
}

export function todayNy(): string {
  return DateTime.now().setZone(TZ).toISODate()!;
}

export interface Desk {
  dir: string;
  db: string;
  config: string;
  days: string[];
  created: EvalIntent[];
  /** The browser host's URL (empty when the desk is opened for Electron). */
  url: string;
  serve: ChildProcess | null;
  serveErr: string[];
  close(): Promise<void>;
}

/**
 * The shipped risk_rules.yaml with one change: `account.market_close: "23:59"`. Approved orders are DAY orders that
 * end at the close, and approvals after the close are refused; the console's engine (`bandctl serve`, Electron) runs
 * on the real clock, so with the shipped 16:00 every spec that approves would fail when run after 16:00 New York
 * time (CI may), and an order approved "at 10:00" through `--as-of` would read as ended the moment the console looks.
 * A close at 23:59 keeps the specs independent of the time of day (all but the last minute of it); the day-order
 * rules themselves are tested at fixed times in tests/. The intents are created on today's trading date (see
 * tradingDays), so the close that matters is today's.
 */
export function deskConfig(): string {
  const shipped = readFileSync(join(REPO, 'resources', 'config', 'risk_rules.yaml'), 'utf8');
  const re = /^(\s*market_close:\s*)"\d{2}:\d{2}"/m;
  if (!re.test(shipped)) throw new Error('resources/config/risk_rules.yaml has no account.market_close line to move to 23:59');
  return shipped.replace(re, '$1"23:59"');
}

/** Builds the desk through the CLI; with `serve` (default) starts `bandctl serve` on it. */
export async function openDesk(opts: { serve?: boolean } = {}): Promise<Desk> {
  const dir = mkdtempSync(join(tmpdir(), 'band-e2e-'));
  // the file names the desktop app uses in its data folder, so Electron can open this desk as it is
  const db = join(dir, 'band.db');
  const config = join(dir, 'risk_rules.yaml');
  writeFileSync(config, deskConfig());
  bandctl(['init', '--db', db, '--demo']);
  const days = tradingDays();
  let last: { status: string; intents: EvalIntent[] } = { status: '', intents: [] };
  for (const day of days) {
    const asOf = DateTime.fromISO(`${day}T10:00:00`, { zone: TZ }).toISO()!;
    last = JSON.parse(bandctl(['evaluate', '--db', db, '--config', config, '--as-of', asOf, '--json']).toString());
  }
  if (last.status !== 'CORRECTING') throw new Error(`expected CORRECTING after three days, got ${last.status}`);
  const served = opts.serve === false ? null : await startServe(db, config);
  return {
    dir,
    db,
    config,
    days,
    created: last.intents,
    url: served?.url ?? '',
    serve: served?.child ?? null,
    serveErr: served?.err ?? [],
    async close() {
      if (served) await stop(served.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startServe(db: string, config: string): Promise<{ url: string; child: ChildProcess; err: string[]; firstLine: string }> {
  const child = spawn(TSX, [BANDCTL, 'serve', '--db', db, '--config', config, '--port', '0', '--prices', 'static'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const err: string[] = [];
  child.stderr!.on('data', (c: Buffer) => err.push(c.toString()));
  const firstLine = await new Promise<string>((ok, ko) => {
    const rl = createInterface({ input: child.stdout! });
    const t = setTimeout(() => ko(new Error(`serve printed nothing in 30 s: ${err.join('')}`)), 30_000);
    rl.once('line', (line) => {
      clearTimeout(t);
      ok(line);
    });
    child.once('exit', (code) => ko(new Error(`serve exited ${code}: ${err.join('')}`)));
  });
  const m = /^Console: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)$/.exec(firstLine);
  if (!m) throw new Error(`unexpected first line: ${firstLine}`);
  return { url: m[1], child, err, firstLine };
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/** A tick that lets the paper broker fill the intent's limit order. */
export function fillingTick(dir: string, intent: EvalIntent): string {
  const limit = intent.limit_price ?? 0;
  const price = intent.side === 'SELL' ? limit + 0.5 : Math.max(0.01, limit - 0.5);
  const file = join(dir, `tick-${intent.symbol.replace(/[^A-Z0-9]/g, '_')}.csv`);
  writeFileSync(file, `symbol,price\n${intent.symbol},${price.toFixed(2)}\n`);
  return file;
}

export function shotPath(name: string): string {
  mkdirSync(SHOTS, { recursive: true });
  return join(SHOTS, `${name}.png`);
}

/** The Electron binary, found without triggering electron's download-on-first-use; null with the reason if absent. */
export function electronBinary(): { path: string | null; reason: string } {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pkg = join(REPO, 'node_modules', 'electron');
  let exe: string | null = null;
  if (override) exe = join(override, process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron');
  else if (existsSync(join(pkg, 'path.txt'))) exe = join(pkg, 'dist', readFileSync(join(pkg, 'path.txt'), 'utf8').trim());
  if (!exe) return { path: null, reason: 'the Electron binary is not installed here (node_modules/electron has no path.txt: electron 42+ fetches it on first use, and this machine cannot reach GitHub)' };
  if (!existsSync(exe)) return { path: null, reason: `the Electron binary ${exe} is missing` };
  return { path: exe, reason: '' };
}

/** Fills from outside the console (another execution venue) for today, and two events the ledger must quarantine. */
export function outsideFills(dir: string): string {
  const ts = new Date().toISOString();
  const ev = (i: number, symbol: string, classification: string, side: string, qty: number, price: number, type = 'FILL') =>
    JSON.stringify({ event_id: `ext-${i}`, order_id: `ext-o-${i}`, ts, symbol, classification, side, event_type: type, fill_qty: qty, fill_price: price });
  const lines = [
    ev(1, 'AAPL', 'LT_LONG_DECREASE', 'SELL', 200, 191.2),
    ev(2, 'JPM', 'LT_LONG_DECREASE', 'SELL', 100, 198.4, 'PARTIAL_FILL'),
    ev(3, 'TSLA', 'LT_SHORT_DECREASE', 'BUY', 150, 238.1),
    ev(4, 'INTC', 'LT_SHORT_INCREASE', 'SELL', 1000, 31.05),
    ev(5, 'SPY', 'MM_LONG_INCREASE', 'BUY', 300, 520.4),
    ev(6, 'QQQ', 'MM_SHORT_DECREASE', 'BUY', 200, 449.8),
    ev(7, 'SPY', 'MM_LONG_DECREASE', 'SELL', 300, 521.1),
    ev(8, 'XOM', 'LT_LONG_DECREASE', 'BUY', 100, 112.0),
    '{"event_id":"ext-9","order_id":"ext-o-9","ts":"yesterday","symbol":"nvda","event_type":"FILL"',
  ];
  const file = join(dir, 'outside-fills.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
