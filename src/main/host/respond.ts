// How the host answers: security headers on every response, JSON and text answers (closing the connection rather
// than reading a large unread body), and the "internal error (ref R)" whose details go only to the log.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_CSP } from '../../shared/csp';
import { fail } from '../api/dispatch';

/** Headers on every response; the page and its assets replace the CSP with the page's own (serveStatic). */
export function securityHeaders(res: ServerResponse): void {
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

export function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
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

export function sendText(res: ServerResponse, status: number, text: string): void {
  closeIfBodyPending(res);
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${text}\n`);
}

/** A short reference that ties a client's "internal error" to the log line with the details. */
export function newRef(): string {
  return randomBytes(4).toString('hex');
}

/** The first line of an error, for the log when no stack is wanted. */
export function firstLine(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.split('\n')[0].slice(0, 300);
}

/** The answer to a request that failed unexpectedly: the client gets a reference, the log the details under it. */
export function internalError(
  res: ServerResponse,
  log: (line: string) => void,
  where: string,
  e: unknown,
  authenticated: boolean,
): void {
  const ref = newRef();
  // A request without the token never puts a stack trace (or more than one line) in the log.
  log(`host: internal error ref=${ref} in ${where}: ${authenticated ? ((e as Error)?.stack ?? String(e)) : firstLine(e)}`);
  if (!res.headersSent) {
    res.setHeader('Connection', 'close');
    sendJson(res, 500, fail('INTERNAL', `internal error (ref ${ref}); the details are in the host's log`));
  } else res.end();
}
