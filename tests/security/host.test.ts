// Security of the browser host (`bandctl serve`, src/main/host/server.ts), over real HTTP on loopback ports with the
// real services behind it, and the CLI as a subprocess for --host / --allow-remote:
//   1. the token on every route, compared with crypto.timingSafeEqual over equal-length digests
//   2. loopback only, unless --allow-remote (which warns)
//   3. no CORS: foreign Origin / cross-site fetches / preflights refused, never an Access-Control-* header
//   4. CSP, nosniff, no-referrer, DENY / frame-ancestors 'none', no-store on the API
//   5. rate limits on the state-changing channels, one bucket per token (injected clock: no sleeping)
//   6. body size limit (413) and bad JSON (400 VALIDATION) before any service runs
// The hardening of issue #14 (malformed input, caps, timeouts, the token's sources, Content-Type, internal errors)
// is tests/security/host-hardening.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request, type OutgoingHttpHeaders } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHANNELS, type Channel } from '../../src/shared/contract';
import type { IntentView } from '../../src/shared/types';
import { createHandlers } from '../../src/main/api/handlers';
import { API_CSP } from '../../src/shared/csp';
import { APPROVAL_RATE_LIMIT, RATE_LIMITED_CHANNELS, TokenBuckets } from '../../src/main/host/ratelimit';
import { allowedHostHeaders, isLoopback, MAX_BODY_BYTES, startHost, tokenMatches, type Host, type HostOptions } from '../../src/main/host/server';
import { loadDemoBook } from '../../src/main/services/demo';
import { openDb } from '../../src/main/services/store/db';
import { correctingFixture, type Fixture } from '../console/helpers';
import { httpRequest, type HttpOptions, type HttpResponse } from '../support/http';
import { BANDCTL_TS as BANDCTL, ROOT as REPO, TSX_CJS } from '../support/paths';

// Pass-through spy on the real timingSafeEqual, so the test sees what tokenMatches compares.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const TOKEN = 'sec-token-0123456789abcdefABCDEF';

let fx: Fixture;
let rendererDir: string;
let main: Host; // default limits
let limited: Host; // burst 3, 2/s, on a clock the test moves
let clock = 1_000_000;
const seen: { where: string; headers: Record<string, string | string[] | undefined> }[] = [];

/** A request to `h`; every response's headers are kept in `seen` (the header checks read them all). */
async function http(h: Host, method: string, path: string, opts: HttpOptions = {}): Promise<HttpResponse> {
  const r = await httpRequest(h, method, path, opts); // opts.chunked: the body limit must hold on the bytes received
  seen.push({ where: `${method} ${path}`, headers: r.headers });
  return r;
}

type Json = { ok: boolean; data?: unknown; error?: { code: string; message: string } };

async function api(h: Host, channel: string, input?: unknown, extra: { headers?: OutgoingHttpHeaders; localAddress?: string } = {}): Promise<HttpResponse & { json: Json }> {
  const r = await http(h, 'POST', `/api/${channel}`, {
    body: input === undefined ? '' : JSON.stringify(input),
    headers: { 'content-type': 'application/json', 'x-band-token': TOKEN, ...extra.headers },
    localAddress: extra.localAddress,
  });
  return { ...r, json: JSON.parse(r.body) as Json };
}

/** What a request that reached a service would change. */
function stateOf() {
  return {
    mode: fx.services.engine.status().mode,
    pending: fx.services.engine
      .listIntents('PENDING', 10_000)
      .map((i) => i.id)
      .sort(),
    audit: fx.services.engine.audit(undefined, 100_000).length,
    cycles: fx.services.engine.cycles(100_000).length,
  };
}

function hostOpts(extra: Partial<HostOptions> = {}): HostOptions {
  return { handlers: createHandlers(fx.services), events: fx.services.events, rendererDir, port: 0, token: TOKEN, actor: 'sec-tester', ...extra };
}

