// The console section of npm run bench: what a trader feels.
//  - approve_roundtrip_p50_ms / _p99_ms: one approval (one intent per request) through the browser host, 200 times:
//    HTTP request, token check, schema validation, the engine's approval transaction, the paper order, the answer.
//    Baselines beside it: the same approval called in-process (no transport) and an HTTP round trip of app:status.
//  - grid_10k_render_ms: in Debian's Chromium, from clicking "Approvals" to the first rows of a 10,000-intent queue
//    on screen (data already loaded, as in use). Baseline beside it: the same with 100 intents.
import { existsSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { createServices, type Services } from '../src/main/api/create';
import { createHandlers } from '../src/main/api/handlers';
import { startHost, type Host } from '../src/main/host/server';
import { importPositions } from '../src/main/services/ledger/positions';
import { setTicks } from '../src/main/services/prices/ticks';
import { openDb } from '../src/main/services/store/db';
import { fmt, percentile, type BenchSection } from './lib';

const REPO = resolve(__dirname, '..');
const RENDERER = join(REPO, 'out', 'renderer');
const CHROMIUM = process.env.BAND_CHROMIUM ?? '/usr/bin/chromium';
const DAYS = ['2024-01-16T15:00:00Z', '2024-01-17T15:00:00Z', '2024-01-18T15:00:00Z'].map((s) => Date.parse(s));
const NOW = DAYS[2] + 60_000;

/** A book whose LT long side is too heavy, with `n` long positions in profit: CORRECTING proposes `n` intents. */
async function deskWithIntents(dir: string, name: string, n: number): Promise<Services> {
  const dbFile = join(dir, `${name}.db`);
  const config = join(dir, `${name}.yaml`);
  writeFileSync(
    config,
    [
      'account:',
      '  equity: 100000000000',
      'buckets:',
      '  LT:',
      '    band_drift:',
      `      max_intents_per_cycle: ${n}`,
      `      max_open_intents: ${n}`,
      '',
    ].join('\n'),
  );
  const db = openDb(dbFile);
  const lines = ['bucket,symbol,qty,avg_cost'];
  const ticks = [];
  for (let i = 0; i < n; i++) {
    const sym = `L${i.toString(36).toUpperCase().padStart(4, '0')}`;
    lines.push(`LT,${sym},${1000 + (i % 50) * 10},90.00`);
    ticks.push({ symbol: sym, priceMicro: 100_000_000 + (i % 97) * 10_000, ts: DAYS[0], source: 'bench' });
  }
  const shorts = Math.max(1, Math.round(n / 8));
  for (let i = 0; i < shorts; i++) {
    const sym = `S${i.toString(36).toUpperCase().padStart(4, '0')}`;
    lines.push(`LT,${sym},-1000,100.00`);
    ticks.push({ symbol: sym, priceMicro: 100_000_000, ts: DAYS[0], source: 'bench' });
  }
  const r = importPositions(db, `${lines.join('\n')}\n`, 'bench');
  if (r.errors.length) throw new Error(`bench book: ${r.errors[0]}`);
  setTicks(db, ticks);
  db.close();
  const s = await createServices(dbFile, config, { cycles: false, prices: 'static', watchMs: 0, now: () => NOW, ledgerWorkerFile: null, actor: 'bench' });
  for (const at of DAYS) s.engine.evaluate(at);
  const pending = s.engine.listIntents('PENDING', n + 10).length;
  if (pending < n) throw new Error(`bench desk ${name}: expected ${n} pending intents, got ${pending}`);
  return s;
}

function post(host: Host, agent: Agent, channel: string, body: unknown): Promise<{ ok: boolean }> {
  const text = body === undefined ? '' : JSON.stringify(body);
  return new Promise((ok, ko) => {
    const req = request(
      { host: '127.0.0.1', port: host.port, method: 'POST', path: `/api/${channel}`, agent, headers: { 'x-band-token': host.token, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => ok(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      },
    );
    req.on('error', ko);
    req.end(text);
  });
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function roundTrips(dir: string, count: number) {
  const s = await deskWithIntents(dir, 'approve', count * 2);
  // 200 back-to-back approvals are a script, not a trader: lift the approval rate limit (its check still runs).
  const host = await startHost({ handlers: createHandlers(s), events: s.events, rendererDir: dir, port: 0, actor: 'bench', rateLimit: { perSecond: 1e6, burst: 1e6 } });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const ids = s.engine.listIntents('PENDING', count * 2 + 10).map((i) => i.id);
    const viaHttp = ids.slice(0, count);
    const direct = ids.slice(count, count * 2);
    for (let i = 0; i < 20; i++) await post(host, agent, 'app:status', undefined); // warm up
    const http: number[] = [];
    for (const id of viaHttp) {
      const t0 = process.hrtime.bigint();
      const r = await post(host, agent, 'intents:approve', { ids: [id] });
      http.push(ms(t0));
      if (!r.ok) throw new Error(`approve ${id} failed: ${JSON.stringify(r)}`);
    }
    const inproc: number[] = [];
    for (const id of direct) {
      const t0 = process.hrtime.bigint();
      const out = s.engine.approve([id], 'bench');
      inproc.push(ms(t0));
      if (!out[0].ok) throw new Error(`approve ${id}: ${out[0].message}`);
    }
    const ping: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = process.hrtime.bigint();
      await post(host, agent, 'app:status', undefined);
      ping.push(ms(t0));
    }
    const sort = (a: number[]) => [...a].sort((x, y) => x - y);
    return { http: sort(http), inproc: sort(inproc), ping: sort(ping) };
  } finally {
    agent.destroy();
    await host.close();
    await s.close();
  }
}

async function gridRender(dir: string, n: number, reps: number): Promise<number[]> {
  const s = await deskWithIntents(dir, `grid${n}`, n);
  const host = await startHost({ handlers: createHandlers(s), events: s.events, rendererDir: RENDERER, port: 0, actor: 'bench' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('crash', () => process.stderr.write('bench: the page crashed\n'));
    page.on('pageerror', (e) => process.stderr.write(`bench: page error: ${String(e)}\n`));
    await page.goto(host.url);
    const expected = `${n.toLocaleString('en-US')} pending`;
    await page.getByRole('link', { name: 'Approvals', exact: true }).click();
    await page.getByTestId('pending-count').filter({ hasText: expected }).waitFor({ timeout: 120_000 });
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      await page.getByRole('link', { name: 'Overview', exact: true }).click();
      await page.getByRole('region', { name: 'Overview' }).waitFor();
      // measured inside the page: click → the grid has its data and has painted its first rows
      // (a string, not a function: tsx's name-keeping helpers do not exist inside the page)
      const t = (await page.evaluate(`(async () => {
        const want = ${JSON.stringify(expected)};
        const link = [...document.querySelectorAll('nav a')].find((a) => a.textContent.startsWith('Approvals'));
        const t0 = performance.now();
        link.click();
        await new Promise((done, fail) => {
          const check = () => {
            if (performance.now() - t0 > 60000) return fail(new Error('the grid did not render in 60 s'));
            const rows = document.querySelectorAll('[data-testid="approval-grid"] .ag-row').length;
            const count = (document.querySelector('[data-testid="pending-count"]') || {}).textContent || '';
            if (rows > 0 && count.includes(want)) requestAnimationFrame(() => done());
            else requestAnimationFrame(check);
          };
          check();
        });
        return performance.now() - t0;
      })()`)) as number;
      times.push(t);
    }
    return times.sort((a, b) => a - b);
  } finally {
    await browser.close();
    await host.close();
    await s.close();
  }
}

export const section: BenchSection = {
  name: 'console',
  async run({ quick, tmpDir, log }) {
    const figures: Record<string, number> = {};
    const rows: [string, string, string][] = [];
    log('console: 200 approvals through the browser host…');
    const rt = await roundTrips(tmpDir, 200);
    figures.approve_roundtrip_p50_ms = Number(percentile(rt.http, 50).toFixed(3));
    figures.approve_roundtrip_p99_ms = Number(percentile(rt.http, 99).toFixed(3));
    rows.push(['approve_roundtrip_p50_ms', fmt(figures.approve_roundtrip_p50_ms, 2), 'one approval through bandctl serve (HTTP, validation, engine, paper order)']);
    rows.push(['approve_roundtrip_p99_ms', fmt(figures.approve_roundtrip_p99_ms, 2), 'target <= 50 ms']);
    rows.push(['  baseline approve in-process p50 / p99', `${fmt(percentile(rt.inproc, 50), 2)} / ${fmt(percentile(rt.inproc, 99), 2)}`, 'ms, engine.approve() with no transport']);
    rows.push(['  baseline app:status over HTTP p50 / p99', `${fmt(percentile(rt.ping, 50), 2)} / ${fmt(percentile(rt.ping, 99), 2)}`, 'ms, the transport and a status read']);

    if (!existsSync(CHROMIUM)) {
      rows.push(['grid_10k_render_ms', 'skipped', `${CHROMIUM} is missing`]);
    } else if (!existsSync(join(RENDERER, 'index.html'))) {
      rows.push(['grid_10k_render_ms', 'skipped', 'out/renderer is not built: run npx electron-vite build']);
    } else {
      const reps = quick ? 3 : 7;
      log('console: approval grid with 10,000 intents in Chromium…');
      const small = await gridRender(tmpDir, 100, reps);
      const big = await gridRender(tmpDir, 10_000, reps);
      figures.grid_10k_render_ms = Number(percentile(big, 50).toFixed(1));
      rows.push(['grid_10k_render_ms', fmt(figures.grid_10k_render_ms, 1), `median of ${reps}: click Approvals → first rows painted, 10,000 pending (max ${fmt(big[big.length - 1], 1)})`]);
      rows.push(['  baseline grid_100_render_ms', fmt(percentile(small, 50), 1), 'the same screen with 100 pending']);
    }
    return { figures, rows };
  },
};
