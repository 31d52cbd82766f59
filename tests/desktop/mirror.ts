// A loopback download mirror for the desktop launch path: it serves what Electron's own installer
// (node_modules/electron/install.js, i.e. @electron/get) and better-sqlite3's prebuild-install fetch, so `npm start`
// and `npm run dist` are tested end to end with no network. The Electron zip holds a fake `electron` executable: a
// Node script that records how it was launched, and that also carries Electron's fuse wire so the fuse flipper of
// the packaging step has something real to flip.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';
import yazl from 'yazl';

export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's fuse wire as it ships (@electron/fuses' order): RunAsNode on, cookie encryption off, NODE_OPTIONS on,
 * inspect on, asar integrity off, only-from-asar off, V8 snapshot off, file protocol privileges on. */
const SHIPPED_FUSES = '10110001';

/**
 * The fake Electron: records argv, cwd and the environment it was started with into $BAND_FAKE_ELECTRON_RECORD
 * and exits with $BAND_FAKE_ELECTRON_EXIT (0 by default). The fuse wire sits in a trailing comment, so the script
 * stays valid JavaScript after the fuses are flipped.
 */
function fakeElectronScript(): Buffer {
  const js = [
    '#!/usr/bin/env node',
    "const fs = require('node:fs');",
    'const out = process.env.BAND_FAKE_ELECTRON_RECORD;',
    'if (out) fs.writeFileSync(out, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), env: process.env }));',
    "console.log('fake electron started');",
    'process.exit(Number(process.env.BAND_FAKE_ELECTRON_EXIT || 0));',
    '',
  ].join('\n');
  const wire = Buffer.concat([Buffer.from(`// ${FUSE_SENTINEL}`), Buffer.from([1, SHIPPED_FUSES.length]), Buffer.from(SHIPPED_FUSES), Buffer.from('\n')]);
  return Buffer.concat([Buffer.from(js), wire]);
}

/** A zip laid out like Electron's release zip for Linux: the executable at the top, plus `version`. */
export function electronZip(version: string, executable = fakeElectronScript()): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const mtime = new Date('2026-01-01T00:00:00Z');
  zip.addBuffer(executable, 'electron', { mode: 0o100755, mtime });
  zip.addBuffer(Buffer.from(`v${version}`), 'version', { mode: 0o100644, mtime });
  zip.addBuffer(Buffer.from('fake Electron for tests\n'), 'LICENSE', { mode: 0o100644, mtime });
  zip.end();
  return collect(zip.outputStream);
}

/** A prebuild-install tarball: build/Release/<file> inside a .tar.gz. */
export function prebuildTarball(file: string, content: Buffer): Promise<Buffer> {
  const pack = tarStream.pack();
  pack.entry({ name: `build/Release/${file}`, mode: 0o644, mtime: new Date('2026-01-01T00:00:00Z') }, content);
  pack.finalize();
  return collect(pack.pipe(createGzip()));
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The SHASUMS256.txt line format of Electron's releases: `<hex> *<file>`. */
export function shasums(files: Record<string, Buffer>): Buffer {
  return Buffer.from(
    Object.entries(files)
      .map(([name, b]) => `${sha256(b)} *${name}\n`)
      .join(''),
  );
}

export interface Mirror {
  url: string;
  port: number;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves `files` (URL path → bytes) on 127.0.0.1; anything else is a 404. */
export async function startMirror(files: Record<string, Buffer>): Promise<Mirror> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const body = files[path];
    if (!body) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    requests,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** A port that nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => ok(Buffer.concat(chunks)));
    stream.on('error', fail);
  });
}