beforeAll(async () => {
  fx = await correctingFixture();
  rendererDir = join(fx.dir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(
    join(rendererDir, 'index.html'),
    '<!doctype html><meta name="band-style-nonce" content="BANDNONCEPLACEHOLDER"><title>Band Console</title><script type="module" src="./assets/app.js"></script>',
  );
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  main = await startHost(hostOpts());
  limited = await startHost(hostOpts({ rateLimit: { perSecond: 2, burst: 3 }, now: () => clock }));
});
afterAll(async () => {
  await main?.close();
  await limited?.close();
  await fx?.cleanup();
});

describe('1. the token', () => {
  it('tokenMatches compares with crypto.timingSafeEqual over two 32-byte SHA-256 digests, whatever the lengths', () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    const candidates = [TOKEN, `${TOKEN.slice(0, -1)}x`, TOKEN.slice(0, -1), `${TOKEN}x`, 'a', 'é'.repeat(300), TOKEN.toUpperCase()];
    for (const c of candidates) {
      spy.mockClear();
      expect(tokenMatches(TOKEN, c)).toBe(c === TOKEN);
      expect(spy, c).toHaveBeenCalledTimes(1);
      const [a, b] = spy.mock.calls[0] as [Buffer, Buffer];
      expect(a.length).toBe(32);
      expect(b.length).toBe(32);
      expect(a.equals(crypto.createHash('sha256').update(TOKEN).digest())).toBe(true);
    }
    // absent, empty or absurdly long tokens are refused without comparing anything
    spy.mockClear();
    for (const c of [undefined, null, '', 'x'.repeat(513)]) expect(tokenMatches(TOKEN, c)).toBe(false);
    expect(spy).not.toHaveBeenCalled();
  });

  it('refuses EVERY route and method without the right token (page, assets, API, SSE, unknown paths) and runs nothing', async () => {
    const before = stateOf();
    const paths = [
      '/',
      '/index.html',
      '/assets/app.js',
      '/assets/missing.js',
      '/favicon.ico',
      '/no/such/path',
      '/%2e%2e/secret',
      '/api/events',
      '/api/',
      '/api/nope:nothing',
      '/api/%E0%A4%A',
      '/api/intents%3Aapprove',
      ...Object.keys(CHANNELS).map((c) => `/api/${c}`),
    ];
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
    const wrong: { q?: string; headers?: OutgoingHttpHeaders }[] = [
      {},
      { headers: { 'x-band-token': `${TOKEN.slice(0, -1)}x` } }, // same length, last char differs
      { headers: { 'x-band-token': '' } },
      { q: `token=${TOKEN.slice(0, -1)}` },
      { q: `token=${TOKEN}x` },
      { headers: { cookie: `band_token=${TOKEN.toUpperCase()}` } },
      // the raw token is not the cookie: the cookie holds a value derived from it and the port
      { headers: { cookie: `${main.cookieName}=${TOKEN}; band_token=${TOKEN}` } },
      // the right token under the wrong name is no token
      { headers: { authorization: `Bearer ${TOKEN}`, cookie: `other=${TOKEN}` } },
    ];
    let n = 0;
    for (const path of paths) {
      for (const method of methods) {
        for (const w of wrong) {
          const p = w.q ? `${path}${path.includes('?') ? '&' : '?'}${w.q}` : path;
          const body = method === 'POST' ? JSON.stringify({ ids: before.pending.slice(0, 1), reason: 'x' }) : undefined;
          const r = await http(main, method, p, { headers: w.headers, body });
          const where = `${method} ${p} ${JSON.stringify(w.headers ?? {})}`;
          expect(r.status, where).toBe(401);
          expect(r.headers['set-cookie'], where).toBeUndefined();
          expect(r.headers['content-type'], where).not.toContain('event-stream');
          if (method !== 'HEAD') expect(r.body, where).toMatch(/missing or wrong token/);
          n++;
        }
      }
    }
    expect(n).toBe(paths.length * methods.length * wrong.length);
    expect(n).toBeGreaterThan(1_000);
    // nothing was approved, halted, evaluated or audited
    expect(stateOf()).toEqual(before);
    // control: the same routes answer (not 401) once the token is there, so the walk above is not vacuous
    for (const path of ['/', '/assets/app.js', '/no/such/path']) {
      expect((await http(main, 'GET', path, { headers: { 'x-band-token': TOKEN } })).status, path).not.toBe(401);
    }
    expect((await api(main, 'app:status')).status).toBe(200);
  });

  it('accepts the token in the header, the query or the HttpOnly cookie the page sets', async () => {
    const page = await http(main, 'GET', `/?token=${TOKEN}`);
    expect(page.status).toBe(200);
    const set = String(page.headers['set-cookie']);
    expect(set).toMatch(new RegExp(`^band_token_${main.port}=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/$`));
    expect(set).not.toContain(TOKEN);
    const cookie = set.split(';')[0];
    expect((await http(main, 'GET', '/assets/app.js', { headers: { cookie: `a=b; ${cookie}` } })).status).toBe(200);
    expect((await http(main, 'POST', '/api/app:status', { body: '', headers: { cookie, 'content-type': 'application/json' } })).status).toBe(200);
    expect((await http(main, 'POST', `/api/app:status?token=${TOKEN}`, { body: '', headers: { 'content-type': 'application/json' } })).status).toBe(200);
    expect((await api(main, 'app:status')).status).toBe(200);
  });
});

