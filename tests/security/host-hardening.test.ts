// Hardening of the browser host (issue #14), one block per finding of the live probe of `bandctl serve`, over real
// sockets on loopback with the real services behind it. Every loop is bounded; nothing leaves 127.0.0.0/8.
//   1. malformed cookies, request targets and Host headers: 400/401/403, never 500, nothing in the log
//   2. caps: push streams in total (503) and per token (429), connections (maxConnections)
//   3. timeouts: a slow or silent client is cut after headersTimeout / requestTimeout; a healthy push stream is not
//   4. one rate bucket per token, whatever 127.0.0.x the requests come from
//   5. the cookie is named after the port and holds no token
//   6. the token from BAND_TOKEN or --token-file (never on the command line); --token warns
//   7. Content-Type: application/json on the API (415); the channel before the body; long names cut
//   8. internal error text only in the log, under a reference the client is given
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src/main/api/handlers';
import type { HandlerMap } from '../../src/main/api/dispatch';
import { cookieValue, HOST_LIMITS, isJsonContentType, parseTarget, readCookie, startHost, type Host, type HostOptions } from '../../src/main/host/server';
import { loadDemoBook } from '../../src/main/services/demo';
import { openDb } from '../../src/main/services/store/db';
import { correctingFixture, type Fixture } from '../console/helpers';
import { httpRequest, type HttpOptions, type HttpResponse } from '../support/http';
import { BANDCTL_BIN as BANDCTL, ROOT as REPO } from '../support/paths';

const TOKEN = 'hardening-token-0123456789abcdef';

let fx: Fixture;
let rendererDir: string;
const hosts: Host[] = [];

function hostOpts(extra: Partial<HostOptions> = {}): HostOptions {
  return { handlers: createHandlers(fx.services), events: fx.services.events, rendererDir, port: 0, token: TOKEN, actor: 'hardening', ...extra };
}

/** A host whose log lines the test reads. */
async function logged(extra: Partial<HostOptions> = {}): Promise<{ h: Host; logs: string[] }> {
  const logs: string[] = [];
  const h = await startHost(hostOpts({ log: (l) => logs.push(l), ...extra }));
  hosts.push(h);
  return { h, logs };
}

interface RawRes {
  status: number | null;
  head: string;
  body: string;
  /** The server closed the connection (or reset it). */
  closed: boolean;
  /** Time from connecting to the answer (or the close). */
  ms: number;
}

/** Sends raw bytes on a fresh loopback socket; resolves at the first complete answer, a close, or after waitMs. */
function raw(port: number, text: string | Buffer, opts: { waitMs?: number; localAddress?: string } = {}): Promise<RawRes> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = connect({ host: '127.0.0.1', port, localAddress: opts.localAddress });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const end = buf.indexOf('\r\n\r\n');
      const head = (end >= 0 ? buf.subarray(0, end) : buf).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({ status: m ? Number(m[1]) : null, head, body: end >= 0 ? buf.subarray(end + 4).toString('utf8') : '', closed, ms: performance.now() - t0 });
      sock.destroy();
    };
    const timer = setTimeout(() => finish(false), opts.waitMs ?? 3_000);
    sock.on('connect', () => sock.write(text));
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = /\r\ncontent-length: *(\d+)/i.exec(buf.subarray(0, end).toString('latin1'));
      if (len && buf.length - (end + 4) >= Number(len[1])) finish(false);
    });
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
  });
}

const http = (h: Host, method: string, path: string, opts: HttpOptions = {}): Promise<HttpResponse> =>
  httpRequest({ port: h.port }, method, path, { ...opts, headers: { host: `127.0.0.1:${h.port}`, ...opts.headers } });

const JSON_HEADERS = { 'content-type': 'application/json', 'x-band-token': TOKEN };

/** An open push stream on a raw socket: its status once the head arrived, and what it received since. */
interface Stream {
  status: number | null;
  head: string;
  data(): string;
  closed(): boolean;
  close(): void;
}

