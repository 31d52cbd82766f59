// The browser host over real HTTP: loopback only, the token on every request, the same contract as IPC, push events
// over SSE, and malformed payloads to every channel refused with VALIDATION while the console keeps working.
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, type Channel } from '../../src/shared/contract';
import type { IntentView } from '../../src/shared/types';
import { createHandlers } from '../../src/main/api/handlers';
import { startHost, tokenMatches, type Host } from '../../src/main/host/server';
import { httpRequest, type HttpOptions, type HttpResponse } from '../support/http';
import { correctingFixture, type Fixture } from './helpers';

let fx: Fixture;
let host: Host;
const TOKEN = 'test-token-0123456789abcdef';

const http = (method: string, path: string, opts: HttpOptions = {}): Promise<HttpResponse> => httpRequest(host, method, path, opts);

async function api(channel: string, input?: unknown, token = TOKEN): Promise<{ status: number; json: { ok: boolean; data?: unknown; error?: { code: string; message: string } } }> {
  const r = await http('POST', `/api/${channel}`, {
    body: input === undefined ? '' : JSON.stringify(input),
    headers: { 'content-type': 'application/json', 'x-band-token': token },
  });
  return { status: r.status, json: JSON.parse(r.body) };
}

beforeAll(async () => {
  fx = await correctingFixture();
  const rendererDir = join(fx.dir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(
    join(rendererDir, 'index.html'),
    '<!doctype html><meta http-equiv="Content-Security-Policy" content="style-src \'self\' \'nonce-BANDNONCEPLACEHOLDER\'"><meta name="band-style-nonce" content="BANDNONCEPLACEHOLDER"><title>Band Console</title><script type="module" src="./assets/app.js"></script>',
  );
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(fx.dir, 'secret.txt'), 'do not serve');
  host = await startHost({ handlers: createHandlers(fx.services), events: fx.services.events, rendererDir, port: 0, token: TOKEN, actor: 'tester' });
});
afterAll(async () => {
  await host?.close();
  await fx.cleanup();
});

describe('browser host: access', () => {
  it('prints a loopback URL with the token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${TOKEN}`);
  });

  it('refuses to listen anywhere but loopback', async () => {
    await expect(startHost({ handlers: createHandlers(fx.services), events: fx.services.events, rendererDir: fx.dir, host: '0.0.0.0', actor: 'x' })).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0/,
    );
  });

  it('refuses every request without the right token', async () => {
    for (const path of ['/', '/index.html', '/assets/app.js', '/api/events']) {
      expect((await http('GET', path)).status, path).toBe(401);
      expect((await http('GET', `${path}?token=wrong`)).status, path).toBe(401);
    }
    const noToken = await http('POST', '/api/app:status', { body: '' });
    expect(noToken.status).toBe(401);
    expect(JSON.parse(noToken.body)).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'missing or wrong token' } });
    expect((await api('app:status', undefined, 'nope')).status).toBe(401);
    expect((await api('intents:approve', { ids: ['x'] }, `${TOKEN}x`)).status).toBe(401);
  });

  it('compares tokens in constant time over hashes (any length, any garbage)', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN, TOKEN.slice(0, -1))).toBe(false);
    expect(tokenMatches(TOKEN, '')).toBe(false);
    expect(tokenMatches(TOKEN, undefined)).toBe(false);
    expect(tokenMatches(TOKEN, 'x'.repeat(10_000))).toBe(false);
  });

  it('serves the renderer with the token, sets an HttpOnly cookie, and assets then load with it', async () => {
    const page = await http('GET', `/?token=${TOKEN}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Band Console');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    // a fresh style nonce per page, the same in the header and the page
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)![1];
    expect(nonce.length).toBeGreaterThanOrEqual(22);
    expect(page.body).toContain(`content="${nonce}"`);
    expect(page.body).not.toContain('BANDNONCEPLACEHOLDER');
    expect(page.body).toContain(`<script nonce="${nonce}" type="module"`);
    expect(csp).toContain(`script-src 'nonce-${nonce}' 'strict-dynamic'`);
    const again = await http('GET', `/?token=${TOKEN}`);
    expect(String(again.headers['content-security-policy'])).not.toContain(nonce);
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^band_token_${host.port}=.*HttpOnly.*SameSite=Strict`));
    const asset = await http('GET', '/assets/app.js', { headers: { cookie: cookie.split(';')[0] } });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
  });

  it('never serves files outside the renderer folder', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt']) {
      const r = await http('GET', `${p}${p.includes('?') ? '&' : '?'}token=${TOKEN}`);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('do not serve');
    }
  });

  it('refuses a foreign Host header (DNS rebinding) and a foreign Origin', async () => {
    expect((await http('GET', `/?token=${TOKEN}`, { headers: { host: 'evil.example:80' } })).status).toBe(403);
    const r = await http('POST', '/api/app:status', { body: '', headers: { 'x-band-token': TOKEN, 'content-type': 'application/json', origin: 'http://evil.example' } });
    expect(r.status).toBe(403);
  });
});

