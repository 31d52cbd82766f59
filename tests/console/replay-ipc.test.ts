// The Policy lab's channels (issue #16) through the one handler map, against a real SQLite file (the demo book,
// CORRECTING): replay:setup gives the live config's text, replay:validate-config checks an edited copy exactly like
// the file (path and line), replay:run refuses bad input before any replay starts, runs A and B on a worker thread
// with progress, never writes to the live book, and replay:cancel stops a long run.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelInput, PushPayload } from '../../src/shared/contract';
import { dispatch } from '../../src/main/api/dispatch';
import { createHandlers } from '../../src/main/api/handlers';
import { correctingFixture, type Fixture } from './helpers';

let fx: Fixture;
let handlers: ReturnType<typeof createHandlers>;
const ctx = { actor: 'tester', transport: 'test' as const };
let live: string;

beforeAll(async () => {
  fx = await correctingFixture();
  handlers = createHandlers(fx.services);
  live = readFileSync(fx.configFile, 'utf8');
});
afterAll(async () => {
  await fx?.cleanup();
});

const call = (channel: string, input?: unknown) => dispatch(handlers, channel, input, ctx);

/** The live config with one line changed (the shipped file says `tolerance_days: 2`). */
function withTolerance(n: number): string {
  const out = live.replace(/tolerance_days: 2\b/, `tolerance_days: ${n}`);
  expect(out).not.toBe(live);
  return out;
}

function progressEvents(): { events: PushPayload<'replay:progress'>[]; off: () => void } {
  const events: PushPayload<'replay:progress'>[] = [];
  const off = fx.services.events.subscribe((event, payload) => {
    if (event === 'replay:progress') events.push(payload as PushPayload<'replay:progress'>);
  });
  return { events, off };
}

/** What a replay must never touch: the live book's intents, cycles and fills. */
function liveBook() {
  const db = fx.services.db;
  return {
    intents: db.prepare('SELECT COUNT(*) FROM intents').pluck().get(),
    cycles: db.prepare('SELECT COUNT(*) FROM engine_cycles').pluck().get(),
    history: db.prepare('SELECT COUNT(*) FROM band_history').pluck().get(),
    fills: db.prepare('SELECT COUNT(*) FROM fills').pluck().get(),
    positions: JSON.stringify(fx.services.positions()),
  };
}

const RUN = { from: '2024-01-16', to: '2024-01-18', configA: null, configB: null } satisfies ChannelInput<'replay:run'>;

describe('replay:setup and replay:validate-config', () => {
  it('setup gives the live config file as it is on disk', async () => {
    const r = await call('replay:setup');
    expect(r).toEqual({ ok: true, data: { config_text: live, config_file: fx.configFile } });
  });

  it('an edited copy is checked like the file: errors name the path and the line', async () => {
    expect(await call('replay:validate-config', { text: live })).toEqual({ ok: true, data: { ok: true } });
    expect(await call('replay:validate-config', { text: withTolerance(1) })).toEqual({ ok: true, data: { ok: true } });

    const lines = live.split('\n');
    const at = lines.findIndex((l) => /tolerance_days:/.test(l)) + 1;
    const neg = await call('replay:validate-config', { text: withTolerance(-1) });
    expect(neg).toEqual({ ok: true, data: { ok: false, errors: [{ path: 'buckets.LT.band_drift.tolerance_days', line: at, message: 'must not be negative' }] } });

    const unknown = await call('replay:validate-config', { text: live.replace('tolerance_days:', 'tolerance_dayz:') });
    expect(unknown.ok && unknown.data).toMatchObject({ ok: false, errors: expect.arrayContaining([{ path: 'buckets.LT.band_drift.tolerance_dayz', line: at, message: 'unknown key' }]) });

    const syntax = await call('replay:validate-config', { text: 'buckets:\n  LT: [1, 2\n' });
    expect(syntax.ok && syntax.data).toMatchObject({ ok: false, errors: [{ path: '(root)', message: expect.stringMatching(/^YAML syntax error/) }] });

    // the book keeps its times in New York: a copy naming another zone is refused, at its line, as the file would be
    const tzLine = lines.findIndex((l) => /^\s+timezone:/.test(l)) + 1;
    const tz = await call('replay:validate-config', { text: live.replace('timezone: America/New_York', 'timezone: Europe/London') });
    expect(tz.ok && tz.data).toMatchObject({ ok: false, errors: [{ path: 'account.timezone', line: tzLine, message: expect.stringContaining('America/New_York') }] });
  });
});