function openStream(port: number, opts: { token?: string; waitMs?: number } = {}): Promise<Stream> {
  return new Promise((resolve) => {
    const sock: Socket = connect({ host: '127.0.0.1', port });
    let buf = '';
    let closed = false;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const end = buf.indexOf('\r\n\r\n');
      const head = end >= 0 ? buf.slice(0, end) : buf;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      resolve({ status: m ? Number(m[1]) : null, head, data: () => buf, closed: () => closed, close: () => sock.destroy() });
    };
    const timer = setTimeout(settle, opts.waitMs ?? 3_000);
    sock.on('connect', () => sock.write(`GET /api/events?token=${opts.token ?? TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`));
    sock.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      // a stream: settled by its head; a refusal: by its whole JSON body
      if (/^HTTP\/1\.1 200/.test(buf)) settle();
      else {
        const len = /\r\ncontent-length: *(\d+)/i.exec(buf.slice(0, end));
        if (len && Buffer.byteLength(buf.slice(end + 4)) >= Number(len[1])) settle();
      }
    });
    const gone = () => {
      closed = true;
      settle();
    };
    sock.on('error', gone);
    sock.on('close', gone);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, ms = 5_000): Promise<boolean> {
  const end = performance.now() + ms;
  while (!pred() && performance.now() < end) await sleep(20);
  return pred();
}

function pendingIds(): string[] {
  return fx.services.engine
    .listIntents('PENDING', 10_000)
    .map((i) => i.id)
    .sort();
}

function auditCount(): number {
  return fx.services.engine.audit(undefined, 100_000).length;
}

