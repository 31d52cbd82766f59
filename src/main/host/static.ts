// The renderer's built files (out/renderer) under the host's root: the page gets a fresh nonce in its CSP and its
// markup on every load, the assets the page's CSP; nothing outside the folder is served.
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { HOST_CSP, hostCsp, withNonce } from '../../shared/csp';
import { safeDecode } from './guards';
import { firstLine, newRef, sendText } from './respond';

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

/**
 * Answers GET `path` from `root` (an absolute folder). `cookie`: the session cookie to set with the answer (the page
 * was opened with ?token), or null.
 */
export async function serveStatic(
  res: ServerResponse,
  root: string,
  path: string,
  cookie: { name: string; value: string } | null,
  log: (line: string) => void,
): Promise<void> {
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
    if (cookie) headers['Set-Cookie'] = `${cookie.name}=${cookie.value}; HttpOnly; SameSite=Strict; Path=/`;
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