describe('2. loopback only', () => {
  it('isLoopback: 127.0.0.0/8, ::1, ::ffff:127.x and localhost; not 0.0.0.0, ::, LAN, link-local, names', () => {
    for (const a of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.10', '192.0.2.2', '128.0.0.1', 'fe80::1', '::ffff:10.0.0.1', '127.0.0.1.evil.example', 'evil.example', '']) {
      expect(isLoopback(a), a).toBe(false);
    }
  });

  it('startHost refuses a non-loopback address before binding, saying why', async () => {
    for (const h of ['0.0.0.0', '::', '10.11.12.13', '192.0.2.77']) {
      await expect(startHost(hostOpts({ host: h })), h).rejects.toThrow(new RegExp(`refusing to listen on ${h.replace(/\./g, '\\.')}: .*approve orders with a leaked token.*--allow-remote`));
    }
    await expect(startHost(hostOpts({ host: 'evil.example', allowNonLoopback: true }))).rejects.toThrow(/must be an IP address/);
  });

  it('binds to another loopback address (127.0.0.2) and only answers Host headers that name it', async () => {
    const h = await startHost(hostOpts({ host: '127.0.0.2' }));
    try {
      expect(h.host).toBe('127.0.0.2');
      expect(h.url).toBe(`http://127.0.0.2:${h.port}/?token=${TOKEN}`);
      expect((await api(h, 'app:status')).status).toBe(200);
      // DNS rebinding: a name that resolves here is still refused
      expect((await http(h, 'GET', `/?token=${TOKEN}`, { headers: { host: `evil.example:${h.port}` } })).status).toBe(403);
      expect((await http(h, 'GET', `/?token=${TOKEN}`, { headers: { host: `127.0.0.2:${h.port + 1}` } })).status).toBe(403);
    } finally {
      await h.close();
    }
    expect([...allowedHostHeaders('127.0.0.2', 5)].sort()).toEqual(['127.0.0.1:5', '127.0.0.2:5', '[::1]:5', 'localhost:5']);
    // bound to every interface (only with --allow-remote): the interface addresses, still never a foreign name
    const all = allowedHostHeaders('0.0.0.0', 5);
    for (const i of Object.values(networkInterfaces()).flat()) if (i) expect(all.has(i.family === 'IPv6' ? `[${i.address}]:5` : `${i.address}:5`), i.address).toBe(true);
    expect([...all].filter((h) => /[g-z]/i.test(h.replace(/^localhost:/, '')))).toEqual([]);
  });
});

