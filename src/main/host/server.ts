// The browser host (SPEC §11): the same renderer and the same contract over HTTP + Server-Sent Events, on the
// loopback interface only, guarded by a random token (as notebook servers do).
//   GET  /?token=T            the renderer (sets an HttpOnly, SameSite=Strict cookie so its assets load)
//   GET  /assets/…            the renderer's built files
//   POST /api/<channel>       JSON body = the channel's input; answers the IpcResult as JSON
//   GET  /api/events          push events as SSE (`event: <name>` / `data: <json>`)
// Every request must carry the token (query `token`, header `x-band-token`, or the cookie); compared in constant time.
// Defences, in the order handle() applies them to each request:
//   1. Host header must name this listener (DNS rebinding)            → 403
//   2. token on EVERY route (page, assets, API, SSE, unknown paths)   → 401
//   3. no CORS: OPTIONS (preflight) refused, a foreign Origin or a cross-site Sec-Fetch-Site refused, and no
//      Access-Control-* header is ever sent                            → 403
//   4. body over 1 MiB                                                 → 413 VALIDATION; bad JSON → 400 VALIDATION
//   5. well-formed calls to the state-changing channels rate-limited per client (ratelimit.ts)
//                                                                      → 429 RATE_LIMITED + Retry-After
//   then dispatch: the contract's schema before any service runs. Security headers on every response.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockList, isIP, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { PUSH_EVENTS, validateInput, type Channel, type IpcResult, type PushEvent } from '../../shared/contract';
import { dispatch, fail, type CallContext, type HandlerMap } from '../api/dispatch';
import type { EventHub } from '../api/events';
import { API_CSP, HOST_CSP, hostCsp, NONCE_PLACEHOLDER, withNonce } from './csp';
import { APPROVAL_RATE_LIMIT, RATE_LIMITED_CHANNELS, TokenBuckets, type RateLimit } from './ratelimit';

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
  /** Per-client token bucket on the state-changing channels; APPROVAL_RATE_LIMIT when omitted. */
  rateLimit?: RateLimit;
  /** The rate limiter's clock (ms); Date.now when omitted. Tests inject one instead of sleeping. */
  now?: () => number;
  /** Largest request body accepted (bytes); MAX_BODY_BYTES when omitted. */
  maxBodyBytes?: number;
}

export interface Host {
  url: string;
  /** The address actually bound. */
  host: string;
  port: number;
  token: string;
  server: Server;
  close(): Promise<void>;
}

