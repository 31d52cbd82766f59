// The streams: section of risk_rules.yaml (issue 14): dead-letter stream, attempt cap and MAXLEN, validated strictly
// like the rest, with the shipped file's values equal to the defaults.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, formatConfigError, loadConfigText } from '../../src/main/services/config/load';
import { deadStreamOf } from '../../src/main/services/streams/service';
import { ROOT } from '../support/paths';

function errorsOf(yaml: string): string[] {
  const r = loadConfigText(yaml);
  if (r.ok) throw new Error('expected errors, got a valid config');
  return r.errors.map(formatConfigError);
}

describe('streams: config', () => {
  it('defaults: dead letters to <orders_stream>.dead after 5 attempts, MAXLEN ~ 100000 on what is published', () => {
    const c = defaultConfig().streams;
    expect(c).toMatchObject({ dead_stream: null, max_attempts: 5, publish_maxlen: 100_000 });
    expect(deadStreamOf(c)).toBe('ev.orders.dead');
    expect(deadStreamOf({ ...c, orders_stream: 'desk.fills' })).toBe('desk.fills.dead');
    expect(deadStreamOf({ ...c, dead_stream: 'ops.dead' })).toBe('ops.dead');
    const shipped = loadConfigText(readFileSync(join(ROOT, 'resources/config/risk_rules.yaml'), 'utf8'));
    expect(shipped.ok && shipped.config.streams).toEqual(c);
  });

  it('takes valid values', () => {
    const r = loadConfigText('streams:\n  dead_stream: ops.dead\n  max_attempts: 1\n  publish_maxlen: 100\n');
    expect(r.ok && r.config.streams).toMatchObject({ dead_stream: 'ops.dead', max_attempts: 1, publish_maxlen: 100 });
  });

  it('refuses bad values with the path and the line', () => {
    expect(errorsOf('streams:\n  max_attempts: 0\n')).toEqual(['streams.max_attempts (line 2): must be within 1-100']);
    expect(errorsOf('streams:\n  max_attempts: 2.5\n')).toEqual(['streams.max_attempts (line 2): must be a whole number']);
    expect(errorsOf('streams:\n  publish_maxlen: 10\n')).toEqual(['streams.publish_maxlen (line 2): must be within 100-1000000000']);
    expect(errorsOf('streams:\n  publish_maxlen: "lots"\n')).toEqual(['streams.publish_maxlen (line 2): expected number, got string']);
    expect(errorsOf('streams:\n  dead_stream: ""\n')[0]).toMatch(/^streams.dead_stream \(line 2\)/);
    expect(errorsOf('streams:\n  dead_stream: ev.orders\n')).toEqual(['streams.dead_stream (line 2): must differ from orders_stream (ev.orders)']);
    expect(errorsOf('streams:\n  intents_stream: x.dead\n  orders_stream: x\n')).toEqual([
      'streams.dead_stream (line 2): must differ from intents_stream (x.dead)', // <orders_stream>.dead by default
    ]);
    expect(errorsOf('streams:\n  max_atempts: 3\n')).toEqual(['streams.max_atempts (line 2): unknown key']);
  });
});