beforeAll(async () => {
  fx = await correctingFixture();
  rendererDir = join(fx.dir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Band Console</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
});
afterAll(async () => {
  for (const h of hosts) await h.close();
  await fx?.cleanup();
});

describe('1. malformed input: 400, 401 or 403, never 500, and nothing in the log', () => {
  it('malformed cookies are no token: 401 on every route, no stack, no log line; with the token they are ignored', async () => {
    const { h, logs } = await logged();
    const name = h.cookieName;
    const cookies = [
      'band_token=%E0%A4%A', // the probe's
      `${name}=%E0%A4%A`,
      `${name}=%`,
      `${name}=%zz%`,
      `${name}=%C0%AF`,
      `${name}=%ED%A0%80`, // a lone surrogate
      `${name}=%00`,
      `${name}`,
      `${name}=`,
      '=;;;=;',
      ';',
      `a=%E0%A4%A; ${name}=%E0%A4%A; b=%`,
      `${name}=${'%'.repeat(4_000)}`,
      `${name}=${'x'.repeat(7_000)}`,
      `${name}="${cookieValue(TOKEN, h.port)}"`, // the right value, quoted: not the cookie
      `${name}=${TOKEN}`, // the raw token under the right name: not the cookie either
    ];
    const routes: [string, string][] = [
      ['GET', '/'],
      ['GET', '/assets/app.js'],
      ['GET', '/api/events'],
      ['POST', '/api/intents:approve'],
      ['POST', '/api/engine:halt'],
      ['GET', '/no/such'],
    ];
    const before = { pending: pendingIds(), audit: auditCount() };
    let n = 0;
    for (const cookie of cookies) {
      for (const [method, path] of routes) {
        const body = method === 'POST' ? JSON.stringify({ ids: before.pending.slice(0, 1), reason: 'junk' }) : undefined;
        const r = await http(h, method, path, { body, headers: { cookie, 'content-type': 'application/json' } });
        expect(r.status, `${method} ${path} ${cookie.slice(0, 40)}`).toBe(401);
        n++;
      }
    }
    // latin-1 bytes in the cookie (a raw socket: no client library would send them)
    for (const bytes of [Buffer.from([0xe0, 0xa4]), Buffer.from([0xff, 0xfe, 0x25])]) {
      const req = Buffer.concat([Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nCookie: ${name}=`), bytes, Buffer.from('\r\nConnection: close\r\n\r\n')]);
      const r = await raw(h.port, req);
      expect(r.status).toBe(401);
      n++;
    }
    expect(n).toBe(cookies.length * routes.length + 2);
    expect(logs).toEqual([]);
    expect({ pending: pendingIds(), audit: auditCount() }).toEqual(before);
    // the token in the header or the query still works whatever junk the cookie holds
    expect((await http(h, 'POST', '/api/app:status', { body: '', headers: { ...JSON_HEADERS, cookie: `${name}=%E0%A4%A` } })).status).toBe(200);
    expect((await http(h, 'GET', `/?token=${TOKEN}`, { headers: { cookie: `${name}=%E0%A4%A` } })).status).toBe(200);
    expect(logs).toEqual([]);
  });

  it('readCookie: the named cookie, undefined for anything malformed, never throws', () => {
    expect(readCookie('a=1; band_token_5=v%20w; c=3', 'band_token_5')).toBe('v w');
    expect(readCookie('band_token_5=v=w', 'band_token_5')).toBe('v=w');
    for (const raw of [undefined, '', 'band_token_5=%E0%A4%A', 'band_token_5', 'x'.repeat(9_000), 'band_token_55=v', 'band_token=v']) {
      expect(() => readCookie(raw, 'band_token_5')).not.toThrow();
      expect(readCookie(raw, 'band_token_5'), String(raw).slice(0, 30)).toBeUndefined();
    }
  });

  it('absolute-form and other non-path request targets: 400 (with or without the token), never 500, nothing logged', async () => {
    const { h, logs } = await logged();
    const p = h.port;
    const targets = [
      'http://a:99999/', // the probe's
      `http://a:99999/?token=${TOKEN}`,
      `http://127.0.0.1:${p}/?token=${TOKEN}`,
      `http://127.0.0.1:${p}/api/app:status?token=${TOKEN}`,
      'https://evil.example/',
      'http://[::1/',
      'http://%zz/',
      'ftp://x/',
      `//evil.example/?token=${TOKEN}`,
      `//127.0.0.1:${p}/`,
      '*',
      'a',
      `?token=${TOKEN}`,
      `127.0.0.1:${p}`,
    ];
    const statuses = new Map<string, number | null>();
    for (const t of targets) {
      for (const method of ['GET', 'POST', 'OPTIONS']) {
        const body = method === 'POST' ? '{}' : '';
        const head = `${method} ${t} HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nX-Band-Token: ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
        const r = await raw(p, head);
        statuses.set(`${method} ${t}`, r.status);
        // Node's own parser refuses some outright (400, no handler); the rest are the host's 400
        expect(r.status, `${method} ${t}`).toBe(400);
      }
    }
    expect(statuses.size).toBe(targets.length * 3);
    // CONNECT is not HTTP for this host: Node closes it (no 'connect' listener), nothing is answered or logged
    const c = await raw(p, `CONNECT 127.0.0.1:${p} HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`);
    expect(c.status === null || c.status === 400, String(c.status)).toBe(true);
    expect(logs).toEqual([]);
    // parseTarget: origin-form only
    expect(parseTarget('/api/x?token=t', 5)?.pathname).toBe('/api/x');
    for (const t of [undefined, '', '*', 'http://a:99999/', '//evil/x', 'x', '?a']) expect(parseTarget(t, 5), String(t)).toBeNull();
  });

  it('bad Host headers: 400 or 403, never 500, nothing logged', async () => {
    const { h, logs } = await logged();
    const p = h.port;
    const hostLines = [
      '', // no Host header at all (HTTP/1.1 requires one: Node answers 400)
      'Host: \r\n',
      'Host: evil.example\r\n',
      `Host: evil.example:${p}\r\n`,
      'Host: 127.0.0.1:99999\r\n',
      `Host: 127.0.0.1:${p}@evil.example\r\n`,
      `Host: 127.0.0.1:${p}.evil.example\r\n`,
      'Host: [::1\r\n',
      'Host: %E0%A4%A\r\n',
      `Host: ${'a'.repeat(8_000)}\r\n`,
      `Host: 127.0.0.1:${p}\r\nHost: evil.example\r\n`,
      `Host: evil.example\r\nHost: 127.0.0.1:${p}\r\n`,
    ];
    for (const line of hostLines) {
      for (const target of [`/?token=${TOKEN}`, 'http://a:99999/']) {
        const r = await raw(p, `GET ${target} HTTP/1.1\r\n${line}Connection: close\r\n\r\n`);
        expect([400, 403], `${target} ${JSON.stringify(line.slice(0, 60))}`).toContain(r.status);
      }
    }
    // HTTP/1.0 without a Host header: this host's own check (403)
    expect((await raw(p, `GET /?token=${TOKEN} HTTP/1.0\r\n\r\n`)).status).toBe(403);
    expect(logs).toEqual([]);
  });

  it('a bounded flood of junk from anyone (200 requests) writes nothing to the log and leaves the host working', async () => {
    const { h, logs } = await logged();
    const junk = [
      `GET http://a:99999/ HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nConnection: close\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nCookie: ${h.cookieName}=%E0%A4%A\r\nConnection: close\r\n\r\n`,
      `POST /api/${'x'.repeat(3_000)} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: evil\r\nConnection: close\r\n\r\n`,
    ];
    const statuses = new Set<number | null>();
    for (let i = 0; i < 200; i++) statuses.add((await raw(h.port, junk[i % junk.length])).status);
    expect([...statuses].sort()).toEqual([400, 401, 403]);
    expect(logs).toEqual([]);
    expect((await http(h, 'POST', '/api/app:status', { body: '', headers: JSON_HEADERS })).status).toBe(200);
  });
});

describe('2. caps: push streams (total and per token) and connections', () => {
  it('defaults: 32 push streams in all, 8 per token, 64 connections, timeouts of 10 s, keep-alive every 5 s', async () => {
    expect(HOST_LIMITS).toEqual({
      maxPushStreams: 32,
      maxPushStreamsPerToken: 8,
      maxConnections: 64,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 10_000,
      idleTimeoutMs: 10_000,
      pushKeepAliveMs: 5_000,
    });
    const { h } = await logged();
    expect(h.server.maxConnections).toBe(64);
    expect(h.server.headersTimeout).toBe(10_000);
    expect(h.server.requestTimeout).toBe(10_000);
    expect(h.server.timeout).toBe(10_000);
    expect(HOST_LIMITS.pushKeepAliveMs).toBeLessThan(HOST_LIMITS.idleTimeoutMs);
    await expect(startHost(hostOpts({ limits: { pushKeepAliveMs: 10_000 } }))).rejects.toThrow(/pushKeepAliveMs \(10000\) must be below idleTimeoutMs/);
    await expect(startHost(hostOpts({ limits: { maxPushStreams: 0 } }))).rejects.toThrow(/maxPushStreams must be a whole number >= 1/);
  });

  it('per token: the stream over the cap is answered 429 RATE_LIMITED with Retry-After; closing one makes room', async () => {
    const { h } = await logged({ limits: { maxPushStreams: 10, maxPushStreamsPerToken: 3 } });
    const open: Stream[] = [];
    try {
      for (let i = 0; i < 3; i++) open.push(await openStream(h.port));
      expect(open.map((s) => s.status)).toEqual([200, 200, 200]);
      const over = await openStream(h.port);
      expect(over.status).toBe(429);
      expect(over.head).toMatch(/\r\nRetry-After: 5\r\n/i);
      expect(over.head).toMatch(/\r\nContent-Type: application\/json; charset=utf-8\r\n/i);
      expect(JSON.parse(over.data().slice(over.data().indexOf('\r\n\r\n') + 4))).toEqual({
        ok: false,
        error: { code: 'RATE_LIMITED', message: 'too many push streams open with this token: at most 3; close a tab or retry in 5 s' },
      });
      over.close();
      open.shift()!.close();
      // the host sees the close, then one more is accepted
      let again: Stream | undefined;
      for (let i = 0; i < 50 && again?.status !== 200; i++) {
        again?.close();
        await sleep(20);
        again = await openStream(h.port);
      }
      expect(again!.status).toBe(200);
      open.push(again!);
      // the open streams still receive events
      fx.services.events.emit('intents:changed', { ids: ['cap-probe'] });
      expect(await until(() => open.every((s) => s.data().includes('cap-probe')))).toBe(true);
    } finally {
      for (const s of open) s.close();
    }
  });

  it('in total: the stream over the cap is answered 503 with Retry-After', async () => {
    const { h } = await logged({ limits: { maxPushStreams: 2, maxPushStreamsPerToken: 8 } });
    const open: Stream[] = [];
    try {
      for (let i = 0; i < 2; i++) open.push(await openStream(h.port));
      expect(open.map((s) => s.status)).toEqual([200, 200]);
      const over = await openStream(h.port);
      expect(over.status).toBe(503);
      expect(over.head).toMatch(/\r\nRetry-After: 5\r\n/i);
      expect(JSON.parse(over.data().slice(over.data().indexOf('\r\n\r\n') + 4)).error).toEqual({
        code: 'RATE_LIMITED',
        message: 'too many push streams open: at most 2 in all; retry in 5 s',
      });
      over.close();
    } finally {
      for (const s of open) s.close();
    }
  });

  it('the probe, bounded: 80 push streams at once against the defaults: 8 streams, 56 refused with 429, 16 sockets closed', async () => {
    const { h } = await logged();
    const all = await Promise.all(Array.from({ length: 80 }, () => openStream(h.port, { waitMs: 5_000 })));
    try {
      const count = (f: (s: Stream) => boolean) => all.filter(f).length;
      expect(count((s) => s.status === 200)).toBe(HOST_LIMITS.maxPushStreamsPerToken);
      expect(count((s) => s.status === 429)).toBe(HOST_LIMITS.maxConnections - HOST_LIMITS.maxPushStreamsPerToken);
      // beyond maxConnections Node closes the socket as soon as it is accepted: no answer at all
      expect(count((s) => s.status === null && s.closed())).toBe(80 - HOST_LIMITS.maxConnections);
      expect(count((s) => s.status !== null && s.status >= 500)).toBe(0);
    } finally {
      for (const s of all) s.close();
    }
  });

  it('maxConnections: a socket over the cap is closed at once; a freed slot is usable again', async () => {
    const { h, logs } = await logged({ limits: { maxConnections: 4 } });
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const s = connect({ host: '127.0.0.1', port: h.port });
        s.on('error', () => undefined);
        await new Promise((r) => s.once('connect', r));
        held.push(s);
      }
      const over = await raw(h.port, `GET /?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`, { waitMs: 2_000 });
      expect(over).toMatchObject({ status: null, closed: true });
      expect(over.ms).toBeLessThan(1_000);
      // one line, however many sockets are refused
      for (let i = 0; i < 5; i++) await raw(h.port, 'GET / HTTP/1.1\r\n\r\n', { waitMs: 1_000 });
      expect(logs).toEqual(['host: 4 connections open: refusing more (this line at most once a minute)']);
      held.shift()!.destroy();
      let ok: RawRes | undefined;
      for (let i = 0; i < 50 && ok?.status !== 200; i++) {
        await sleep(20);
        ok = await raw(h.port, `GET /?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nConnection: close\r\n\r\n`);
      }
      expect(ok!.status).toBe(200);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});

/** Sends `head`, then one `byte` every 50 ms (at most 60: 3 s) until the server answers and closes the connection. */
function trickle(port: number, head: string, byte: string): Promise<RawRes> {
  return new Promise<RawRes>((resolve) => {
    const t0 = performance.now();
    const s = connect({ host: '127.0.0.1', port });
    let buf = '';
    let sent = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    s.on('connect', () => {
      s.write(head);
      timer = setInterval(() => (++sent > 60 ? clearInterval(timer) : s.write(byte)), 50);
    });
    s.on('data', (c: Buffer) => (buf += c.toString()));
    s.on('close', () => {
      clearInterval(timer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(buf)?.[1] ?? 0) || null, head: buf, body: '', closed: true, ms: performance.now() - t0 });
    });
    s.on('error', () => undefined);
  });
}

describe('3. timeouts: slow clients are cut, healthy push streams are not', () => {
  const SHORT = { headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 800, pushKeepAliveMs: 200 };

  it('a client that never finishes its request head is answered 408 and cut after headersTimeout (not ~37 s)', async () => {
    const { h, logs } = await logged({ limits: SHORT });
    // trickles one header byte every 50 ms, at most 60 of them (3 s)
    const slow = await trickle(h.port, `GET /?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nX-Slow: `, 'a');
    expect(slow.status).toBe(408);
    expect(slow.ms).toBeGreaterThanOrEqual(250);
    expect(slow.ms).toBeLessThan(1_500);
    // a silent socket (connects, sends nothing) too
    const silent = await raw(h.port, '', { waitMs: 3_000 });
    expect(silent.closed).toBe(true);
    expect(silent.ms).toBeLessThan(1_500);
    expect(logs).toEqual([]);
  });

  it('a body that trickles in is cut after requestTimeout (408)', async () => {
    const { h } = await logged({ limits: SHORT });
    const r = await trickle(
      h.port,
      `POST /api/app:status HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nX-Band-Token: ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
      ' ',
    );
    expect(r.status).toBe(408);
    expect(r.ms).toBeLessThan(2_000);
  });

  it('a healthy push stream outlives the idle timeout many times over (keep-alive comments below it) and still gets events', async () => {
    const { h } = await logged({ limits: SHORT });
    const s = await openStream(h.port);
    try {
      expect(s.status).toBe(200);
      await sleep(SHORT.idleTimeoutMs * 3);
      expect(s.closed()).toBe(false);
      expect(s.data().split(': keep-alive').length - 1).toBeGreaterThanOrEqual(5);
      fx.services.events.emit('intents:changed', { ids: ['still-alive'] });
      expect(await until(() => s.data().includes('still-alive'))).toBe(true);
    } finally {
      s.close();
    }
  });
});

describe('4. one rate bucket per token, whatever the source address', () => {
  it('requests from 127.0.0.10–49 with the same token share one bucket (burst 3: 3 pass, 37 are refused)', async () => {
    const { h } = await logged({ rateLimit: { perSecond: 2, burst: 3 }, now: () => 42_000 });
    const statuses: number[] = [];
    for (let i = 10; i < 50; i++) {
      const r = await http(h, 'POST', '/api/engine:resume', { body: '', headers: JSON_HEADERS, localAddress: `127.0.0.${i}` });
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.headers['retry-after']).toBe('1');
        expect(JSON.parse(r.body).error.message).toBe('engine:resume: too many requests: at most 2/s (bursts of 3) per token; retry in 1 s');
      }
    }
    expect(statuses.length).toBe(40);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(37);
  });
});

describe('5. the cookie: named after the port, holding no token', () => {
  it('two consoles with the same token set different cookies; neither works on the other', async () => {
    const { h: a } = await logged();
    const { h: b } = await logged();
    const cookieOf = async (h: Host) => String((await http(h, 'GET', `/?token=${TOKEN}`)).headers['set-cookie']).split(';')[0];
    const ca = await cookieOf(a);
    const cb = await cookieOf(b);
    expect(ca.split('=')[0]).toBe(`band_token_${a.port}`);
    expect(cb.split('=')[0]).toBe(`band_token_${b.port}`);
    expect(a.cookieName).not.toBe(b.cookieName);
    for (const c of [ca, cb]) expect(c).not.toContain(TOKEN);
    // the browser sends both (cookies are not port-scoped): each console picks its own
    for (const h of [a, b]) expect((await http(h, 'GET', '/assets/app.js', { headers: { cookie: `${ca}; ${cb}` } })).status).toBe(200);
    // one console's cookie is not good on the other, under either name
    expect((await http(b, 'GET', '/assets/app.js', { headers: { cookie: ca } })).status).toBe(401);
    expect((await http(b, 'GET', '/assets/app.js', { headers: { cookie: `${b.cookieName}=${ca.split('=')[1]}` } })).status).toBe(401);
    expect((await http(a, 'GET', '/assets/app.js', { headers: { cookie: cb } })).status).toBe(401);
  });
});

describe('6. the token from BAND_TOKEN or --token-file, never needed on the command line (node bin/bandctl.cjs serve)', () => {
  let dir: string;
  let db: string;
  let env: NodeJS.ProcessEnv;
  const children = new Set<ChildProcess>();

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
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  function serve(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; line: string; stderr: () => string }> {
    const child = spawn(process.execPath, [BANDCTL, 'serve', '--db', db, '--prices', 'static', '--port', '0', ...args], {
      cwd: REPO,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`serve printed nothing in 30 s: ${err}`)), 30_000);
      createInterface({ input: child.stdout! }).once('line', (line) => {
        clearTimeout(t);
        resolve({ child, line, stderr: () => err });
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
  }

  function stop(child: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  }

  function refused(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    return spawnSync(process.execPath, [BANDCTL, 'serve', '--db', db, '--port', '0', ...args], { cwd: REPO, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 30_000 });
  }

  /** What `ps` shows of a process: its command line (Linux). */
  function cmdline(pid: number): string | null {
    const f = `/proc/${pid}/cmdline`;
    return existsSync(f) ? readFileSync(f, 'utf8').split('\0').join(' ') : null;
  }

  async function works(line: string, token: string): Promise<void> {
    const m = /^Console: http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+)$/.exec(line);
    expect(m, line).not.toBeNull();
    expect(m![2]).toBe(token);
    const url = `http://127.0.0.1:${m![1]}/api/app:status`;
    expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-band-token': token }, body: '' })).status).toBe(200);
  }

  it('BAND_TOKEN: served with it, no warning, and the token is nowhere on the command line', async () => {
    const token = 'env-token-ABCDEFGH012345';
    const { child, line, stderr } = await serve([], { BAND_TOKEN: token });
    try {
      await works(line, token);
      const cl = cmdline(child.pid!);
      if (cl !== null) {
        expect(cl).toContain('serve');
        expect(cl).not.toContain(token);
      }
      await until(() => stderr().includes('Ctrl+C'));
      expect(stderr()).not.toMatch(/warning/i);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('--token-file (mode 600): served with the file\'s token, which wins over BAND_TOKEN; not on the command line', async () => {
    const token = 'file-token-ABCDEFGH0123456789';
    const file = join(dir, 'token');
    writeFileSync(file, `${token}\n`);
    chmodSync(file, 0o600);
    const { child, line, stderr } = await serve(['--token-file', file], { BAND_TOKEN: 'env-token-that-loses-0000' });
    try {
      await works(line, token);
      const cl = cmdline(child.pid!);
      if (cl !== null) expect(cl).not.toContain(token);
      await until(() => stderr().includes('Ctrl+C'));
      expect(stderr()).not.toMatch(/warning/i);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('refuses a token file others can read or change, a missing or bad one, a bad BAND_TOKEN, and both flags: exit 2, one line', () => {
    const good = 'file-token-ABCDEFGH0123456789';
    const open = join(dir, 'token-644');
    writeFileSync(open, good);
    chmodSync(open, 0o644);
    const groupWritable = join(dir, 'token-620');
    writeFileSync(groupWritable, good);
    chmodSync(groupWritable, 0o620);
    const bad = join(dir, 'token-bad');
    writeFileSync(bad, 'short\n');
    chmodSync(bad, 0o600);
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--token-file', join(dir, 'nope')], {}, /--token-file .*nope: no such file/],
      [['--token-file', dir], {}, /not a regular file/],
      [['--token-file', bad], {}, /the token in .*token-bad must be 16-128 characters/],
      [['--token-file', open, '--token', good], {}, /give either --token-file or --token, not both/],
      [[], { BAND_TOKEN: 'bad token!' }, /BAND_TOKEN must be 16-128 characters/],
    ];
    if (process.platform !== 'win32') {
      cases.push([['--token-file', open], {}, /other users can read or change it \(mode 644\); make it private with chmod 600 /]);
      cases.push([['--token-file', groupWritable], {}, /other users can read or change it \(mode 620\)/]);
    }
    for (const [args, extra, re] of cases) {
      const r = refused(args, extra);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });

  it('--token still works, with a one-line warning on stderr that ps shows it', async () => {
    const token = 'flag-token-ABCDEFGH012345';
    const { child, line, stderr } = await serve(['--token', token]);
    try {
      await works(line, token);
      await until(() => stderr().includes('Ctrl+C'));
      const warnings = stderr()
        .split('\n')
        .filter((l) => /warning/i.test(l));
      expect(warnings).toEqual([
        'warning: --token is visible to other users of this machine (ps, /proc/<pid>/cmdline); use --token-file F or the BAND_TOKEN environment variable',
      ]);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('bandctl web takes BAND_TOKEN too', async () => {
    const token = 'web-env-token-ABCDEFGH0123';
    const child = spawn(process.execPath, [BANDCTL, 'web', '--port', '0'], { cwd: REPO, env: { ...env, BAND_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('web printed nothing in 30 s')), 30_000);
        createInterface({ input: child.stdout! }).once('line', (l) => {
          clearTimeout(t);
          resolve(l);
        });
      });
      await works(line, token);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });
});

describe('7. the API: JSON only (415), the channel before the body, long names cut', () => {
  it('a text/plain POST carrying the cookie and no Origin does not approve (415); nor any other non-JSON type', async () => {
    const { h } = await logged();
    const cookie = String((await http(h, 'GET', `/?token=${TOKEN}`)).headers['set-cookie']).split(';')[0];
    const pending = pendingIds();
    expect(pending.length).toBeGreaterThan(1);
    const before = { pending, audit: auditCount() };
    const body = JSON.stringify({ ids: [pending[0]] });
    const types: (string | undefined)[] = [
      'text/plain',
      'text/plain;charset=UTF-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      undefined,
      '',
      'application/jsonx',
      'application/json-seq',
      'text/json',
      'application/*',
      `application/${'j'.repeat(5_000)}`,
    ];
    for (const type of types) {
      const headers: OutgoingHttpHeaders = { cookie };
      if (type !== undefined) headers['content-type'] = type;
      const r = await http(h, 'POST', '/api/intents:approve', { body, headers });
      expect(r.status, String(type).slice(0, 40)).toBe(415);
      const err = JSON.parse(r.body).error as { code: string; message: string };
      expect(err.code).toBe('VALIDATION');
      expect(err.message).toMatch(/^intents:approve: send the input as Content-Type: application\/json \(got /);
      expect(err.message.length).toBeLessThan(200);
    }
    // the token in the header does not excuse the type either
    expect((await http(h, 'POST', '/api/engine:halt', { body: JSON.stringify({ reason: 'x' }), headers: { 'x-band-token': TOKEN, 'content-type': 'text/plain' } })).status).toBe(415);
    expect({ pending: pendingIds(), audit: auditCount() }).toEqual(before);
    // JSON with the cookie works, with or without parameters, in any case
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON ; charset=UTF-8']) {
      expect((await http(h, 'POST', '/api/app:status', { body: '', headers: { cookie, 'content-type': type } })).status, type).toBe(200);
    }
    const ok = await http(h, 'POST', '/api/intents:approve', { body, headers: { cookie, 'content-type': 'application/json' } });
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, data: [{ id: pending[0], ok: true }] });
    expect(isJsonContentType('application/json')).toBe(true);
    for (const t of [undefined, 'text/plain', 'application/jsonp', 'json']) expect(isJsonContentType(t)).toBe(false);
  });

  it('an unknown channel is answered at once, before its (huge) body is read, its name cut; then the connection closes', async () => {
    const { h, logs } = await logged();
    const name = `nope${'x'.repeat(5_000)}`;
    // 100 MB announced, not one byte of it sent: the answer cannot have waited for the body
    const head = (path: string, type = 'application/json') =>
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nX-Band-Token: ${TOKEN}\r\nContent-Type: ${type}\r\nContent-Length: 100000000\r\n\r\n`;
    const r = await raw(h.port, head(`/api/${name}`));
    expect(r.status).toBe(404);
    expect(r.ms).toBeLessThan(2_000);
    expect(r.head).toMatch(/\r\nConnection: close\r\n/i);
    const err = JSON.parse(r.body).error as { code: string; message: string };
    expect(err).toEqual({ code: 'UNKNOWN_CHANNEL', message: `unknown channel '${name.slice(0, 64)}… (${name.length} characters)'` });
    expect(r.body.length).toBeLessThan(300);
    // the same for a known channel with the wrong type (415), and a name that is not even valid percent-encoding
    const typed = await raw(h.port, head('/api/intents:approve', 'text/plain'));
    expect(typed.status).toBe(415);
    const badPct = await raw(h.port, head(`/api/%E0%A4%A${'y'.repeat(3_000)}`));
    expect(badPct.status).toBe(404);
    expect(JSON.parse(badPct.body).error.message).toMatch(/^unknown channel '%E0%A4%Ay+… \(3008 characters\)' \(bad percent-encoding\)$/);
    expect(badPct.body.length).toBeLessThan(300);
    // with a real (1 MiB) body, too: answered, nothing read into a service, nothing logged
    const big = await http(h, 'POST', `/api/${name}`, { body: 'z'.repeat(1024 * 1024), headers: JSON_HEADERS }).catch((e: Error) => e);
    if (!(big instanceof Error)) expect(big.status).toBe(404);
    expect(logs).toEqual([]);
    // and the host still answers
    expect((await http(h, 'POST', '/api/app:status', { body: '', headers: JSON_HEADERS })).status).toBe(200);
  });
});

describe('8. internal error text only in the log', () => {
  it('the client gets "internal error (ref R)"; the log has the text and the stack under the same R', async () => {
    const handlers = createHandlers(fx.services);
    const broken: HandlerMap = {
      ...handlers,
      'engine:halt': () => {
        throw new Error('database is locked (/home/trader/.config/band-console/band.db)');
      },
      'engine:cycles': () => {
        throw 'a thrown string with /secret/path';
      },
    };
    const { h, logs } = await logged({ handlers: broken });
    const halt = await http(h, 'POST', '/api/engine:halt', { body: JSON.stringify({ reason: 'x' }), headers: JSON_HEADERS });
    expect(halt.status).toBe(500);
    const err = JSON.parse(halt.body).error as { code: string; message: string };
    expect(err.code).toBe('INTERNAL');
    const m = /^engine:halt failed: internal error \(ref ([0-9a-f]{8})\); the details are in the host's log$/.exec(err.message);
    expect(m, err.message).not.toBeNull();
    expect(halt.body).not.toMatch(/database is locked|\/home|band\.db|at /);
    const line = logs.find((l) => l.includes(`ref=${m![1]}`));
    expect(line).toBeDefined();
    expect(line).toContain('database is locked');
    expect(line).toMatch(/\n\s+at /); // the stack, in the log only

    const cycles = await http(h, 'POST', '/api/engine:cycles', { body: '{}', headers: JSON_HEADERS });
    expect(cycles.status).toBe(500);
    expect(cycles.body).not.toContain('secret');
    const ref = /ref ([0-9a-f]{8})/.exec(cycles.body)![1];
    expect(logs.find((l) => l.includes(`ref=${ref}`))).toContain('/secret/path');
    expect(new Set([m![1], ref]).size).toBe(2);
  });

  it('a missing page: the client is not told the path, the log is', async () => {
    const { h, logs } = await logged({ rendererDir: join(fx.dir, 'no-renderer-here') });
    const r = await http(h, 'GET', `/?token=${TOKEN}`);
    expect(r.status).toBe(500);
    expect(r.body).not.toContain('no-renderer-here');
    const ref = /\(ref ([0-9a-f]{8})\)/.exec(r.body)![1];
    expect(logs.find((l) => l.includes(`ref=${ref}`))).toContain('no-renderer-here');
  });
});