describe('browser host: the contract', () => {
  it('answers {ok,data} with the services behind it', async () => {
    const r = await api('app:status');
    expect(r.status).toBe(200);
    expect(r.json.ok).toBe(true);
    expect((r.json.data as { status: string }).status).toBe('CORRECTING');
    const list = await api('intents:list', { status: 'PENDING' });
    expect((list.json.data as IntentView[]).length).toBeGreaterThan(0);
  });

  it('pushes events over SSE', async () => {
    const got = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: host.port, path: `/api/events?token=${TOKEN}` }, (res) => {
        expect(res.headers['content-type']).toContain('text/event-stream');
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString('utf8');
          if (buf.includes('event: intents:changed')) {
            req.destroy();
            resolve(buf);
          }
        });
        setTimeout(() => fx.services.events.emit('intents:changed', { ids: ['probe'] }), 50);
      });
      req.on('error', (e) => (String(e).includes('socket hang up') ? undefined : reject(e)));
      req.end();
    });
    expect(got).toContain('data: {"ids":["probe"]}');
  });

  it('unknown channels and bad JSON are refused', async () => {
    expect((await api('nope:nothing')).json.error?.code).toBe('UNKNOWN_CHANNEL');
    expect((await api('__proto__')).json.error?.code).toBe('UNKNOWN_CHANNEL');
    const bad = await http('POST', '/api/app:status', { body: '{not json', headers: { 'x-band-token': TOKEN, 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('VALIDATION');
    const huge = await http('POST', '/api/intents:reject', { body: `{"ids":["a"],"reason":"${'x'.repeat(5_000_000)}"}`, headers: { 'x-band-token': TOKEN, 'content-type': 'application/json' } });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).error.code).toBe('VALIDATION');
  });
});

