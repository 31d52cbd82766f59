// A redis-server of our own for the fault tests and the soak (issue 14): a random loopback port, AOF on (fsync at
// every write, so a kill -9 loses nothing Redis acknowledged), no RDB snapshots. It can be killed (SIGKILL),
// restarted on the same port and data directory (the AOF brings the data back), or restarted wiped (a Redis that
// lost its data). No vitest here: soak/ uses it too.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { Redis } from 'ioredis';
import { tempDir } from '../support/tmp';

/** The redis-server binary on PATH, or null (the fault tests are skipped, with this reason). */
export function redisServerBinary(): string | null {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8', env: serviceEnv() });
  return r.status === 0 ? 'redis-server' : null;
}

export const REDIS_SERVER_MISSING = 'redis-server is not installed (apt-get install redis-server): the Redis fault tests need their own server';

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** One PING over a raw socket: '+PONG', '-LOADING ...', or null when nothing accepts the connection. */
function ping(port: number): Promise<string | null> {
  return new Promise((res) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (v: string | null) => {
      clearTimeout(t);
      sock.destroy();
      res(v);
    };
    const t = setTimeout(() => done(null), 1000);
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (b) => {
      buf += b.toString();
      if (buf.includes('\r\n')) done(buf.split('\r\n')[0]);
    });
    sock.on('error', () => done(null));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export class RedisServer {
  port = 0;
  readonly dir: string;
  private proc: ChildProcess | null = null;
  private output = '';
  /** How many times the server was started (restarts included). */
  starts = 0;

  constructor(private readonly opts: { appendfsync?: 'always' | 'everysec' } = {}) {
    this.dir = tempDir('band-redis-').dir;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** Starts the server (a new random port the first time, the same port after) and waits until it answers PONG. */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.proc) throw new Error('redis-server already running');
    const fixed = this.port !== 0;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!fixed) this.port = await freePort();
      const p = spawn(
        'redis-server',
        [
          '--port', String(this.port),
          '--bind', '127.0.0.1',
          '--appendonly', 'yes',
          '--appendfsync', this.opts.appendfsync ?? 'always',
          '--dir', this.dir,
          '--save', '',
          '--daemonize', 'no',
          '--loglevel', 'warning',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: serviceEnv() },
      );
      live.add(p);
      this.output = '';
      p.stdout!.on('data', (b: Buffer) => (this.output = (this.output + b.toString()).slice(-4000)));
      p.stderr!.on('data', (b: Buffer) => (this.output = (this.output + b.toString()).slice(-4000)));
      let exited = false;
      p.once('exit', () => {
        exited = true;
        live.delete(p);
        if (this.proc === p) this.proc = null;
      });
      this.proc = p;
      const t0 = performance.now();
      while (performance.now() - t0 < timeoutMs) {
        if (exited) break;
        if ((await ping(this.port)) === '+PONG') {
          this.starts++;
          return;
        }
        await sleep(50);
      }
      if (!exited) {
        await this.kill();
        throw new Error(`redis-server on port ${this.port} did not answer within ${timeoutMs} ms: ${this.output}`);
      }
      this.proc = null;
      // a port taken meanwhile: pick another (only before the first start)
      if (fixed || !/Address already in use|bind/i.test(this.output)) {
        throw new Error(`redis-server exited at start: ${this.output.trim()}`);
      }
    }
    throw new Error(`redis-server: no free port after 5 attempts: ${this.output.trim()}`);
  }

  /** kill -9: no shutdown, no final fsync (with appendfsync always, every acknowledged write is on disk). */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    const gone = new Promise<void>((res) => (p.exitCode !== null || p.signalCode !== null ? res() : p.once('exit', () => res())));
    p.kill('SIGKILL');
    await gone;
    this.proc = null;
  }

  /** Kill -9, then start again on the same port: on the same data (AOF), or wiped (Redis lost its data). */
  async restart(opts: { wipe?: boolean } = {}): Promise<void> {
    await this.kill();
    if (opts.wipe) {
      rmSync(this.dir, { recursive: true, force: true });
      mkdirSync(this.dir, { recursive: true }); // same path, empty
    }
    await this.start();
  }

  /** A client for the test (commands fail after a few retries instead of waiting for ever). */
  client(): Redis {
    return new Redis(this.url, { protocol: 2, maxRetriesPerRequest: 3, retryStrategy: (n) => Math.min(50 * n, 500) });
  }

  /** Kills the server and removes its data directory. */
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The environment of the Redis server a test starts: an outside service, like the shared one on 6379, so a faked
 * wall clock (libfaketime's LD_PRELOAD, used to run the suite at another instant) does not reach it — under it
 * redis-server stops answering at all.
 */
function serviceEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k === 'LD_PRELOAD' || k.startsWith('FAKETIME')) delete env[k];
  return env;
}
