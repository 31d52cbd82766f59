// The browser host (docs/spec.md §11): the same renderer and the same contract over HTTP + Server-Sent Events, on the
// loopback interface only, guarded by a random token (as notebook servers do).
//   GET  /?token=T            the renderer (sets an HttpOnly, SameSite=Strict cookie so its assets load)
//   GET  /assets/…            the renderer's built files
//   POST /api/<channel>       JSON body = the channel's input; answers the IpcResult as JSON
//   GET  /api/events          push events as SSE (`event: <name>` / `data: <json>`)
// Every request must carry the token (query `token`, header `x-band-token`, or the cookie); compared in constant time.
// The cookie is named after the port (band_token_<port>: two consoles on one machine keep their own) and carries a
// value derived from the token and the port, never the token itself (cookies are not port-scoped: every service on
// 127.0.0.1 receives them).
// Defences, in the order handle() applies them to each request:
//   0. by the server itself: at most maxConnections sockets (more are closed at once); a client that has not sent
//      its whole request head within headersTimeoutMs (and its body within requestTimeoutMs) is answered 408 and
//      cut; a socket silent for idleTimeoutMs is cut (push streams get a keep-alive comment well within it)
//   1. exactly one Host header (→ 400), naming this listener (DNS rebinding) → 403
//   2. request target must be origin-form (`/path?query`)              → 400 (never 500, never a stack in the log)
//   3. token on EVERY route (page, assets, API, SSE, unknown paths)   → 401 (a malformed cookie is no token)
//   4. no CORS: OPTIONS (preflight) refused, a foreign Origin or a cross-site Sec-Fetch-Site refused, and no
//      Access-Control-* header is ever sent                            → 403
//   5. push streams capped in total (→ 503) and per token (→ 429), with Retry-After
//   6. API: POST only (405), a known channel before the body is read (404, the name cut short), Content-Type
//      application/json (415), body over 1 MiB (413 VALIDATION), bad JSON (400 VALIDATION)
//   7. well-formed calls to the state-changing channels rate-limited per token, whatever the source address
//      (ratelimit.ts)                                                  → 429 RATE_LIMITED + Retry-After
//   then dispatch: the contract's schema before any service runs. Security headers on every response. An
//   unexpected failure reaches the client as "internal error (ref R)"; its text and stack go to the log under R.
//
// This file is the router and the server; the parts: guards.ts (loopback, Host headers, request target, content
// type), auth.ts (token and cookie), limits.ts (caps and timeouts), respond.ts (headers, answers, internal errors),
// push.ts (push streams), api.ts (the API route), static.ts (the page and its assets), ratelimit.ts.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fail, type HandlerMap } from '../api/dispatch';
import type { EventHub } from '../api/events';
import { callApi, type ApiRoute } from './api';
import { cookieName, cookieValue, readCookie, tokenKey, tokenMatches } from './auth';
import { allowedHostHeaders, cutForMessage, hostHeaderCount, isLoopback, nonLoopbackRefusal, parseTarget } from './guards';
import { HOST_LIMITS, MAX_BODY_BYTES, type HostLimits } from './limits';
import { PushStreams } from './push';
import { APPROVAL_RATE_LIMIT, TokenBuckets, type RateLimit } from './ratelimit';
import { internalError, securityHeaders, sendJson, sendText } from './respond';
import { serveStatic } from './static';
import { timerNow } from '../services/clock';

export { cookieValue, readCookie, tokenMatches } from './auth';
export { allowedHostHeaders, isJsonContentType, isLoopback, nonLoopbackRefusal, parseTarget } from './guards';
export { HOST_LIMITS, MAX_BODY_BYTES } from './limits';

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
  /** Per-token bucket on the state-changing channels; APPROVAL_RATE_LIMIT when omitted. */
  rateLimit?: RateLimit;
  /** The rate limiter's clock (ms); Date.now when omitted. Tests inject one instead of sleeping. */
  now?: () => number;
  /** Largest request body accepted (bytes); MAX_BODY_BYTES when omitted. */
  maxBodyBytes?: number;
  /** Caps and timeouts; HOST_LIMITS for whatever is omitted. */
  limits?: Partial<HostLimits>;
}

export interface Host {
  url: string;
  /** The address actually bound. */
  host: string;
  port: number;
  token: string;
  /** The session cookie's name: band_token_<port>. */
  cookieName: string;
  /** The limits in force. */
  limits: Readonly<HostLimits>;
  server: Server;
  close(): Promise<void>;
}