describe('2. loopback only: bandctl serve --host / --allow-remote (subprocess)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let db: string;

  beforeAll(() => {
    dir = join(fx.dir, 'cli');
    mkdirSync(dir, { recursive: true });
    db = join(dir, 'band.db');
    const d = openDb(db);
    loadDemoBook(d);
    d.close();
    env = { ...process.env, BAND_RENDERER_DIR: rendererDir, BAND_APP_DATA: join(dir, 'appdata') };
    delete env.BAND_TOKEN;
  });

  const children = new Set<ChildProcess>();
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  });

  /** Runs a command expected to be refused; if it ever serves (a regression), it is stopped at once. */
  function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--require', TSX_CJS, BANDCTL, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('Console:')) child.kill('SIGTERM');
      });
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  function serve(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; line: string; stderr: () => string }> {
    const child = spawn(process.execPath, ['--require', TSX_CJS, BANDCTL, 'serve', '--db', db, '--prices', 'static', '--port', '0', ...args], { cwd: REPO, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    return new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', (line) => resolve({ child, line, stderr: () => err }));
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
  }

  function stop(child: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  }

  async function waitFor(pred: () => boolean, ms = 5_000): Promise<void> {
    const end = performance.now() + ms;
    while (!pred() && performance.now() < end) await new Promise((r) => setTimeout(r, 50));
  }

  it('refuses a non-loopback --host with exit 2 and one line that says why it is dangerous; never binds', async () => {
    const hosts = ['0.0.0.0', '::', '10.11.12.13', '192.0.2.77'];
    const results = await Promise.all([
      ...hosts.map((h) => run(['serve', '--db', db, '--host', h, '--port', '0'])),
      run(['serve', '--db', db, '--host', 'evil.example', '--allow-remote']),
      run(['serve', '--db', db, '--host', '127.0.0.1.nip.io']),
    ]);
    for (const [i, h] of hosts.entries()) {
      const r = results[i];
      expect(r.status, h).toBe(2);
      expect(r.stdout, h).toBe(''); // no "Console:" line: nothing was served
      const lines = r.stderr.trim().split('\n');
      expect(lines, h).toHaveLength(1);
      expect(lines[0]).toContain(`refusing to listen on ${h}: it is not a loopback address`);
      expect(lines[0]).toContain('anyone on the network who can reach the port could open the console and approve orders with a leaked token');
      expect(lines[0]).toContain('--allow-remote');
    }
    for (const r of results.slice(hosts.length)) {
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/--host must be an IP address such as 127\.0\.0\.1 \(or localhost\), got '/);
    }
  });

  it('--host 127.0.0.2 (loopback) serves there without a warning', async () => {
    const { child, line, stderr } = await serve(['--host', '127.0.0.2']);
    try {
      const m = /^Console: http:\/\/127\.0\.0\.2:(\d+)\/\?token=([0-9a-f]{64})$/.exec(line);
      expect(m, line).not.toBeNull();
      const r = await fetch(`http://127.0.0.2:${m![1]}/api/app:status`, { method: 'POST', headers: { 'x-band-token': m![2], 'content-type': 'application/json' }, body: '' });
      expect(r.status).toBe(200);
      await waitFor(() => stderr().includes('Ctrl+C'));
      expect(stderr()).not.toMatch(/warning/i);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  // --allow-remote on the wildcard address: it binds beyond loopback (and warns), yet the test only ever talks to
  // 127.0.0.1, so no traffic goes to a non-loopback address.
  it('--allow-remote binds beyond loopback (0.0.0.0), warns on stderr, and the token still guards it', async () => {
    const { child, line, stderr } = await serve(['--host', '0.0.0.0', '--allow-remote'], { BAND_TOKEN: TOKEN });
    try {
      const m = /^Console: http:\/\/0\.0\.0\.0:(\d+)\/\?token=(\S+)$/.exec(line);
      expect(m, line).not.toBeNull();
      expect(m![2]).toBe(TOKEN);
      await waitFor(() => stderr().includes('warning'));
      expect(stderr()).toContain('warning: --allow-remote: listening on 0.0.0.0:');
      expect(stderr()).toContain('Anyone on the network who can reach this port and learns the token can approve orders');
      const url = `http://127.0.0.1:${m![1]}/api/app:status`;
      expect((await fetch(url, { method: 'POST', body: '' })).status).toBe(401);
      expect((await fetch(url, { method: 'POST', headers: { 'x-band-token': TOKEN, 'content-type': 'application/json' }, body: '' })).status).toBe(200);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });
});

describe('3. no CORS for foreign origins', () => {
  it('refuses a foreign Origin on the API with 403 and runs nothing; its own origin is accepted', async () => {
    const before = stateOf();
    const p = main.port;
    const foreign = ['http://evil.example', 'null', `http://127.0.0.1:${p + 1}`, `https://127.0.0.1:${p}`, `http://localhost.evil.example:${p}`, `http://127.0.0.1:${p}.evil.example`];
    for (const origin of foreign) {
      for (const [channel, input] of [
        ['engine:halt', { reason: 'from evil' }],
        ['intents:approve', { ids: before.pending.slice(0, 1) }],
        ['app:status', undefined],
      ] as const) {
        const r = await api(main, channel, input, { headers: { origin } });
        expect(r.status, `${origin} ${channel}`).toBe(403);
        expect(r.json).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'cross-origin request refused' } });
      }
      // nor the push events
      expect((await http(main, 'GET', `/api/events?token=${TOKEN}`, { headers: { origin } })).status, origin).toBe(403);
    }
    expect(stateOf()).toEqual(before);
    for (const origin of [`http://127.0.0.1:${p}`, `http://localhost:${p}`]) expect((await api(main, 'app:status', undefined, { headers: { origin } })).status).toBe(200);
  });

  it('refuses cross-site and same-site (another local port) fetches by Sec-Fetch-Site', async () => {
    for (const site of ['cross-site', 'same-site']) expect((await api(main, 'app:status', undefined, { headers: { 'sec-fetch-site': site } })).status, site).toBe(403);
    for (const site of ['same-origin', 'none']) expect((await api(main, 'app:status', undefined, { headers: { 'sec-fetch-site': site } })).status, site).toBe(200);
  });

  it('refuses a CORS preflight (OPTIONS) with or without the token, with no Access-Control-* header', async () => {
    const preflight = { origin: 'http://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-band-token' };
    for (const path of ['/api/intents:approve', '/api/events', '/']) {
      const asBrowser = await http(main, 'OPTIONS', path, { headers: preflight }); // a browser sends no token on a preflight
      expect(asBrowser.status, path).toBe(401);
      const withToken = await http(main, 'OPTIONS', path, { headers: { ...preflight, 'x-band-token': TOKEN } });
      expect(withToken.status, path).toBe(403);
      expect(JSON.parse(withToken.body).error.code).toBe('FORBIDDEN');
      // OPTIONS itself is refused, even from the host's own origin or with no Origin at all
      const own = await http(main, 'OPTIONS', path, { headers: { 'x-band-token': TOKEN, origin: `http://127.0.0.1:${main.port}`, 'access-control-request-method': 'POST' } });
      const bare = await http(main, 'OPTIONS', path, { headers: { 'x-band-token': TOKEN } });
      for (const r of [own, bare]) {
        expect(r.status, path).toBe(403);
        expect(JSON.parse(r.body).error.message).toBe('cross-origin requests are refused: this host serves only its own page');
      }
      for (const r of [asBrowser, withToken, own, bare]) expect(Object.keys(r.headers).filter((k) => k.startsWith('access-control-'))).toEqual([]);
    }
  });
});

describe('4. security headers', () => {
  function common(r: HttpResponse, where: string) {
    expect(r.headers['x-content-type-options'], where).toBe('nosniff');
    expect(r.headers['referrer-policy'], where).toBe('no-referrer');
    expect(r.headers['x-frame-options'], where).toBe('DENY');
    expect(String(r.headers['content-security-policy']), where).toContain("frame-ancestors 'none'");
    expect(String(r.headers['content-security-policy']), where).not.toContain('unsafe-inline');
  }

  it('on the page: a per-response nonce CSP, no caching', async () => {
    const r = await http(main, 'GET', `/?token=${TOKEN}`);
    expect(r.status).toBe(200);
    common(r, 'page');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toMatch(/^default-src 'self'; script-src 'nonce-[A-Za-z0-9+/=]{22,}' 'strict-dynamic';/);
    expect(csp).toContain("object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'");
    expect(r.headers['cache-control']).toBe('no-store');
    const asset = await http(main, 'GET', `/assets/app.js?token=${TOKEN}`);
    common(asset, 'asset');
  });

  it("on every API answer (200, 400, 401, 403, 404, 405, 413, 415, 429) and SSE: default-src 'none' and Cache-Control: no-store", async () => {
    const answers: [string, HttpResponse][] = [
      ['200', await api(main, 'app:status')],
      ['400', await api(main, 'intents:approve', { ids: 'x' })],
      ['401', await http(main, 'POST', '/api/app:status', { body: '' })],
      ['403', await api(main, 'app:status', undefined, { headers: { origin: 'http://evil.example' } })],
      ['404', await api(main, 'nope:nothing')],
      ['405', await http(main, 'GET', `/api/app:status?token=${TOKEN}`)],
      ['413', await http(main, 'POST', '/api/app:status', { body: ' '.repeat(MAX_BODY_BYTES + 1), headers: { 'x-band-token': TOKEN, 'content-type': 'application/json' } })],
      ['415', await http(main, 'POST', '/api/app:status', { body: '{}', headers: { 'x-band-token': TOKEN, 'content-type': 'text/plain' } })],
    ];
    clock += 60_000;
    for (let i = 0; i < 3; i++) await api(limited, 'intents:approve', { ids: ['no-such-intent'] });
    answers.push(['429', await api(limited, 'intents:approve', { ids: ['no-such-intent'] })]);
    for (const [code, r] of answers) {
      expect(r.status, code).toBe(Number(code));
      common(r, code);
      expect(r.headers['content-security-policy'], code).toBe(API_CSP);
      expect(r.headers['cache-control'], code).toBe('no-store');
      if (code !== '401') expect(r.headers['content-type'], code).toBe('application/json; charset=utf-8');
    }
    const sse = await new Promise<HttpResponse>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: main.port, path: `/api/events?token=${TOKEN}` }, (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
        req.destroy();
      });
      req.on('error', (e) => (String(e).includes('socket hang up') ? undefined : reject(e)));
      req.end();
    });
    expect(sse.status).toBe(200);
    common(sse, 'sse');
    expect(sse.headers['cache-control']).toBe('no-store');
  });
});

