// The trader's desk for the end-to-end tests, built through the real CLI as a subprocess, the way a first run goes:
// `bandctl init --demo` (the demo book with its short history up to today), then `bandctl serve` on a free port,
// whose own first engine cycle finds the band out for three trading days (CORRECTING) and proposes the intents.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DateTime } from 'luxon';
import { accountCalendar, isTradingDay, nextTradingDay } from '../src/shared/calendar';
import type { IntentView } from '../src/shared/types';

export const REPO = resolve(__dirname, '..');
const SHOTS = join(REPO, 'artifacts', 'screenshots');
// bin/bandctl.cjs: the built CLI when it is as new as the sources (npm test builds it), else the sources via tsx
const BANDCTL = join(REPO, 'bin', 'bandctl.cjs');
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
  const r = spawnSync(process.execPath, [BANDCTL, ...args], { cwd: REPO, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`bandctl ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}

export function todayNy(): string {
  return DateTime.now().setZone(TZ).toISODate()!;
}

/** The desk's calendar: New York, so the NYSE's holidays (the desk config adds none). */
const NY = accountCalendar(TZ, { holidays: [] });

/** Is today (New York) a trading day of the desk? */
function tradingToday(): boolean {
  return isTradingDay(todayNy(), NY);
}

export interface Desk {
  dir: string;
  db: string;
  config: string;
  /** The intents the desk started with: the console's first cycle's (or, on a non-trading day, bandctl evaluate's). */
  created: EvalIntent[];
  /** How they were made: 'first-cycle' on a trading day, 'evaluate' on a weekend or a holiday. */
  origin: 'first-cycle' | 'evaluate';
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
 * rules themselves are tested at fixed times in tests/. The intents are created on today's trading date (the
 * console's first cycle; see openDesk), so the close that matters is today's.
 */
function deskConfig(): string {
  const shipped = readFileSync(join(REPO, 'resources', 'config', 'risk_rules.yaml'), 'utf8');
  const re = /^(\s*market_close:\s*)"\d{2}:\d{2}"/m;
  if (!re.test(shipped)) throw new Error('resources/config/risk_rules.yaml has no account.market_close line to move to 23:59');
  return shipped.replace(re, '$1"23:59"');
}

let saidNotTrading = false;

/**
 * Builds the desk as a first run: `init --demo` (with its history), then `bandctl serve`, and waits until the
 * console's own first cycle has proposed the intents (nothing is evaluated by hand). With `serve: false` the host is
 * stopped once they exist (Electron, or a host restarted on another config, opens the same desk).
 *
 * On a weekend or an NYSE holiday (New York) the first cycle is CORRECTING but proposes nothing ("<date> is not a
 * trading day: no intents"), so the specs, which need intents to approve, fall back to the old way: one
 * `bandctl evaluate --as-of <next trading day>T10:00` before serving. Those intents belong to the next trading day,
 * so they cannot expire during the run; the test output says when this happened.
 */
export async function openDesk(opts: { serve?: boolean } = {}): Promise<Desk> {
  const dir = mkdtempSync(join(tmpdir(), 'band-e2e-'));
  // the file names the desktop app uses in its data folder, so Electron can open this desk as it is
  const db = join(dir, 'band.db');
  const config = join(dir, 'risk_rules.yaml');
  writeFileSync(config, deskConfig());
  bandctl(['init', '--db', db, '--config', config, '--demo']);
  let created: EvalIntent[] = [];
  const origin = tradingToday() ? 'first-cycle' : 'evaluate';
  if (origin === 'evaluate') {
    const next = nextTradingDay(todayNy(), NY);
    if (!saidNotTrading) {
      saidNotTrading = true;
      console.log(`e2e/desk: ${todayNy()} is not a trading day in New York: the console's first cycle proposes nothing today, so the desks' intents come from bandctl evaluate --as-of ${next}T10:00`);
    }
    const asOf = DateTime.fromISO(`${next}T10:00:00`, { zone: TZ }).toISO()!;
    const r = JSON.parse(bandctl(['evaluate', '--db', db, '--config', config, '--as-of', asOf, '--json']).toString()) as { status: string; intents: EvalIntent[] };
    if (r.status !== 'CORRECTING' || !r.intents.length) throw new Error(`expected CORRECTING with intents as of ${asOf}, got ${r.status} with ${r.intents.length}`);
    created = r.intents;
  }
  const served = await startServe(db, config);
  try {
    if (origin === 'first-cycle') created = await firstCycleIntents(served.url);
  } catch (e) {
    await stop(served.child);
    throw e;
  }
  if (opts.serve === false) await stop(served.child);
  const live = opts.serve === false ? null : served;
  return {
    dir,
    db,
    config,
    created,
    origin,
    url: live?.url ?? '',
    serve: live?.child ?? null,
    serveErr: served.err,
    async close() {
      if (live) await stop(live.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An empty book (`init`, no demo): no positions, nothing to propose. */
export async function openEmptyDesk(): Promise<Desk> {
  const dir = mkdtempSync(join(tmpdir(), 'band-e2e-'));
  const db = join(dir, 'band.db');
  const config = join(dir, 'risk_rules.yaml');
  writeFileSync(config, deskConfig());
  bandctl(['init', '--db', db, '--config', config]);
  const served = await startServe(db, config);
  return {
    dir,
    db,
    config,
    created: [],
    origin: 'first-cycle',
    url: served.url,
    serve: served.child,
    serveErr: served.err,
    async close() {
      await stop(served.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One channel of the browser host's API, with the token, as the page calls it. */
async function hostApi<T>(url: string, channel: string, input: unknown = {}): Promise<T> {
  const u = new URL(url);
  const res = await fetch(`${u.origin}/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-band-token': u.searchParams.get('token')! },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { ok: true; data: T } | { ok: false; error: { message: string } };
  if (!body.ok) throw new Error(`${channel}: ${body.error.message}`);
  return body.data;
}

/** Waits for the console's first engine cycle to have proposed intents; returns them oldest first. */
async function firstCycleIntents(url: string, timeoutMs = 30_000): Promise<EvalIntent[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pending = await hostApi<IntentView[]>(url, 'intents:list', { status: 'PENDING' });
    if (pending.length) {
      return pending
        .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1))
        .map(({ id, symbol, classification, side, qty, limit_price }) => ({ id, symbol, classification, side, qty, limit_price }));
    }
    if (Date.now() > until) {
      const cycles = await hostApi<{ message: string }[]>(url, 'engine:cycles', { limit: 5 });
      throw new Error(`the console's first cycle proposed no intents in ${timeoutMs / 1000} s; its log: ${cycles.map((c) => c.message).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startServe(db: string, config: string, opts: { token?: string } = {}): Promise<{ url: string; child: ChildProcess; err: string[]; firstLine: string }> {
  // a fixed token (a restart keeps the page's URL good) goes in through the environment, as a user should pass it
  const env = { ...process.env };
  if (opts.token) env.BAND_TOKEN = opts.token;
  else delete env.BAND_TOKEN;
  const child = spawn(process.execPath, [BANDCTL, 'serve', '--db', db, '--config', config, '--port', '0', '--prices', 'static'], {
    cwd: REPO,
    env,
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
    // ended already: by itself (exitCode) or by a signal (signalCode; exitCode stays null then, and 'exit' has fired)
    if (child.exitCode !== null || child.signalCode !== null) return done();
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
