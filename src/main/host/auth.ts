// The host's token: compared in constant time, and the session cookie that stands for it (named after the port, its
// value derived from the token and the port, never the token itself).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { safeDecode } from './guards';

/** The session cookie's name: one per port, so two consoles on one machine do not overwrite each other's. */
export function cookieName(port: number): string {
  return `band_token_${port}`;
}

/** The session cookie's value: derived from the token and the port, so the token itself never sits in a cookie jar
 * (or reaches another service on 127.0.0.1, which receives every 127.0.0.1 cookie), and it is good on one port only. */
export function cookieValue(token: string, port: number): string {
  return createHmac('sha256', token).update(`band-console cookie for port ${port}`, 'utf8').digest('base64url');
}

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

/** Which token a request carried, as the key of its rate bucket and its push-stream count (never the token itself). */
export function tokenKey(token: string): string {
  return `token:${digest(token).toString('hex').slice(0, 16)}`;
}
