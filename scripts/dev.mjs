// npm run dev: the console in a browser, with hot reload of the renderer.
//   1. The browser host on the demo database (`bandctl web --port 0`: <app data>/band.db, created with the demo book
//      if missing) on a free loopback port, with a fresh token: the API (/api/<channel>) and the push stream
//      (/api/events).
//   2. Vite's dev server for src/renderer, from electron.vite.config.ts's renderer config (React Fast Refresh, the
//      CSP with a fresh nonce per load), proxying /api to that host.
//   3. Prints the URL to open (the dev server's, with the token). Ctrl+C stops both.
// Options: --port P (the dev server's port; 5173 by default, the next free one if taken).
// The desktop window always loads the built renderer (app://): its renderer is developed here, in the browser.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => console.log(`npm run dev: ${line}`);
const fail = (line) => {
  console.error(`npm run dev: ${line}`);
  process.exit(1);
};

const { values } = parseArgs({ options: { port: { type: 'string', default: '5173' } } });
const devPort = Number(values.port);
if (!Number.isInteger(devPort) || devPort < 0 || devPort > 65535) fail(`--port must be a port number, got '${values.port}'`);

// 1. The host. It checks that a renderer is there to serve: the last build's, else the sources (its own page is not
// the one to open while developing: the dev server's is).
const token = randomBytes(24).toString('base64url');
const built = join(ROOT, 'out', 'renderer');
const rendererDir = process.env.BAND_RENDERER_DIR || (existsSync(join(built, 'index.html')) ? built : join(ROOT, 'src', 'renderer'));
const host = spawn(process.execPath, [join(ROOT, 'bin', 'bandctl.cjs'), 'web', '--port', '0'], {
  cwd: ROOT,
  env: { ...process.env, BAND_TOKEN: token, BAND_RENDERER_DIR: rendererDir },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stopping = false;
host.stderr.on('data', (b) => process.stderr.write(prefixed(b)));
host.on('exit', (code, signal) => {
  if (stopping) return;
  fail(`the host (bandctl web) exited (${signal ?? `code ${code}`}) before the dev server stopped`);
});

function prefixed(buf) {
  return buf
    .toString()
    .split('\n')
    .map((l) => (l ? `[host] ${l}` : l))
    .join('\n');
}

const hostUrl = await new Promise((resolve) => {
  let out = '';
  const onData = (b) => {
    out += b.toString();
    const m = /Console: (http:\/\/\S+)/.exec(out);
    if (!m) return;
    // found: the host's later output is not kept (the stream keeps flowing, so the host never blocks on a full pipe)
    host.stdout.off('data', onData);
    resolve(new URL(m[1]));
  };
  host.stdout.on('data', onData);
});
say(`browser host on ${hostUrl.origin} (the demo database)`);

// 2. The dev server, from the renderer's own config (electron.vite.config.ts), with /api proxied to the host.
process.env.BAND_DEV_API = hostUrl.origin;
const { resolveConfig } = await import('electron-vite');
const { createServer } = await import('vite');
const resolved = await resolveConfig({ root: ROOT, configFile: join(ROOT, 'electron.vite.config.ts') }, 'serve', 'development');
const renderer = resolved.config?.renderer;
if (!renderer) fail('electron.vite.config.ts has no renderer config');
const server = await createServer({
  ...renderer,
  configFile: false,
  server: { ...renderer.server, host: '127.0.0.1', port: devPort, strictPort: false },
});
await server.listen();
const address = server.httpServer?.address();
const port = typeof address === 'object' && address ? address.port : devPort;

// 3. Where to go.
const url = `http://127.0.0.1:${port}/?token=${token}`;
say(`renderer dev server with hot reload (Vite, HMR on ws://127.0.0.1:${port}/)`);
console.log(`\n  Console (dev): ${url}\n`);
say('edit src/renderer: the page updates in place; changes to src/main need a restart (Ctrl+C, npm run dev)');

/** Both down: the host closes its database cleanly (given up to 10 s) while the dev server closes. */
async function stop() {
  if (stopping) return;
  stopping = true;
  const hostGone = new Promise((done) => {
    if (host.exitCode !== null || host.signalCode !== null) done();
    else host.once('exit', done);
  });
  host.kill('SIGTERM');
  await Promise.all([server.close(), Promise.race([hostGone, new Promise((done) => setTimeout(done, 10_000))])]);
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
