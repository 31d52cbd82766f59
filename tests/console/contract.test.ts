// The contract is complete end to end: every channel has a handler, the preload exposes exactly the contract's
// channels and events, and the Electron registration helper registers every channel and checks the sender.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, PUSH_EVENTS } from '../../src/shared/contract';
import { ALL_CHANNELS, dispatch } from '../../src/main/api/dispatch';
import { createHandlers } from '../../src/main/api/handlers';
import { registerIpc } from '../../src/main/electron/ipc';
import { PRELOAD_CHANNELS, PRELOAD_EVENTS } from '../../src/preload/channels';
import { correctingFixture, type Fixture } from './helpers';

let fx: Fixture;
beforeAll(async () => {
  fx = await correctingFixture();
});
afterAll(async () => {
  await fx.cleanup();
});

describe('contract coverage', () => {
  it('every contract channel has exactly one handler', () => {
    const handlers = createHandlers(fx.services);
    expect(Object.keys(handlers).sort()).toEqual(Object.keys(CHANNELS).sort());
    for (const c of Object.keys(CHANNELS)) expect(typeof handlers[c as keyof typeof handlers]).toBe('function');
  });

  it('the preload exposes exactly the contract channels and push events', () => {
    expect([...PRELOAD_CHANNELS].sort()).toEqual(Object.keys(CHANNELS).sort());
    expect([...PRELOAD_EVENTS].sort()).toEqual(Object.keys(PUSH_EVENTS).sort());
  });

  it('every channel answers a valid call through the dispatcher', async () => {
    const handlers = createHandlers(fx.services);
    const ctx = { actor: 'tester', transport: 'test' as const };
    const valid: Record<string, unknown> = {
      'intents:approve': { ids: ['no-such-intent'] },
      'intents:reject': { ids: ['no-such-intent'], reason: 'test' },
      'intents:cancel': { all: true, reason: 'test' },
      'intents:preview': { ids: [] },
      'bands:history': { range: 'ALL' },
      'ledger:report': { date: '2024-01-18' },
      'reports:export': { date: '2024-01-18', format: 'csv' },
      'replay:validate-config': { text: 'buckets:\n  LT:\n    band_drift:\n      tolerance_days: 1\n' },
      'replay:run': { from: '2024-01-16', to: '2024-01-17', configA: null, configB: null },
    };
    for (const c of ALL_CHANNELS) {
      const r = await dispatch(handlers, c, valid[c], ctx);
      expect(r, c).toMatchObject({ ok: true });
    }
  });

  it('registerIpc registers every channel once and refuses untrusted senders before any service runs', async () => {
    const registered = new Map<string, (event: unknown, input: unknown) => Promise<unknown>>();
    const ipcMain = {
      handle: (c: string, fn: (event: unknown, input: unknown) => Promise<unknown>) => {
        if (registered.has(c)) throw new Error(`twice: ${c}`);
        registered.set(c, fn);
      },
      removeHandler: (c: string) => void registered.delete(c),
    };
    const calls: string[] = [];
    const handlers = createHandlers(fx.services);
    const spied = Object.fromEntries(
      Object.entries(handlers).map(([k, fn]) => [k, (a: never, c: never) => (calls.push(k), (fn as (a: never, c: never) => unknown)(a, c))]),
    ) as typeof handlers;
    const trusted = { senderFrame: { url: 'app://band/index.html' }, trusted: true };
    const stranger = { senderFrame: { url: 'https://evil.example/' }, trusted: false };
    const off = registerIpc({
      ipcMain: ipcMain as never,
      handlers: spied,
      isTrustedSender: (e) => (e as unknown as { trusted: boolean }).trusted,
      context: () => ({ actor: 'tester', transport: 'ipc' }),
    });
    expect([...registered.keys()].sort()).toEqual(Object.keys(CHANNELS).sort());

    const refused = await registered.get('intents:approve')!(stranger, { ids: ['x'] });
    expect(refused).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'intents:approve: sender not allowed' } });
    const invalid = await registered.get('intents:approve')!(trusted, { ids: 'x' });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(calls).toEqual([]);
    const ok = (await registered.get('app:status')!(trusted, undefined)) as { ok: boolean; data: { status: string } };
    expect(ok.ok).toBe(true);
    expect(ok.data.status).toBe('CORRECTING');
    expect(calls).toEqual(['app:status']);
    off();
    expect(registered.size).toBe(0);
  });
});
