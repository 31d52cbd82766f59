// The browser host (SPEC §11): the same renderer and the same contract over HTTP + Server-Sent Events, on the
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
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockList, isIP, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { isChannel, PUSH_EVENTS, validateInput, type IpcResult, type PushEvent } from '../../shared/contract';
import { dispatch, fail, type CallContext, type HandlerMap } from '../api/dispatch';
import type { EventHub } from '../api/events';
import { API_CSP, HOST_CSP, hostCsp, withNonce } from '../../shared/csp';
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
  /** Per-token bucket on the state-changing channels; APPROVAL_RATE_LIMIT when omitted. */
  rateLimit?: RateLimit;
  /** The rate limiter's clock (ms); Date.now when omitted. Tests inject one instead of sleeping. */
  now?: () => number;
  /** Largest request body accepted (bytes); MAX_BODY_BYTES when omitted. */
  maxBodyBytes?: number;
  /** Caps and timeouts; HOST_LIMITS for whatever is omitted. */
  limits?: Partial<HostLimits>;
}

/** The server's caps and timeouts (startHost's `limits` overrides any of them; tests shorten the timeouts). */
export interface HostLimits {
  /** Open push streams (/api/events), all tokens together; one more is answered 503. */
  maxPushStreams: number;
  /** Open push streams per token; one more is answered 429. */
  maxPushStreamsPerToken: number;
  /** Open sockets; Node closes any socket beyond it as soon as it is accepted. */
  maxConnections: number;
  /** Time to receive a request's whole head (request line and headers) from the first byte: 408 and cut. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, head and body: 408 and cut. */
  requestTimeoutMs: number;
  /** A socket with no traffic either way for this long is cut (a push stream's keep-alive keeps it busy). */
  idleTimeoutMs: number;
  /** The keep-alive comment on push streams; must be below idleTimeoutMs. */
  pushKeepAliveMs: number;
}

/**
 * Defaults. Each browser tab holds ONE push stream (and browsers allow only 6 HTTP/1.1 connections per host across all
 * tabs), so 8 per token is more than a trader's browser can open, while 2,000 (the probe) is refused; 32 in total
 * bounds the host whatever the tokens; 64 sockets leave room for 32 streams plus every tab's requests. Timeouts near
 * 10 s: a loopback client sends its request in milliseconds; the keep-alive every 5 s keeps a healthy stream inside
 * the idle timeout twice over.
 */
export const HOST_LIMITS: Readonly<HostLimits> = Object.freeze({
  maxPushStreams: 32,
  maxPushStreamsPerToken: 8,
  maxConnections: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  pushKeepAliveMs: 5_000,
});

/** Seconds a client refused a push stream is told to wait (Retry-After). */
const PUSH_RETRY_AFTER_S = 5;

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

/** The session cookie's name: one per port, so two consoles on one machine do not overwrite each other's. */
export function cookieName(port: number): string {
  return `band_token_${port}`;
}

/** The session cookie's value: derived from the token and the port, so the token itself never sits in a cookie jar
 * (or reaches another service on 127.0.0.1, which receives every 127.0.0.1 cookie), and it is good on one port only. */
export function cookieValue(token: string, port: number): string {
  return createHmac('sha256', token).update(`band-console cookie for port ${port}`, 'utf8').digest('base64url');
}

/** Request bodies above this many bytes are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Names (channels) longer than this are cut in messages. */
export const MAX_NAME_IN_MESSAGE = 64;
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

/** The named cookie's value, or undefined when absent or not valid percent-encoding (a malformed cookie is no
 * cookie: 401, never an exception). */
export function readCookie(raw: string | undefined, name: string): string | undefined {
  if (!raw || raw.length > 8192) return undefined;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    return safeDecode(part.slice(eq + 1).trim()) ?? undefined;
  }
  return undefined;
}

/** `s`, cut to `max` characters with its full length said, for echoing a client's string in a message. */
export function cutForMessage(s: string, max = MAX_NAME_IN_MESSAGE): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
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

/** Unread request bodies up to this size are drained after an early answer (the connection stays usable); a larger
 * or unknown-length one makes the host close the connection after answering instead of reading it. */
const DRAIN_LIMIT = 64 * 1024;