describe('replay:run', () => {
  it('refuses bad input with VALIDATION before any replay starts', async () => {
    const before = liveBook();
    const { events, off } = progressEvents();
    try {
      const cases: [unknown, RegExp][] = [
        [{ ...RUN, extra: 1 }, /^replay:run: input: Unrecognized key/],
        [{ ...RUN, from: '2024-02-30' }, /^replay:run: from: /],
        [{ ...RUN, at: '9:00' }, /^replay:run: at: must be HH:MM/],
        [{ ...RUN, approve: 'some' }, /^replay:run: approve: /],
        [{ ...RUN, from: '2024-01-19', to: '2024-01-18' }, /^replay:run: from 2024-01-19 is after to 2024-01-18$/],
        [{ ...RUN, configB: withTolerance(-1) }, /^replay:run: configB: buckets\.LT\.band_drift\.tolerance_days \(line \d+\): must not be negative$/],
        [{ ...RUN, configA: 'buckets: [' }, /^replay:run: configA: \(root\) \(line \d+\): YAML syntax error/],
        [{ ...RUN, configA: live.replace('timezone: America/New_York', 'timezone: Asia/Tokyo') }, /^replay:run: configA: account\.timezone \(line \d+\): the book keeps its times in America\/New_York/],
      ];
      for (const [input, message] of cases) {
        const r = await call('replay:run', input);
        expect(r, JSON.stringify(input).slice(0, 120)).toMatchObject({ ok: false, error: { code: 'VALIDATION', message: expect.stringMatching(message) } });
      }
      expect(events).toEqual([]);
    } finally {
      off();
    }
    expect(liveBook()).toEqual(before);
  });

  it("the engine's own refusals (ReplayError) come back as VALIDATION with its line", async () => {
    // a period with no trading day: a weekend
    const r = await call('replay:run', { ...RUN, from: '2024-01-20', to: '2024-01-21' });
    expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION', message: expect.stringMatching(/^replay:run: no trading day from 2024-01-20 to 2024-01-21/) } });
    const prices = await call('replay:run', { ...RUN, pricesCsv: 'symbol,price,ts\nZZZZ,1.00,2024-01-16T15:00:00Z\n' });
    expect(prices).toMatchObject({ ok: false, error: { code: 'VALIDATION', message: expect.stringMatching(/^replay:run: /) } });
  });

  it('runs A (the live config) and B (an edited copy) on a worker thread, with progress, and leaves the live book alone', async () => {
    const before = liveBook();
    const { events, off } = progressEvents();
    let r;
    try {
      r = await call('replay:run', { ...RUN, configB: withTolerance(0) });
    } finally {
      off();
    }
    expect(r.ok, JSON.stringify(r).slice(0, 300)).toBe(true);
    if (!r.ok) return;
    const { a, b } = r.data as { a: import('../../src/shared/replay').ReplayResult; b: import('../../src/shared/replay').ReplayResult | null };
    expect(b).not.toBeNull();
    expect(a.config.tolerance_days).toBe(2);
    expect(b!.config.tolerance_days).toBe(0);
    expect(a.days.map((d) => d.date)).toEqual(['2024-01-16', '2024-01-17', '2024-01-18']);
    expect(b!.days.map((d) => d.date)).toEqual(a.days.map((d) => d.date));
    expect(a.totals.trading_days).toBe(3);
    // the demo book starts out of band: with no tolerance B corrects from the first day, A only after two days
    expect(b!.days[0].intents).toBeGreaterThan(0);
    expect(a.days[0].intents).toBe(0);
    expect(b!.totals.intents).toBeGreaterThan(a.totals.intents);
    // progress over both configs: 6 days in all, the last event says so
    expect(events.at(-1)).toEqual({ done: 6, total: 6 });
    expect(events.every((e) => e.total === 6)).toBe(true);
    expect(liveBook()).toEqual(before);

    // without B, b is null; the answer is the same as A's run alone
    const alone = await call('replay:run', RUN);
    expect(alone).toMatchObject({ ok: true, data: { b: null } });
    expect(alone.ok && (alone.data as { a: unknown }).a).toEqual(a);
  });

  it('replay:cancel stops a long run (CONFLICT, canceled), one run at a time, and the next run works', async () => {
    expect(await call('replay:cancel')).toEqual({ ok: true, data: { cancelled: false } });
    const long = { from: '2021-01-04', to: '2023-12-29', configA: null, configB: withTolerance(0) };
    let cancelledAt: PushPayload<'replay:progress'> | null = null;
    const off = fx.services.events.subscribe((event, payload) => {
      if (event !== 'replay:progress' || cancelledAt) return;
      cancelledAt = payload as PushPayload<'replay:progress'>;
      void call('replay:cancel');
    });
    const t0 = performance.now();
    const running = call('replay:run', long);
    // one at a time: a second run while the first one is on its way is refused
    const second = await call('replay:run', RUN);
    expect(second).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringContaining('already running') } });
    const r = await running;
    off();
    expect(cancelledAt).not.toBeNull();
    expect(r).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringMatching(/^replay:run: replay canceled after \d+ of \d+ trading days$/) } });
    const [, done, total] = /after (\d+) of (\d+)/.exec((r as { error: { message: string } }).error.message)!.map(Number);
    expect(total).toBeGreaterThan(700);
    expect(done).toBeLessThan(total);
    expect(performance.now() - t0).toBeLessThan(60_000);
    // the slot is free again
    expect(await call('replay:run', RUN)).toMatchObject({ ok: true });
  }, 120_000);
});