export async function startHost(opts: HostOptions): Promise<Host> {
  const bind = opts.host === undefined || opts.host === 'localhost' ? '127.0.0.1' : opts.host;
  if (isIP(bind) === 0) throw new Error(`host must be an IP address such as 127.0.0.1 (or localhost), got '${bind}'`);
  if (!isLoopback(bind) && !opts.allowNonLoopback) throw new Error(nonLoopbackRefusal(bind));
  const limits: Readonly<HostLimits> = Object.freeze({ ...HOST_LIMITS, ...opts.limits });
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`host limit ${k} must be a whole number >= 1, got ${String(v)}`);
  }
  if (limits.pushKeepAliveMs >= limits.idleTimeoutMs) {
    throw new Error(`pushKeepAliveMs (${limits.pushKeepAliveMs}) must be below idleTimeoutMs (${limits.idleTimeoutMs}), or the idle timeout would cut healthy push streams`);
  }
  const token = opts.token ?? randomBytes(32).toString('hex');
  // Which token a request carried: the key of its rate bucket and its push-stream count. This host has one token,
  // so every holder shares one bucket, whatever source address (127.0.0.x) it connects from.
  const key = tokenKey(token);
  const root = resolve(opts.rendererDir);
  const log = opts.log ?? (() => undefined);
  let port = 0;
  let allowedHosts = new Set<string>();
  let cookie = { name: cookieName(0), value: '' };

  const api: ApiRoute = {
    handlers: opts.handlers,
    ctx: { actor: opts.actor, transport: 'http' },
    limiter: new TokenBuckets(opts.rateLimit ?? APPROVAL_RATE_LIMIT, opts.now ?? Date.now),
    maxBody: opts.maxBodyBytes ?? MAX_BODY_BYTES,
    idleTimeoutMs: limits.idleTimeoutMs,
    log,
  };
  const pushStreams = new PushStreams(opts.events, limits);

  async function handle(req: IncomingMessage, res: ServerResponse, auth: { ok: boolean }): Promise<void> {
    securityHeaders(res);
    // Exactly one Host header (RFC 9112 §3.2: more than one is a 400; Node would keep the first).
    if (hostHeaderCount(req) > 1) return sendText(res, 400, 'more than one Host header');
    // DNS-rebinding guard: the Host header must name this listener.
    if (!allowedHosts.has(String(req.headers.host ?? ''))) return sendText(res, 403, 'forbidden host');
    // Only `/path?query`: anything else (absolute-form, a bad port, `*`) is a malformed request for this host.
    const url = parseTarget(req.url, port);
    if (url === null) return sendText(res, 400, 'bad request target: expected /path');
    const queryToken = url.searchParams.get('token');
    const given = req.headers['x-band-token'];
    const header = typeof given === 'string' ? given : undefined;
    // The token, before anything else, on every path and every method. The cookie holds a value derived from it.
    auth.ok = tokenMatches(token, header ?? queryToken) || (header === undefined && queryToken === null && tokenMatches(cookie.value, readCookie(req.headers.cookie, cookie.name)));
    if (!auth.ok) {
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
      return pushStreams.open(req, res, url, key);
    }
    if (url.pathname.startsWith('/api/')) return callApi(api, req, res, url.pathname.slice('/api/'.length), key);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
    return serveStatic(res, root, url.pathname === '/index.html' ? '/' : url.pathname, queryToken !== null ? cookie : null, log);
  }

  // Headers and whole requests are timed by Node's connection checker, which by default looks only every 30 s
  // (why a slow client used to hold its socket for ~37 s): here it looks several times per timeout.
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (req, res) => {
      const auth = { ok: false };
      handle(req, res, auth).catch((e: unknown) => internalError(res, log, `${req.method} ${cutForMessage(req.url ?? '')}`, e, auth.ok));
    },
  );
  server.maxConnections = limits.maxConnections;
  server.timeout = limits.idleTimeoutMs;
  let lastDropLog = -Infinity;
  server.on('drop', () => {
    // at most one line a minute, however many sockets are refused
    const t = timerNow();
    if (t - lastDropLog < 60_000) return;
    lastDropLog = t;
    log(`host: ${limits.maxConnections} connections open: refusing more (this line at most once a minute)`);
  });
  await new Promise<void>((ok, ko) => {
    server.once('error', ko);
    server.listen(opts.port ?? 0, bind, () => {
      server.off('error', ko);
      ok();
    });
  }).catch((e: unknown) => {
    pushStreams.stop();
    throw e;
  });
  const bound = server.address() as AddressInfo;
  // Belt and braces: the socket actually bound must be on loopback unless explicitly allowed.
  if (!isLoopback(bound.address) && !opts.allowNonLoopback) {
    pushStreams.stop();
    await new Promise<void>((ok) => server.close(() => ok()));
    throw new Error(nonLoopbackRefusal(bound.address));
  }
  port = bound.port;
  allowedHosts = allowedHostHeaders(bind, port);
  cookie = { name: cookieName(port), value: cookieValue(token, port) };
  const shownHost = bind.includes(':') ? `[${bind}]` : bind;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    host: bound.address,
    port,
    token,
    cookieName: cookie.name,
    limits,
    server,
    close: () =>
      new Promise<void>((ok) => {
        pushStreams.stop();
        pushStreams.endAll();
        server.close(() => ok());
        server.closeAllConnections?.();
      }),
  };
}
