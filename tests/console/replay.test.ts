// Never silently stale (issue 12): every push event has an id; a browser that lost its SSE connection and comes
// back with Last-Event-ID gets the events it missed, in order, or one app:resync when they cannot be given.
import { request, type IncomingMessage } from 'node:http';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/main/api/create';
import { EventHub } from '../../src/main/api/events';
import { loadDemoBook } from '../../src/main/services/demo';
import { openDb } from '../../src/main/services/store/db';
import { createHandlers } from '../../src/main/api/handlers';
import { startHost, type Host } from '../../src/main/host/server';
import { correctingFixture, type Fixture } from './helpers';
import { bandctl } from '../support/bandctl';
import { SHIPPED_CONFIG } from '../support/config';
import { tempDir } from '../support/tmp';

let fx: Fixture;
let host: Host;
const TOKEN = 'replay-token-0123456789abcdef';

interface Frame {
  id?: string;
  event?: string;
  data?: string;
}

/** Opens /api/events (optionally with Last-Event-ID) and collects frames until `until` holds. */
function sse(lastEventId: string | undefined, until: (frames: Frame[]) => boolean, ms = 5_000): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'x-band-token': TOKEN, accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const frames: Frame[] = [];
    let buf = '';
    const req = request({ host: '127.0.0.1', port: host.port, path: '/api/events', headers }, (res: IncomingMessage) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          const f: Frame = {};
          for (const line of block.split('\n')) {
            const m = /^(id|event|data): ?(.*)$/.exec(line);
            if (m) f[m[1] as keyof Frame] = m[2];
          }
          if (f.event) frames.push(f);
        }
        if (until(frames)) {
          req.destroy();
          resolve(frames);
        }
      });
    });
    req.on('error', (e) => (frames.length && until(frames) ? resolve(frames) : reject(e)));
    setTimeout(() => {
      req.destroy();
      resolve(frames);
    }, ms);
    req.end();
  });
}

beforeAll(async () => {
  fx = await correctingFixture();
  const rendererDir = join(fx.dir, 'renderer');
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Band Console</title>');
  host = await startHost({ handlers: createHandlers(fx.services), events: fx.services.events, rendererDir, port: 0, token: TOKEN, actor: 'tester' });
});
afterAll(async () => {
  await host?.close();
  await fx.cleanup();
});

describe('push events carry ids and are replayed after a reconnect', () => {
  it('a client back with Last-Event-ID gets exactly what it missed, in order', async () => {
    const hub = fx.services.events;
    // connected: sees one event, and its id
    const firstRun = sse(undefined, (f) => f.some((x) => x.event === 'intents:changed'));
    await new Promise((r) => setTimeout(r, 100));
    hub.emit('intents:changed', { ids: ['i-before'] });
    const seen = await firstRun;
    const last = seen.find((x) => x.event === 'intents:changed')!;
    expect(last.id).toMatch(/^[0-9a-f]+-\d+$/);
    // the link is down: three events happen
    hub.emit('intents:new', { ids: ['i-1', 'i-2'], count: 2 });
    hub.emit('intents:changed', { ids: ['i-1'] });
    hub.emit('fills', { count: 1, date: '2024-01-18' });
    // back: the three, in order, then live again
    const replay = await sse(last.id, (f) => f.length >= 3);
    expect(replay.map((f) => [f.event, JSON.parse(f.data!)])).toEqual([
      ['intents:new', { ids: ['i-1', 'i-2'], count: 2 }],
      ['intents:changed', { ids: ['i-1'] }],
      ['fills', { count: 1, date: '2024-01-18' }],
    ]);
    const ids = replay.map((f) => Number(f.id!.split('-')[1]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids[0]).toBe(Number(last.id!.split('-')[1]) + 1);
  });

  it('an id of another run of the host, or too old, gets one app:resync', async () => {
    const other = await sse('00000000-5', (f) => f.length >= 1, 2_000);
    expect(other.map((f) => f.event)).toEqual(['app:resync']);
    const garbage = await sse('x'.repeat(10), (f) => f.length >= 1, 2_000);
    expect(garbage.map((f) => f.event)).toEqual(['app:resync']);
  });

  it('the hub keeps a bounded window of events', () => {
    const hub = new EventHub(3);
    hub.emit('fills', { count: 1, date: 'a' });
    const start = hub.lastId;
    for (let i = 0; i < 3; i++) hub.emit('fills', { count: i, date: 'b' });
    expect(hub.since(start)!.length).toBe(3);
    hub.emit('fills', { count: 9, date: 'c' });
    expect(hub.since(start)).toBeNull(); // the first one after `start` was dropped
    expect(hub.since(hub.lastId)).toEqual([]);
  });
});

describe('intents proposed by another process', () => {
  it('reach the console as intents:new, once', async () => {
    const { dir } = tempDir('band-other-');
    const dbFile = join(dir, 'band.db');
    const cfg = join(dir, 'risk_rules.yaml');
    copyFileSync(SHIPPED_CONFIG, cfg);
    const db = openDb(dbFile);
    loadDemoBook(db, Date.parse('2024-01-16T14:00:00Z'), { history: false });
    db.close();
    const s = await createServices(dbFile, cfg, { cycles: false, prices: 'static', watchMs: 50, ledgerWorkerFile: null, backups: false, integrityCheck: false });
    const seen: { ids: string[]; count: number }[] = [];
    s.events.subscribe((event, payload) => {
      if (event === 'intents:new') seen.push(payload as { ids: string[]; count: number });
    });
    try {
      for (const d of ['2024-01-16', '2024-01-17']) expect(bandctl(['evaluate', '--db', dbFile, '--config', cfg, '--as-of', `${d}T10:00:00-05:00`]).code).toBe(0);
      const third = JSON.parse(bandctl(['evaluate', '--db', dbFile, '--config', cfg, '--as-of', '2024-01-18T10:00:00-05:00', '--json']).stdout) as { intents: { id: string }[] };
      expect(third.intents.length).toBe(3);
      await until(() => seen.length > 0, 5_000);
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toEqual([{ ids: third.intents.map((i) => i.id), count: 3 }]);
    } finally {
      await s.close();
    }
  });
});

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
