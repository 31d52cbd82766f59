// Checks of a request (and of the address the host binds) that hold no state: loopback addresses, the Host headers a
// request may carry (DNS rebinding), the request target's form, the JSON content type, and the cutting of a client's
// strings echoed in messages.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** Names (channels) longer than this are cut in messages. */
const MAX_NAME_IN_MESSAGE = 64;
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4'); // also matches IPv4-mapped ::ffff:127.x.x.x
LOOPBACK.addAddress('::1', 'ipv6');

/** `s`, cut to `max` characters with its full length said, for echoing a client's string in a message. */
export function cutForMessage(s: string, max = MAX_NAME_IN_MESSAGE): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
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

export function safeDecode(s: string): string | null {
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

export function hostHeaderCount(req: IncomingMessage): number {
  let n = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'host') n++;
  return n;
}

/** True when the Content-Type names JSON (`application/json`, any parameters such as charset). */
export function isJsonContentType(v: string | undefined): boolean {
  return typeof v === 'string' && v.split(';')[0].trim().toLowerCase() === 'application/json';
}