describe('5. rate limits on the state-changing channels', () => {
  it('is 10/s with bursts of 20 per token by default, on exactly the approval, halt/resume and evaluate channels', async () => {
    expect(APPROVAL_RATE_LIMIT).toEqual({ perSecond: 10, burst: 20 });
    expect([...RATE_LIMITED_CHANNELS].sort()).toEqual(['engine:evaluate', 'engine:halt', 'engine:resume', 'intents:approve', 'intents:cancel', 'intents:reject']);
    for (const c of RATE_LIMITED_CHANNELS) expect(Object.keys(CHANNELS)).toContain(c);
    // the default bucket, on a frozen clock: 20 pass, the 21st is refused
    const frozen = await startHost(hostOpts({ now: () => 5_000 }));
    try {
      for (let i = 0; i < 20; i++) expect((await api(frozen, 'intents:approve', { ids: ['no-such-intent'] })).status, `#${i + 1}`).toBe(200);
      const r = await api(frozen, 'intents:approve', { ids: ['no-such-intent'] });
      expect(r.status).toBe(429);
      expect(r.json.error?.message).toBe('intents:approve: too many requests: at most 10/s (bursts of 20) per token; retry in 1 s');
    } finally {
      await frozen.close();
    }
  });

  it('answers 429 RATE_LIMITED with Retry-After once the bucket is empty, runs nothing, and refills with time', async () => {
    clock += 60_000; // a full bucket (3)
    const pending = stateOf().pending;
    expect(pending.length).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) expect((await api(limited, 'intents:approve', { ids: ['no-such-intent'] })).status).toBe(200);
    const before = stateOf();
    const r = await api(limited, 'intents:approve', { ids: [pending[0]] });
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.json).toEqual({
      ok: false,
      error: { code: 'RATE_LIMITED', message: 'intents:approve: too many requests: at most 2/s (bursts of 3) per token; retry in 1 s' },
    });
    expect(stateOf()).toEqual(before); // the intent is still PENDING, nothing audited

    // every limited channel is refused while empty, also under a percent-encoded name
    const calls: [string, unknown][] = [
      ['intents:reject', { ids: [pending[0]], reason: 'r' }],
      ['engine:halt', { reason: 'x' }],
      ['engine:resume', undefined],
      ['engine:evaluate', undefined],
      ['intents%3Aapprove', { ids: [pending[0]] }],
    ];
    for (const [c, input] of calls) expect((await api(limited, c, input)).status, c).toBe(429);
    expect(stateOf()).toEqual(before);

    // reads are never limited; malformed writes are refused by the schema (400), not counted
    for (let i = 0; i < 50; i++) {
      expect((await api(limited, i % 2 ? 'intents:list' : 'app:status', i % 2 ? { status: 'PENDING' } : undefined)).status).toBe(200);
    }
    const bad = await api(limited, 'intents:approve', { ids: [] });
    expect(bad.status).toBe(400);
    expect(bad.json.error?.code).toBe('VALIDATION');

    // at 2/s a token takes 500 ms
    clock += 499;
    expect((await api(limited, 'intents:approve', { ids: ['no-such-intent'] })).status).toBe(429);
    clock += 1;
    expect((await api(limited, 'intents:approve', { ids: ['no-such-intent'] })).status).toBe(200);
    expect((await api(limited, 'intents:approve', { ids: ['no-such-intent'] })).status).toBe(429);
    // a long pause refills to the burst, not beyond
    clock += 3_600_000;
    for (let i = 0; i < 3; i++) expect((await api(limited, 'engine:resume')).status).toBe(200);
    expect((await api(limited, 'engine:resume')).status).toBe(429);
    // and a well-formed approval after the wait goes through
    clock += 500;
    const ok = await api(limited, 'intents:approve', { ids: [pending[0]] });
    expect(ok.json).toMatchObject({ ok: true, data: [{ id: pending[0], ok: true }] });
  });

  it('keeps one bucket per token: another source address (127.0.0.x) with the same token shares it', async () => {
    clock += 60_000;
    for (let i = 0; i < 3; i++) await api(limited, 'engine:resume');
    expect((await api(limited, 'engine:resume')).status).toBe(429);
    const other = await api(limited, 'engine:resume', undefined, { localAddress: '127.0.0.3' });
    expect(other.status).toBe(429);
    expect((await api(limited, 'engine:resume')).status).toBe(429);
  });

  it('TokenBuckets: Retry-After is the time to the next token; memory stays bounded', () => {
    let t = 0;
    const b = new TokenBuckets({ perSecond: 4, burst: 2 }, () => t, 3);
    expect(b.take('a')).toEqual({ ok: true });
    expect(b.take('a')).toEqual({ ok: true });
    expect(b.take('a')).toEqual({ ok: false, retryAfterMs: 250 });
    t += 100;
    expect(b.take('a')).toEqual({ ok: false, retryAfterMs: 150 });
    for (const k of ['b', 'c', 'd', 'e']) expect(b.take(k)).toEqual({ ok: true });
    expect((b as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(3);
    expect(() => new TokenBuckets({ perSecond: 0, burst: 1 })).toThrow(/perSecond > 0/);
  });
});

