// The trader's desk for the end-to-end tests, built through the real CLI as a subprocess, the way a first run goes:
// `bandctl init --demo` (the demo book with its short history through the last completed session), then `bandctl
// serve` on a free port, whose own first engine cycle finds the band out for three trading days (CORRECTING) and
// proposes the intents: for the session open now, or (after the close, before the open, on a weekend or a holiday)
// for the next one.
//
// Time is an input (docs/spec.md §2): no e2e reads the wall clock. A desk is opened at a pinned instant (BAND_NOW);
// this process anchors it (the process clock, src/main/services/clock) and every bandctl it starts inherits that
// anchor through the environment, so they all agree on one flowing time. The page's clock is set to the same time
// (fixtures.ts: Playwright's page.clock).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DateTime } from 'luxon';
import { clockInfo, initClock, now as clockNow, reloadClock } from '../src/main/services/clock';
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

/** Runs bandctl on the pinned time (it inherits BAND_NOW and its anchor) and returns stdout as bytes; throws with stderr on a non-zero exit. */
export function bandctl(args: string[]): Buffer {
  const r = spawnSync(process.execPath, [BANDCTL, ...args], { cwd: REPO, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`bandctl ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}

/**
 * The instants the specs run at (New York, EST in December). OPEN: a Tuesday session; CLOSED: the same day after
 * its 16:00 close; SATURDAY: a weekend (no session until Monday).
 */
export const AT = {
  OPEN: '2026-12-08T10:30:00-05:00',
  CLOSED: '2026-12-08T17:30:00-05:00',
  SATURDAY: '2026-12-12T11:00:00-05:00',
} as const;

/**
 * Pins the time of this process and of every bandctl it starts from now on: BAND_NOW=<at> in the environment and a
 * fresh anchor (BAND_CLOCK_ANCHOR) so that the children continue this process's time instead of each starting over
 * at `at`. Time flows on from there.
 */
export function pinClock(at: string): void {
  process.env.BAND_NOW = at;
  reloadClock();
  initClock();
}

/** The desk's time now (epoch ms): the pinned instant plus what has elapsed since. Never the wall clock. */
export function deskNow(): number {
  if (clockInfo().source !== 'BAND_NOW') throw new Error('e2e/desk: no instant is pinned yet (openDesk pins one): the specs never read the wall clock');
  return clockNow();
}

/** The desk's trading date now (New York). */
export function deskDate(): string {
  return DateTime.fromMillis(deskNow(), { zone: TZ }).toISODate()!;
}

export interface Desk {
  dir: string;
  db: string;
  config: string;
  /** The instant the desk was opened at (BAND_NOW). */
  at: string;
  /** The intents the desk started with: the console's first cycle's, oldest first. */
  created: EvalIntent[];
  /** The browser host's URL (empty when the desk is opened for Electron). */
  url: string;
  serve: ChildProcess | null;
  serveErr: string[];
  close(): Promise<void>;
}

/** The shipped risk_rules.yaml, unchanged: the desk's instant is pinned, so its real 09:30–16:00 session applies. */
function deskConfig(): string {
  return readFileSync(join(REPO, 'resources', 'config', 'risk_rules.yaml'), 'utf8');
}

/**
 * Builds the desk as a first run at the instant `at` (default AT.OPEN): `init --demo` (with its history), then
 * `bandctl serve` on the shipped risk_rules.yaml, and waits until the console's own first cycle has proposed the
 * intents (nothing is evaluated by hand): at any instant it is CORRECTING and proposes, for the session open now or
 * for the next one. With `serve: false` the host is stopped once they exist (Electron, or a host restarted on
 * another config, opens the same desk).
 */
export async function openDesk(opts: { serve?: boolean; at?: string } = {}): Promise<Desk> {
  const at = opts.at ?? AT.OPEN;
  pinClock(at);
  const dir = mkdtempSync(join(tmpdir(), 'band-e2e-'));
  // the file names the desktop app uses in its data folder, so Electron can open this desk as it is
  const db = join(dir, 'band.db');
  const config = join(dir, 'risk_rules.yaml');
  writeFileSync(config, deskConfig());
  bandctl(['init', '--db', db, '--config', config, '--demo']);
  const served = await startServe(db, config);
  let created: EvalIntent[];
  try {
    created = await firstCycleIntents(served.url);
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
    at,
    created,
    url: live?.url ?? '',
    serve: live?.child ?? null,
    serveErr: served.err,
    async close() {
      if (live) await stop(live.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An empty book (`init`, no demo) at the instant `at` (default AT.OPEN): no positions, nothing to propose. */
export async function openEmptyDesk(opts: { at?: string } = {}): Promise<Desk> {
  const at = opts.at ?? AT.OPEN;
  pinClock(at);
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
    at,
    created: [],
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
  const until = performance.now() + timeoutMs;
  for (;;) {
    const pending = await hostApi<IntentView[]>(url, 'intents:list', { status: 'PENDING' });
    if (pending.length) {
      return pending
        .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1))
        .map(({ id, symbol, classification, side, qty, limit_price }) => ({ id, symbol, classification, side, qty, limit_price }));
    }
    if (performance.now() > until) {
      const cycles = await hostApi<{ message: string }[]>(url, 'engine:cycles', { limit: 5 });
      throw new Error(`the console's first cycle proposed no intents in ${timeoutMs / 1000} s; its log: ${cycles.map((c) => c.message).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * `bandctl serve` on a free port, on the desk's pinned time (the environment: BAND_NOW and its anchor; pinClock
 * first to restart a host at another instant).
 */
export async function startServe(db: string, config: string, opts: { token?: string } = {}): Promise<{ url: string; child: ChildProcess; err: string[]; firstLine: string }> {
  if (clockInfo().source !== 'BAND_NOW') throw new Error('e2e/desk: pin an instant (pinClock) before starting a host');
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

/** Fills from outside the console (another execution venue) at the desk's time, and two events the ledger must quarantine. */
export function outsideFills(dir: string): string {
  const ts = new Date(deskNow()).toISOString();
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
