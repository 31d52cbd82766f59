// One plain HTTP request to a host under test (node:http, no agent, no retries): the status, the headers and the
// body as text. A body is sent with its Content-Length, or in 256 KiB writes without one (`chunked`).
import { request, type OutgoingHttpHeaders } from 'node:http';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpOptions {
  body?: string | Buffer;
  headers?: OutgoingHttpHeaders;
  localAddress?: string;
  chunked?: boolean;
}

export function httpRequest(to: { host?: string; port: number }, method: string, path: string, opts: HttpOptions = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { ...opts.headers };
    if (opts.body !== undefined && !opts.chunked) headers['content-length'] = Buffer.byteLength(opts.body);
    const req = request({ host: to.host ?? '127.0.0.1', port: to.port, method, path, headers, localAddress: opts.localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) {
      if (opts.chunked) {
        const b = Buffer.from(opts.body);
        for (let i = 0; i < b.length; i += 256 * 1024) req.write(b.subarray(i, i + 256 * 1024));
      } else req.write(opts.body);
    }
    req.end();
  });
}