describe('6. request body limits and bad JSON, before any service runs', () => {
  it(`accepts a body of exactly ${MAX_BODY_BYTES} bytes and refuses one byte more with 413 VALIDATION`, async () => {
    const json = JSON.stringify({ ids: ['no-such-intent'] });
    const exact = json + ' '.repeat(MAX_BODY_BYTES - json.length);
    const ok = await http(main, 'POST', '/api/intents:preview', { body: exact, headers: { 'x-band-token': TOKEN, 'content-type': 'application/json' } });
    expect(ok.status).not.toBe(413);
    expect(JSON.parse(ok.body).error?.code).not.toBe('VALIDATION');

    const before = stateOf();
    const reason = 'x'.repeat(MAX_BODY_BYTES);
    for (const chunked of [false, true]) {
      const r = await http(main, 'POST', '/api/engine:halt', { body: JSON.stringify({ reason }), headers: { 'x-band-token': TOKEN, 'content-type': 'application/json' }, chunked });
      expect(r.status, `chunked=${chunked}`).toBe(413);
      expect(JSON.parse(r.body)).toEqual({ ok: false, error: { code: 'VALIDATION', message: `engine:halt: body larger than ${MAX_BODY_BYTES} bytes` } });
    }
    expect(stateOf()).toEqual(before);
    expect(MAX_BODY_BYTES).toBe(1024 * 1024);
  });

  it('answers 400 VALIDATION to a body that is not JSON, on every channel, without running it', async () => {
    const before = stateOf();
    const bodies = ['{', '{"ids":["a"],}', "{'ids':['a']}", 'undefined', 'NaN', '\u0000', '[1,]', '{"reason":"x"'];
    for (const c of Object.keys(CHANNELS) as Channel[]) {
      for (const body of bodies) {
        const r = await http(main, 'POST', `/api/${c}`, { body, headers: { 'x-band-token': TOKEN, 'content-type': 'application/json' } });
        expect(r.status, `${c} ${body}`).toBe(400);
        expect(JSON.parse(r.body)).toEqual({ ok: false, error: { code: 'VALIDATION', message: `${c}: body is not valid JSON` } });
      }
    }
    expect(stateOf()).toEqual(before);
    // and the host still works
    expect((await api(main, 'intents:list', { status: 'PENDING' })).json.data as IntentView[]).toBeInstanceOf(Array);
  });
});

describe('no Access-Control-* header, ever', () => {
  it('on any of the responses this suite received', () => {
    expect(seen.length).toBeGreaterThan(1_200);
    const withCors = seen.filter((s) => Object.keys(s.headers).some((k) => k.startsWith('access-control-')));
    expect(withCors.map((s) => s.where)).toEqual([]);
  });
});