describe('malformed payloads to every channel', () => {
  const HUGE = 'x'.repeat(200_000);
  const SQL = ["1' OR '1'='1", "x'; DROP TABLE intents; --", '" UNION SELECT * FROM positions --'];
  // Wrong types, missing fields, huge strings and SQL-looking strings, for each channel.
  const common: unknown[] = [42, 'PENDING', true, [], [1, 2], { unexpected: 1 }, { __proto__: { polluted: 1 }, extra: HUGE }];
  const MALFORMED: Record<Channel, unknown[]> = {
    'app:status': [...common],
    'engine:evaluate': [...common, { asOf: '2024-01-01' }],
    'engine:halt': [...common, { reason: 5 }, { reason: HUGE }, { reason: 'x', actor: 'root' }],
    'engine:resume': [...common, { actor: 'x' }],
    'engine:cycles': [...common, { limit: 'all' }, { limit: -1 }, { limit: 1.5 }, { limit: 1e9 }, { limit: SQL[0] }],
    'intents:list': [...common, { status: 'WHATEVER' }, { status: SQL[0] }, { status: 5 }, { limit: 0 }, { limit: '10' }],
    'intents:approve': [...common, {}, { ids: [] }, { ids: 'i-1' }, { ids: [1] }, { ids: [HUGE] }, ...SQL.map((s) => ({ ids: [s] })), { ids: ['ok'], extra: 1 }, { ids: Array.from({ length: 10_001 }, (_, i) => `i${i}`) }],
    'intents:reject': [...common, {}, { ids: ['i-1'] }, { ids: ['i-1'], reason: '' }, { ids: ['i-1'], reason: '   ' }, { ids: ['i-1'], reason: HUGE }, { ids: [SQL[1]], reason: 'r' }, { ids: 'i-1', reason: 'r' }, { reason: 'r' }],
    'intents:cancel': [...common, {}, { ids: ['i-1'] }, { ids: ['i-1'], reason: ' ' }, { all: false, reason: 'r' }, { all: 'yes', reason: 'r' }, { all: true }, { all: true, ids: ['i-1'], reason: 'r' }, { ids: [SQL[1]], reason: 'r' }, { ids: [], reason: 'r' }],
    'intents:audit': [...common, { id: SQL[0] }, { id: HUGE }, { id: 7 }, { limit: 'x' }],
    'intents:preview': [...common, {}, { ids: 'x' }, { ids: [SQL[2]] }, { ids: [HUGE] }],
    'bands:history': [...common, {}, { range: '2Y' }, { range: SQL[0] }, { range: '1D', maxPoints: 1 }, { range: '1D', maxPoints: 'many' }, { range: '1D', maxPoints: 1e9 }],
    'ledger:report': [...common, {}, { date: '2024-13-01' }, { date: '2024-02-30' }, { date: 20240101 }, { date: SQL[1] }, { date: HUGE }, { date: '2024-01-01', format: 'csv' }],
    'ledger:positions': [...common, { bucket: 'LT' }],
    'ledger:quarantine': [...common, { limit: 0 }, { limit: SQL[0] }],
    'reports:export': [...common, {}, { date: '2024-01-18' }, { date: '2024-01-18', format: 'xlsx' }, { date: SQL[1], format: 'csv' }, { date: '2024-01-18', format: 'csv', path: '/etc/passwd' }],
    'replay:setup': [...common, { file: '/etc/passwd' }],
    'replay:validate-config': [...common, {}, { text: 5 }, { text: HUGE }, { text: 'account: {}', file: '/etc/passwd' }],
    'replay:run': [
      ...common,
      {},
      { from: '2024-01-02', to: '2024-01-31' },
      { from: '2024-02-30', to: '2024-03-01', configA: null, configB: null },
      { from: SQL[1], to: '2024-03-01', configA: null, configB: null },
      { from: '2024-01-02', to: '2024-01-31', configA: null, configB: null, at: '25:00' },
      { from: '2024-01-02', to: '2024-01-31', configA: null, configB: null, approve: 'some' },
      { from: '2024-01-02', to: '2024-01-31', configA: HUGE, configB: null },
      { from: '2024-01-02', to: '2024-01-31', configA: null, configB: null, seed: -1 },
      { from: '2024-01-02', to: '2024-01-31', configA: null, configB: null, db: '/etc/passwd' },
    ],
    'replay:cancel': [...common, { id: 'x' }],
  };

  it('covers every channel', () => {
    expect(Object.keys(MALFORMED).sort()).toEqual(Object.keys(CHANNELS).sort());
  });

  it('refuses each with VALIDATION, runs no service, and the console keeps working', async () => {
    const before = {
      audit: fx.services.engine.audit(undefined, 10_000).length,
      pending: fx.services.engine.listIntents('PENDING', 10_000).length,
      cycles: fx.services.engine.cycles(10_000).length,
      mode: fx.services.engine.status().mode,
    };
    let n = 0;
    for (const [channel, payloads] of Object.entries(MALFORMED)) {
      for (const p of payloads) {
        const r = await api(channel, p);
        expect(r.status, `${channel} ${JSON.stringify(p).slice(0, 80)}`).toBe(400);
        expect(r.json.ok).toBe(false);
        expect(r.json.error?.code, `${channel} ${JSON.stringify(p).slice(0, 80)}`).toBe('VALIDATION');
        expect(r.json.error?.message.startsWith(`${channel}: `)).toBe(true);
        expect(r.json.error!.message.length).toBeLessThan(2_000);
        n++;
      }
    }
    expect(n).toBeGreaterThan(120);
    // nothing reached a service: no audit rows, no cycles, no halt, the same queue
    expect(fx.services.engine.audit(undefined, 10_000).length).toBe(before.audit);
    expect(fx.services.engine.listIntents('PENDING', 10_000).length).toBe(before.pending);
    expect(fx.services.engine.cycles(10_000).length).toBe(before.cycles);
    expect(fx.services.engine.status().mode).toBe(before.mode);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // and the console still works: list, approve one, the audit shows it
    const pending = (await api('intents:list', { status: 'PENDING' })).json.data as IntentView[];
    const id = pending[0].id;
    const approved = await api('intents:approve', { ids: [id] });
    expect(approved.json).toMatchObject({ ok: true, data: [{ id, ok: true }] });
    const audit = (await api('intents:audit', { id })).json.data as { to: string; actor: string }[];
    expect(audit.some((a) => a.to === 'APPROVED' && a.actor === 'tester')).toBe(true);
  });
});
