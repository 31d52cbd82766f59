// Pure parts of the bridge: stream id order, entry decoding (JSON field or flat fields), tick parsing, backoff.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs, redactUrl, validateRedisUrl } from '../../src/main/services/streams/connection';
import { decodeEntry } from '../../src/main/services/streams/entry';
import { compareIds, parseId } from '../../src/main/services/streams/ids';
import { parseTickEntry } from '../../src/main/services/streams/ticks';

describe('stream ids', () => {
  it('compare exactly over the whole unsigned 64-bit range', () => {
    const part = fc.oneof(fc.bigInt({ min: 0n, max: 20n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
    fc.assert(
      fc.property(part, part, part, part, (m1, s1, m2, s2) => {
        const a = `${m1}-${s1}`;
        const b = `${m2}-${s2}`;
        const ref = m1 !== m2 ? (m1 < m2 ? -1 : 1) : s1 !== s2 ? (s1 < s2 ? -1 : 1) : 0;
        expect(compareIds(a, b)).toBe(ref);
        expect(parseId(a)).toEqual({ ms: m1, seq: s1 });
      }),
    );
    expect(() => compareIds('12', '1-0')).toThrow(/not a Redis stream id/);
  });
});

describe('entries', () => {
  it('accepts the event as one JSON field or as flat fields', () => {
    expect(decodeEntry(['event', '{"event_id":"e-1"}'])).toBe('{"event_id":"e-1"}');
    expect(decodeEntry(['json', '{"a":1}', 'producer', 'x'])).toBe('{"a":1}');
    expect(decodeEntry(['producer', 'x', 'payload', '{"a":1}'])).toBe('{"a":1}');
    expect(decodeEntry(['event_id', 'e-2', 'fill_qty', '100', 'intent_id', ''])).toEqual({ event_id: 'e-2', fill_qty: '100' });
    expect(decodeEntry(['k', '1', 'k', '2'])).toEqual({ k: '2' });
    expect(decodeEntry(null)).toMatch(/deleted before it was applied/);
  });

  it('parses ticks and says why a tick is bad', () => {
    expect(parseTickEntry(['symbol', 'AAPL', 'price', '187.42'], 5)).toEqual({
      ok: true,
      row: { symbol: 'AAPL', priceMicro: 187_420_000, ts: 5, source: 'redis' },
    });
    expect(parseTickEntry(['tick', '{"symbol":"BRK.B","price":412.1,"ts":"2024-01-15T14:31:02Z"}'], 5)).toMatchObject({
      ok: true,
      row: { symbol: 'BRK.B', priceMicro: 412_100_000, ts: Date.parse('2024-01-15T14:31:02Z') },
    });
    expect(parseTickEntry(['symbol', 'aapl', 'price', '1'], 0)).toMatchObject({ ok: false, reason: /^symbol:/ });
    expect(parseTickEntry(['symbol', 'AAPL', 'price', '0'], 0)).toMatchObject({ ok: false, reason: /^price:/ });
    expect(parseTickEntry(['symbol', 'AAPL', 'price', '1', 'ts', 'yesterday'], 0)).toMatchObject({ ok: false, reason: /^ts:/ });
    expect(parseTickEntry(['tick', '{oops'], 0)).toEqual({ ok: false, reason: 'tick: not valid JSON' });
  });
});

describe('connection', () => {
  it('backs off exponentially with jitter, capped', () => {
    for (let t = 1; t < 40; t++) {
      const base = Math.min(5000, 100 * 2 ** (t - 1));
      const d = backoffMs(t);
      expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
      expect(d).toBeLessThanOrEqual(Math.ceil(base * 1.2));
    }
  });

  it('checks and redacts URLs', () => {
    expect(validateRedisUrl('redis://127.0.0.1:6379/2')).toBeNull();
    expect(validateRedisUrl('rediss://h:6380')).toBeNull();
    expect(validateRedisUrl('127.0.0.1:6379')).toMatch(/unsupported scheme|not a URL/);
    expect(validateRedisUrl('nope')).toMatch(/not a URL/);
    expect(redactUrl('redis://user:secret@h:6379/0')).toBe('redis://user:***@h:6379/0');
  });
});
