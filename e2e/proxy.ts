// A cuttable link between the browser and the console host, for the reconnect test: an HTTP proxy on another
// loopback port that forwards every request to the host as if the browser had called it directly (the host checks
// the Host and Origin headers). `cut()` drops the push connection (/api/events) and refuses new ones, as a network
// blip would; `restore()` lets the browser's EventSource back in. Headless Chromium's offline emulation
// (context.setOffline) does not end a stream that is already open, and page.route cannot hold a stream: hence this.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Proxy {
  /** The console's URL through the proxy (with the host's token). */
  url: string;
  cut(): void;
  restore(): void;
  /** Points the proxy at another host (a restarted one). */
  retarget(hostUrl: string): void;
  /** The Last-Event-ID header of each push connection the browser opened (null when it sent none). */
  readonly eventConnects: (string | null)[];
  close(): Promise<void>;
}

export async function startProxy(hostUrl: string): Promise<Proxy> {
  let target = new URL(hostUrl);
  let cut = false;
  const streams = new Set<{ req: IncomingMessage; res: ServerResponse; upstream: ReturnType<typeof request> }>();
  const eventConnects: (string | null)[] = [];
  const server: Server = createServer((req, res) => {
    const isEvents = (req.url ?? '').startsWith('/api/events');
    if (isEvents) {
      if (cut) {
        req.socket.destroy();
        return;
      }
      const last = req.headers['last-event-id'];
      eventConnects.push(typeof last === 'string' ? last : null);
    }
    const headers = { ...req.headers, host: target.host };
    if (headers.origin) headers.origin = target.origin;
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
    if (isEvents) {
      const entry = { req, res, upstream };
      streams.add(entry);
      res.on('close', () => streams.delete(entry));
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const proxied = new URL(hostUrl);
  proxied.port = String(port);
  return {
    url: proxied.toString(),
    eventConnects,
    cut() {
      cut = true;
      for (const s of streams) {
        s.upstream.destroy();
        s.req.socket.destroy();
      }
      streams.clear();
    },
    restore() {
      cut = false;
    },
    retarget(url: string) {
      target = new URL(url);
    },
    close() {
      for (const s of streams) s.req.socket.destroy();
      server.closeAllConnections();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}