function closeIfBodyPending(res: ServerResponse): void {
  const req = res.req as IncomingMessage | undefined;
  if (!req || req.complete || res.headersSent) return;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (req.headers['transfer-encoding'] !== undefined || !(declared <= DRAIN_LIMIT)) res.setHeader('Connection', 'close');
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  closeIfBodyPending(res);
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
  closeIfBodyPending(res);
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

/** The request target as a URL, or null unless it is origin-form (`/path?query`): absolute-form
 * (`http://a:99999/`), authority-form, asterisk-form and `//host/…` are not for this host. */
export function parseTarget(raw: string | undefined, port: number): URL | null {
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.startsWith('//')) return null;
  try {
    const url = new URL(raw, `http://127.0.0.1:${port}`);
    return url.host === `127.0.0.1:${port}` ? url : null;
  } catch {
    return null;
  }
}

function hostHeaderCount(req: IncomingMessage): number {
  let n = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'host') n++;
  return n;
}

/** True when the Content-Type names JSON (`application/json`, any parameters such as charset). */
export function isJsonContentType(v: string | undefined): boolean {
  return typeof v === 'string' && v.split(';')[0].trim().toLowerCase() === 'application/json';
}

/** A short reference that ties a client's "internal error" to the log line with the details. */
function newRef(): string {
  return randomBytes(4).toString('hex');
}