const COOKIE = 'band_token';
/** Request bodies above this many bytes are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4'); // also matches IPv4-mapped ::ffff:127.x.x.x
LOOPBACK.addAddress('::1', 'ipv6');
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
  RATE_LIMITED: 429,
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

/** Headers on every response; the page and its assets replace the CSP with the page's own (serveStatic). */
function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', API_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...extra,
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

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      if (!over) chunks.push(c);
      // Drained, not stored, so the client still reads the refusal; past 16x the limit the connection is cut.
      else if (size > limit * 16) {
        req.destroy();
        reject(new BodyTooLarge(`body larger than ${limit} bytes`));
      }
    });
    req.on('end', () => (over ? reject(new BodyTooLarge(`body larger than ${limit} bytes`)) : resolveBody(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** True for 127.0.0.0/8, ::1, ::ffff:127.x.x.x and the name localhost. Anything else, including 0.0.0.0 and ::
 * (every interface), is not loopback. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const v = isIP(host);
  return v !== 0 && LOOPBACK.check(host, v === 6 ? 'ipv6' : 'ipv4');
}

/** Why a non-loopback address is refused (the CLI shows it as its one error line). */
export function nonLoopbackRefusal(host: string): string {
  return (
    `refusing to listen on ${host}: it is not a loopback address, so anyone on the network who can reach the port ` +
    'could open the console and approve orders with a leaked token (shell history, a screen share, a proxy log), ' +
    'and the token and the orders would cross the network unencrypted over plain HTTP; use 127.0.0.1, or pass ' +
    '--allow-remote if you really mean it'
  );
}

/** The Host headers a request may carry (DNS-rebinding guard): loopback names, plus the bound address, plus every
 * local interface address when bound to all interfaces (only possible with allowNonLoopback). Never a DNS name
 * other than localhost. */
export function allowedHostHeaders(bind: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  const add = (a: string) => names.add(a.includes(':') ? `[${a}]` : a);
  if (bind === '0.0.0.0' || bind === '::') {
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) add(i.address);
  } else add(bind);
  return new Set([...names].map((n) => `${n}:${port}`));
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

export async function startHost(opts: HostOptions): Promise<Host> {
  const bind = opts.host === undefined || opts.host === 'localhost' ? '127.0.0.1' : opts.host;
  if (isIP(bind) === 0) throw new Error(`host must be an IP address such as 127.0.0.1 (or localhost), got '${bind}'`);
  if (!isLoopback(bind) && !opts.allowNonLoopback) throw new Error(nonLoopbackRefusal(bind));
  const token = opts.token ?? randomBytes(32).toString('hex');
  const root = resolve(opts.rendererDir);
  const log = opts.log ?? (() => undefined);
  const maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const limiter = new TokenBuckets(opts.rateLimit ?? APPROVAL_RATE_LIMIT, opts.now ?? Date.now);
  const sse = new Set<ServerResponse>();
  let port = 0;
  let allowedHosts = new Set<string>();

  const ctx: CallContext = { actor: opts.actor, transport: 'http' };

  const frameOf = (id: string, event: string, payload: unknown) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
  const unsubscribe = opts.events.subscribe((event, payload, id) => {
    const frame = frameOf(id, event, payload);
    for (const res of sse) res.write(frame);
  });
  const keepAlive = setInterval(() => {
    for (const res of sse) res.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  async function serveStatic(res: ServerResponse, path: string, setCookie: boolean): Promise<void> {
    const rel = path === '/' ? 'index.html' : safeDecode(path.slice(1));
    if (rel === null) return sendText(res, 404, 'not found');
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
      } else res.setHeader('Content-Security-Policy', HOST_CSP);
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
    // DNS-rebinding guard: the Host header must name this listener.
    if (!allowedHosts.has(String(req.headers.host ?? ''))) return sendText(res, 403, 'forbidden host');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const queryToken = url.searchParams.get('token');
    const given = req.headers['x-band-token'];
    const presented = (typeof given === 'string' ? given : undefined) ?? queryToken ?? cookieToken(req);
    // The token, before anything else, on every path and every method.
    if (!tokenMatches(token, presented)) {
      if (url.pathname.startsWith('/api/')) return sendJson(res, 401, fail('FORBIDDEN', 'missing or wrong token'));
      return sendText(res, 401, 'missing or wrong token: open the URL bandctl serve printed');
    }
    // No CORS: a preflight is never answered with Access-Control-* headers, so no other origin may call the API.
    if (req.method === 'OPTIONS') {
      return sendJson(res, 403, fail('FORBIDDEN', 'cross-origin requests are refused: this host serves only its own page'));
    }
    // A browser page from another origin must not drive the host, even with the cookie.
    const origin = req.headers.origin;
    if (origin !== undefined && !(origin.startsWith('http://') && allowedHosts.has(origin.slice('http://'.length)))) {
      return sendJson(res, 403, fail('FORBIDDEN', 'cross-origin request refused'));
    }
    const fetchSite = req.headers['sec-fetch-site'];
    if (url.pathname.startsWith('/api/') && (fetchSite === 'cross-site' || fetchSite === 'same-site')) {
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
      // A browser coming back sends the id of the last event it saw: it gets what it missed, in order, or, when
      // that is gone (another run of the host, too long away), one app:resync to refetch its state.
      // (the header when the browser retries by itself; the query when the page opens a new EventSource)
      const last = req.headers['last-event-id'] ?? url.searchParams.get('lastEventId') ?? undefined;
      if (typeof last === 'string' && last.length <= 64) {
        const missed = opts.events.since(last);
        if (missed) for (const r of missed) res.write(frameOf(r.id, r.event, r.payload));
        else res.write(frameOf(opts.events.lastId, 'app:resync', { reason: 'events missed while the link was down' }));
      } else if (last !== undefined) {
        res.write(frameOf(opts.events.lastId, 'app:resync', { reason: 'unknown last event id' }));
      }
      sse.add(res);
      req.on('close', () => sse.delete(res));
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return sendJson(res, 405, fail('VALIDATION', 'use POST with a JSON body'));
      const channel = safeDecode(url.pathname.slice('/api/'.length));
      if (channel === null) return sendJson(res, 404, fail('UNKNOWN_CHANNEL', 'unknown channel (bad percent-encoding)'));
      let text: string;
      try {
        text = await readBody(req, maxBody);
      } catch (e) {
        if (e instanceof BodyTooLarge) return sendJson(res, 413, fail('VALIDATION', `${channel}: ${e.message}`));
        throw e;
      }
      let input: unknown = undefined;
      if (text.trim() !== '') {
        try {
          input = JSON.parse(text);
        } catch {
          return sendJson(res, 400, fail('VALIDATION', `${channel}: body is not valid JSON`));
        }
      }
      // Well-formed calls to a state-changing channel spend a token; malformed ones were never going to reach a
      // service (dispatch refuses them with VALIDATION), so they cost no more than a read.
      if (RATE_LIMITED_CHANNELS.has(channel as never) && validateInput(channel as Channel, input).ok) {
        const took = limiter.take(req.socket.remoteAddress ?? 'unknown');
        if (!took.ok) {
          const seconds = Math.max(1, Math.ceil(took.retryAfterMs / 1000));
          const { perSecond, burst } = limiter.limit;
          return sendJson(
            res,
            429,
            fail('RATE_LIMITED', `${channel}: too many requests: at most ${perSecond}/s (bursts of ${burst}) per client; retry in ${seconds} s`),
            { 'Retry-After': String(seconds) },
          );
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
  const stopTimers = () => {
    clearInterval(keepAlive);
    unsubscribe();
  };
  await new Promise<void>((ok, ko) => {
    server.once('error', ko);
    server.listen(opts.port ?? 0, bind, () => {
      server.off('error', ko);
      ok();
    });
  }).catch((e: unknown) => {
    stopTimers();
    throw e;
  });
  const bound = server.address() as AddressInfo;
  // Belt and braces: the socket actually bound must be on loopback unless explicitly allowed.
  if (!isLoopback(bound.address) && !opts.allowNonLoopback) {
    stopTimers();
    await new Promise<void>((ok) => server.close(() => ok()));
    throw new Error(nonLoopbackRefusal(bound.address));
  }
  port = bound.port;
  allowedHosts = allowedHostHeaders(bind, port);
  const shownHost = bind.includes(':') ? `[${bind}]` : bind;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    host: bound.address,
    port,
    token,
    server,
    close: () =>
      new Promise<void>((ok) => {
        stopTimers();
        for (const res of sse) res.end();
        sse.clear();
        server.close(() => ok());
        server.closeAllConnections?.();
      }),
  };
}

export type { PushEvent };
