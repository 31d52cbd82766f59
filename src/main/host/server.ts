// The browser host (SPEC §11): the same renderer and the same contract over HTTP + Server-Sent Events, on the
// loopback interface only, guarded by a random token (as notebook servers do).
//   GET  /?token=T            the renderer (sets an HttpOnly, SameSite=Strict cookie so its assets load)
//   GET  /assets/…            the renderer's built files
//   POST /api/<channel>       JSON body = the channel's input; answers the IpcResult as JSON
//   GET  /api/events          push events as SSE (`event: <name>` / `data: <json>`)
// Every request must carry the token (query `token`, header `x-band-token`, or the cookie); compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { PUSH_EVENTS, type IpcResult, type PushEvent } from '../../shared/contract';
import { dispatch, fail, MAX_PAYLOAD_CHARS, type CallContext, type HandlerMap } from '../api/dispatch';
import type { EventHub } from '../api/events';
import { HOST_CSP, hostCsp, NONCE_PLACEHOLDER, withNonce } from './csp';

export interface HostOptions {
  handlers: HandlerMap;
  events: EventHub;
  /** Folder with the built renderer (out/renderer). */
  rendererDir: string;
  /** 0 = pick a free port. */
  port?: number;
  /** Random (32 bytes, hex) when omitted. */
  token?: string;
  /** Loopback only; anything else is refused unless allowNonLoopback is set (it would expose order approval). */
  host?: string;
  allowNonLoopback?: boolean;
  actor: string;
  log?: (line: string) => void;
}

export interface Host {
  url: string;
  port: number;
  token: string;
  server: Server;
  close(): Promise<void>;
}

const COOKIE = 'band_token';
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};
export { hostCsp, HOST_CSP, NONCE_PLACEHOLDER, withNonce };

const STATUS_OF: Record<string, number> = {
  VALIDATION: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  UNKNOWN_CHANNEL: 404,
  CONFLICT: 409,
  INTERNAL: 500,
};

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time token comparison (the lengths leak nothing: both sides are hashed first). */
export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 512) return false;
  return timingSafeEqual(digest(expected), digest(given));
}

function cookieToken(req: IncomingMessage): string | undefined {
  const raw = req.headers.cookie;
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', HOST_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${text}\n`);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      if (!over) chunks.push(c);
    });
    // An oversized body is drained (not stored) so the client still reads the refusal.
    req.on('end', () => (over ? reject(new Error(`payload larger than ${limit} bytes`)) : resolveBody(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

export async function startHost(opts: HostOptions): Promise<Host> {
  const bind = opts.host ?? '127.0.0.1';
  if (!isLoopback(bind) && !opts.allowNonLoopback) {
    throw new Error(
      `refusing to listen on ${bind}: the console approves orders, so it listens on 127.0.0.1 only ` +
        '(anyone who can reach the port and guess or sniff the token could trade)',
    );
  }
  const token = opts.token ?? randomBytes(32).toString('hex');
  const root = resolve(opts.rendererDir);
  const log = opts.log ?? (() => undefined);
  const sse = new Set<ServerResponse>();
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${bind}:${port}`]);

  const ctx: CallContext = { actor: opts.actor, transport: 'http' };

  const unsubscribe = opts.events.subscribe((event, payload) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const res of sse) res.write(frame);
  });
  const keepAlive = setInterval(() => {
    for (const res of sse) res.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  async function serveStatic(res: ServerResponse, path: string, setCookie: boolean): Promise<void> {
    const rel = path === '/' ? 'index.html' : decodeURIComponent(path.slice(1));
    const file = normalize(join(root, rel));
    if (file !== root && !file.startsWith(root + sep)) return sendText(res, 404, 'not found');
    try {
      const st = await stat(file);
      if (!st.isFile()) return sendText(res, 404, 'not found');
      let body = await readFile(file);
      if (rel === 'index.html') {
        const nonce = randomBytes(16).toString('base64');
        body = Buffer.from(withNonce(body.toString('utf8'), nonce), 'utf8');
        res.setHeader('Content-Security-Policy', hostCsp(nonce));
      }
      const headers: Record<string, string | number> = {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Content-Length': body.length,
        'Cache-Control': rel === 'index.html' ? 'no-store' : 'private, max-age=3600',
      };
      if (setCookie) {
        headers['Set-Cookie'] = `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
      }
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      if (rel === 'index.html') {
        return sendText(res, 500, `the renderer is not built (${root}/index.html is missing): run npx electron-vite build`);
      }
      sendText(res, 404, 'not found');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res);
    // DNS-rebinding guard: the Host header must name this loopback listener.
    if (!allowedHosts().has(String(req.headers.host ?? ''))) return sendText(res, 403, 'forbidden host');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const queryToken = url.searchParams.get('token');
    const given = req.headers['x-band-token'];
    const presented = (typeof given === 'string' ? given : undefined) ?? queryToken ?? cookieToken(req);
    if (!tokenMatches(token, presented)) {
      if (url.pathname.startsWith('/api/')) return sendJson(res, 401, fail('FORBIDDEN', 'missing or wrong token'));
      return sendText(res, 401, 'missing or wrong token: open the URL bandctl serve printed');
    }
    // A browser page from another origin must not drive the API, even with the cookie.
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts().has(origin.replace(/^http:\/\//, ''))) {
      return sendJson(res, 403, fail('FORBIDDEN', 'cross-origin request refused'));
    }

    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') return sendJson(res, 405, fail('VALIDATION', 'use GET for /api/events'));
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.write(`retry: 2000\n: events ${Object.keys(PUSH_EVENTS).join(' ')}\n\n`);
      sse.add(res);
      req.on('close', () => sse.delete(res));
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return sendJson(res, 405, fail('VALIDATION', 'use POST with a JSON body'));
      const channel = decodeURIComponent(url.pathname.slice('/api/'.length));
      let text: string;
      try {
        text = await readBody(req, MAX_PAYLOAD_CHARS * 4);
      } catch (e) {
        return sendJson(res, 413, fail('VALIDATION', `${channel}: ${(e as Error).message}`));
      }
      let input: unknown = undefined;
      if (text.trim() !== '') {
        try {
          input = JSON.parse(text);
        } catch {
          return sendJson(res, 400, fail('VALIDATION', `${channel}: body is not valid JSON`));
        }
      }
      const result: IpcResult<unknown> = await dispatch(opts.handlers, channel, input, ctx, {
        onInternalError: (c, e) => log(`api ${c}: ${(e as Error)?.stack ?? String(e)}`),
      });
      return sendJson(res, result.ok ? 200 : (STATUS_OF[result.error.code] ?? 500), result);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
    return serveStatic(res, url.pathname === '/index.html' ? '/' : url.pathname, queryToken !== null);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      log(`host: ${(e as Error)?.stack ?? String(e)}`);
      if (!res.headersSent) sendJson(res, 500, fail('INTERNAL', 'internal error'));
      else res.end();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((ok, ko) => {
    server.once('error', ko);
    server.listen(opts.port ?? 0, bind, () => {
      server.off('error', ko);
      ok();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = bind.includes(':') ? `[${bind}]` : bind;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    server,
    close: () =>
      new Promise<void>((ok) => {
        clearInterval(keepAlive);
        unsubscribe();
        for (const res of sse) res.end();
        sse.clear();
        server.close(() => ok());
        server.closeAllConnections?.();
      }),
  };
}

export type { PushEvent };