/** The first line of an error, for the log when no stack is wanted. */
function firstLine(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.split('\n')[0].slice(0, 300);
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
  const tokenKey = `token:${digest(token).toString('hex').slice(0, 16)}`;
  const root = resolve(opts.rendererDir);
  const log = opts.log ?? (() => undefined);
  const maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const limiter = new TokenBuckets(opts.rateLimit ?? APPROVAL_RATE_LIMIT, opts.now ?? Date.now);
  /** Open push streams and the token each was opened with. */
  const sse = new Map<ServerResponse, string>();
  const streamsOf = new Map<string, number>();
  let port = 0;
  let allowedHosts = new Set<string>();
  let cookie = { name: cookieName(0), value: '' };

  const ctx: CallContext = { actor: opts.actor, transport: 'http' };

  const frameOf = (id: string, event: string, payload: unknown) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
  /** A stream whose client stopped reading is dropped once this much is queued for it, not buffered forever. */
  const MAX_STREAM_BACKLOG = 1024 * 1024;
  const push = (res: ServerResponse, text: string) => {
    if (res.writableLength > MAX_STREAM_BACKLOG) res.destroy();
    else res.write(text);
  };
  const unsubscribe = opts.events.subscribe((event, payload, id) => {
    const frame = frameOf(id, event, payload);
    for (const res of sse.keys()) push(res, frame);
  });
  const keepAlive = setInterval(() => {
    for (const res of sse.keys()) push(res, ': keep-alive\n\n');
  }, limits.pushKeepAliveMs);
  keepAlive.unref();

  /** The answer to a request that failed unexpectedly: the client gets a reference, the log the details under it. */
  function internal(res: ServerResponse, where: string, e: unknown, authenticated: boolean): void {
    const ref = newRef();
    // A request without the token never puts a stack trace (or more than one line) in the log.
    log(`host: internal error ref=${ref} in ${where}: ${authenticated ? ((e as Error)?.stack ?? String(e)) : firstLine(e)}`);
    if (!res.headersSent) {
      res.setHeader('Connection', 'close');
      sendJson(res, 500, fail('INTERNAL', `internal error (ref ${ref}); the details are in the host's log`));
    } else res.end();
  }

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
      if (setCookie) headers['Set-Cookie'] = `${cookie.name}=${cookie.value}; HttpOnly; SameSite=Strict; Path=/`;
      res.writeHead(200, headers);
      res.end(body);
    } catch (e) {
      if (rel === 'index.html') {
        // the path stays in the log: the client learns only that the page is missing
        const ref = newRef();
        log(`host: ref=${ref}: the renderer is not built (${root}/index.html: ${firstLine(e)}): run npx electron-vite build`);
        return sendText(res, 500, `the console's page is not built (ref ${ref}); the details are in the host's log`);
      }
      sendText(res, 404, 'not found');
    }
  }

  function openStream(req: IncomingMessage, res: ServerResponse, url: URL, key: string): void {
    if (sse.size >= limits.maxPushStreams) {
      return sendJson(
        res,
        503,
        fail('RATE_LIMITED', `too many push streams open: at most ${limits.maxPushStreams} in all; retry in ${PUSH_RETRY_AFTER_S} s`),
        { 'Retry-After': String(PUSH_RETRY_AFTER_S) },
      );
    }
    const mine = streamsOf.get(key) ?? 0;
    if (mine >= limits.maxPushStreamsPerToken) {
      return sendJson(
        res,
        429,
        fail('RATE_LIMITED', `too many push streams open with this token: at most ${limits.maxPushStreamsPerToken}; close a tab or retry in ${PUSH_RETRY_AFTER_S} s`),
        { 'Retry-After': String(PUSH_RETRY_AFTER_S) },
      );
    }
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
    sse.set(res, key);
    streamsOf.set(key, mine + 1);
    res.on('close', () => {
      if (!sse.delete(res)) return;
      const n = (streamsOf.get(key) ?? 1) - 1;
      if (n > 0) streamsOf.set(key, n);
      else streamsOf.delete(key);
    });
  }

  async function callApi(req: IncomingMessage, res: ServerResponse, rawName: string, key: string): Promise<void> {
    if (req.method !== 'POST') return sendJson(res, 405, fail('VALIDATION', 'use POST with a JSON body'));
    // The channel before anything is read: an unknown name is answered at once, whatever body follows it, and
    // never echoed at length.
    const channel = safeDecode(rawName);
    if (channel === null) return sendJson(res, 404, fail('UNKNOWN_CHANNEL', `unknown channel '${cutForMessage(rawName)}' (bad percent-encoding)`));
    if (!isChannel(channel)) return sendJson(res, 404, fail('UNKNOWN_CHANNEL', `unknown channel '${cutForMessage(channel)}'`));
    // JSON only: a form, text/plain or a body with no type is refused before it is read, so no page can drive the
    // API with a "simple" cross-site request that carries the cookie.
    const type = req.headers['content-type'];
    if (!isJsonContentType(type)) {
      return sendJson(
        res,
        415,
        fail('VALIDATION', `${channel}: send the input as Content-Type: application/json (got ${type === undefined ? 'none' : `'${cutForMessage(type)}'`})`),
      );
    }
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
    // Well-formed calls to a state-changing channel spend a token from the bucket of the token the request carried
    // (not of its source address: every 127.0.0.x is this machine); malformed ones were never going to reach a
    // service (dispatch refuses them with VALIDATION), so they cost no more than a read.
    if (RATE_LIMITED_CHANNELS.has(channel) && validateInput(channel, input).ok) {
      const took = limiter.take(key);
      if (!took.ok) {
        const seconds = Math.max(1, Math.ceil(took.retryAfterMs / 1000));
        const { perSecond, burst } = limiter.limit;
        return sendJson(
          res,
          429,
          fail('RATE_LIMITED', `${channel}: too many requests: at most ${perSecond}/s (bursts of ${burst}) per token; retry in ${seconds} s`),
          { 'Retry-After': String(seconds) },
        );
      }
    }
    let failure: { ref: string; e: unknown } | undefined;
    // The request is in: the services' own time is not the client's idleness.
    req.socket.setTimeout(0);
    const result: IpcResult<unknown> = await dispatch(opts.handlers, channel, input, ctx, {
      onInternalError: (_c, e) => (failure = { ref: newRef(), e }),
    });
    req.socket.setTimeout(limits.idleTimeoutMs);
    if (!result.ok && result.error.code === 'INTERNAL') {
      // The failure's own text (a file path, "database is locked", a stack) stays in the log.
      const ref = failure?.ref ?? newRef();
      const detail = failure ? ((failure.e as Error)?.stack ?? String(failure.e)) : result.error.message;
      log(`api ${channel}: internal error ref=${ref}: ${detail}`);
      return sendJson(res, 500, fail('INTERNAL', `${channel} failed: internal error (ref ${ref}); the details are in the host's log`));
    }
    return sendJson(res, result.ok ? 200 : (STATUS_OF[result.error.code] ?? 500), result);
  }

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
      return openStream(req, res, url, tokenKey);
    }
    if (url.pathname.startsWith('/api/')) return callApi(req, res, url.pathname.slice('/api/'.length), tokenKey);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
    return serveStatic(res, url.pathname === '/index.html' ? '/' : url.pathname, queryToken !== null);
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
      handle(req, res, auth).catch((e: unknown) => internal(res, `${req.method} ${cutForMessage(req.url ?? '')}`, e, auth.ok));
    },
  );
  server.maxConnections = limits.maxConnections;
  server.timeout = limits.idleTimeoutMs;
  let lastDropLog = -Infinity;
  server.on('drop', () => {
    // at most one line a minute, however many sockets are refused
    const t = Date.now();
    if (t - lastDropLog < 60_000) return;
    lastDropLog = t;
    log(`host: ${limits.maxConnections} connections open: refusing more (this line at most once a minute)`);
  });
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
        stopTimers();
        for (const res of sse.keys()) res.end();
        sse.clear();
        streamsOf.clear();
        server.close(() => ok());
        server.closeAllConnections?.();
      }),
  };
}

export type { PushEvent };
