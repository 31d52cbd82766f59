import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, formatConfigError, loadConfigText } from '../../src/main/services/config/load';
import { ConfigWatcher } from '../../src/main/services/config/watcher';
import { bandctl } from '../support/bandctl';
import { tempDir } from '../support/tmp';
import { SHIPPED_CONFIG } from '../support/config';

const DEFAULT_FILE = SHIPPED_CONFIG;

function errorsOf(yaml: string): string[] {
  const r = loadConfigText(yaml);
  if (r.ok) throw new Error('expected errors, got a valid config');
  return r.errors.map(formatConfigError);
}

const ltBand = (body: string) => `buckets:\n  LT:\n    band_drift:\n${body}`;

describe('risk_rules.yaml validation (docs/spec.md §3)', () => {
  it('the shipped default file is valid and equals the built-in defaults', () => {
    const r = loadConfigText(readFileSync(DEFAULT_FILE, 'utf8'));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.config).toEqual(defaultConfig());
  });

  it('an empty file takes every default of the spec', () => {
    const r = loadConfigText('');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.config;
    expect(c.account).toEqual({ equity: 10_000_000, timezone: 'America/New_York', holidays: [], market_open: '09:30', market_close: '16:00', open_dates: [], early_closes: {} });
    expect(c.global.hard_cap_gross_pct).toBe(130);
    expect(c.engine.cycle_seconds).toBe(60);
    expect(c.buckets.LT.band_drift).toEqual({
      enabled: true,
      long_pct_range: [60, 70],
      short_pct_range: [30, 40],
      tolerance_days: 2,
      corrective_intent_size_pct: 0.02,
      use_limit_orders: true,
      prefer_positive_pnl: true,
      limit_offset_bps: 5,
      max_intents_per_cycle: 3,
      max_open_intents: 5,
      acceptable_loss_pct: 0,
      lot_size: 1,
      priority: 1,
    });
    expect(c.reports).toEqual({ eod_time: '16:15', output_dir: null });
  });

  it('a partial file keeps the keys it sets and defaults the rest', () => {
    const r = loadConfigText(ltBand('      tolerance_days: 4\n      long_pct_range: [55, 75]\n'));
    expect(r.ok && r.config.buckets.LT.band_drift.tolerance_days).toBe(4);
    expect(r.ok && r.config.buckets.LT.band_drift.long_pct_range).toEqual([55, 75]);
    expect(r.ok && r.config.buckets.LT.band_drift.max_open_intents).toBe(5);
  });

  it('min >= max names the path and the line', () => {
    expect(errorsOf(ltBand('      enabled: true\n      long_pct_range: [70.0, 60.0]\n'))).toEqual([
      'buckets.LT.band_drift.long_pct_range (line 5): min must be < max',
    ]);
    expect(errorsOf(ltBand('      short_pct_range: [30, 30]\n'))).toEqual([
      'buckets.LT.band_drift.short_pct_range (line 4): min must be < max',
    ]);
  });

  it('a range outside 0-100 is an error', () => {
    expect(errorsOf(ltBand('      long_pct_range: [60, 120]\n'))).toEqual([
      'buckets.LT.band_drift.long_pct_range[1] (line 4): must be within 0-100',
    ]);
    expect(errorsOf(ltBand('      short_pct_range: [-5, 40]\n'))[0]).toMatch(/short_pct_range\[0\] \(line 4\): must be within 0-100/);
    expect(errorsOf(ltBand('      long_pct_range: [60]\n'))[0]).toMatch(/long_pct_range \(line 4\)/);
  });

  it('a size outside (0, 0.25] is an error', () => {
    for (const v of ['0', '0.3', '-0.01']) {
      expect(errorsOf(ltBand(`      corrective_intent_size_pct: ${v}\n`))).toEqual([
        'buckets.LT.band_drift.corrective_intent_size_pct (line 4): must be in (0, 0.25]',
      ]);
    }
    expect(loadConfigText(ltBand('      corrective_intent_size_pct: 0.25\n')).ok).toBe(true);
  });

  it('a negative or fractional tolerance is an error', () => {
    expect(errorsOf(ltBand('      tolerance_days: -1\n'))).toEqual([
      'buckets.LT.band_drift.tolerance_days (line 4): must not be negative',
    ]);
    expect(errorsOf(ltBand('      tolerance_days: 1.5\n'))[0]).toMatch(/tolerance_days \(line 4\): must be a whole number/);
    expect(loadConfigText(ltBand('      tolerance_days: 0\n')).ok).toBe(true);
  });

  it('an unknown key (a typo) is an error at its own line, at any depth', () => {
    expect(errorsOf(ltBand('      enabled: true\n      tolerence_days: 3\n'))).toEqual([
      'buckets.LT.band_drift.tolerence_days (line 5): unknown key',
    ]);
    expect(errorsOf('account:\n  equity: 5\nglobl:\n  hard_cap_gross_pct: 120\n')).toEqual(['globl (line 3): unknown key']);
    expect(errorsOf('buckets:\n  XX: {}\n')).toEqual(['buckets.XX (line 2): unknown key']);
  });

  it('a wrong type is an error that says what was expected', () => {
    expect(errorsOf('account:\n  equity: lots\n')).toEqual(['account.equity (line 2): expected number, got string']);
    expect(errorsOf(ltBand('      enabled: "yes"\n'))).toEqual([
      'buckets.LT.band_drift.enabled (line 4): expected boolean, got string',
    ]);
    expect(errorsOf('global: 5\n')[0]).toMatch(/^global \(line 1\): expected object/);
  });

  it('other rules: equity > 0, time zone, holidays, cap, eod time, priority, lot size', () => {
    expect(errorsOf('account:\n  equity: 0\n')).toEqual(['account.equity (line 2): must be > 0']);
    expect(errorsOf('account:\n  timezone: Mars/Olympus\n')).toEqual(['account.timezone (line 2): unknown IANA time zone']);
    expect(errorsOf('account:\n  holidays: [2024-02-30]\n')[0]).toMatch(/account.holidays\[0\] \(line 2\): not a calendar date/);
    expect(errorsOf('global:\n  hard_cap_gross_pct: -1\n')).toEqual(['global.hard_cap_gross_pct (line 2): must be > 0']);
    expect(errorsOf('reports:\n  eod_time: "25:00"\n')).toEqual(['reports.eod_time (line 2): must be HH:MM (24-hour)']);
    expect(errorsOf(ltBand('      priority: 11\n'))).toEqual(['buckets.LT.band_drift.priority (line 4): must be within 1-10']);
    expect(errorsOf(ltBand('      lot_size: 0\n'))).toEqual(['buckets.LT.band_drift.lot_size (line 4): must be at least 1']);
    expect(errorsOf(ltBand('      max_open_intents: 2.5\n'))[0]).toMatch(/max_open_intents \(line 4\): must be a whole number/);
  });

  it('every error is reported, in line order', () => {
    const errs = errorsOf(ltBand('      long_pct_range: [70, 60]\n      tolerance_days: -2\n      bogus: 1\n'));
    expect(errs.map((e) => e.match(/line (\d+)/)?.[1])).toEqual(['4', '5', '6']);
  });

  it('YAML syntax errors and duplicate keys name the line', () => {
    expect(errorsOf('account:\n  equity: [1, 2\n')[0]).toMatch(/\(line \d+\): YAML syntax error/);
    expect(errorsOf('account:\n  equity: 1\n  equity: 2\n')[0]).toMatch(/line 3\): YAML syntax error/);
  });
});

describe('ConfigWatcher', () => {
  it('applies a valid edit, suspends on a bad one until it is fixed', () => {
    const file = join(tempDir().dir, 'risk_rules.yaml');
    writeFileSync(file, ltBand('      tolerance_days: 2\n'));
    const w = new ConfigWatcher(file);
    expect(w.current().valid).toBe(true);
    expect(w.current().config?.buckets.LT.band_drift.tolerance_days).toBe(2);

    writeFileSync(file, ltBand('      tolerance_days: 3\n      max_intents_per_cycle: 4\n'));
    expect(w.current().config?.buckets.LT.band_drift.tolerance_days).toBe(3);

    writeFileSync(file, ltBand('      tolerance_days: 3\n      long_pct_range: [80, 70]\n'));
    const bad = w.current();
    expect(bad.valid).toBe(false);
    expect(bad.messages).toEqual(['buckets.LT.band_drift.long_pct_range (line 5): min must be < max']);
    expect(bad.config?.buckets.LT.band_drift.tolerance_days).toBe(3); // the last valid one, for display only

    writeFileSync(file, ltBand('      tolerance_days: 1\n'));
    const fixed = w.current();
    expect(fixed.valid).toBe(true);
    expect(fixed.messages).toEqual([]);
    expect(fixed.config?.buckets.LT.band_drift.tolerance_days).toBe(1);
  });

  it('a missing file is an invalid config with a clear message', () => {
    const w = new ConfigWatcher(join(tempDir().dir, 'nope.yaml'));
    expect(w.current().valid).toBe(false);
    expect(w.current().messages[0]).toMatch(/cannot read config \(ENOENT\)/);
  });
});

describe('bandctl check-config', () => {
  it('prints the effective config with defaults as JSON', () => {
    const { dir } = tempDir();
    const file = join(dir, 'r.yaml');
    writeFileSync(file, 'engine:\n  cycle_seconds: 30\n');
    const r = bandctl(['check-config', file]);
    expect(r.code).toBe(0);
    const cfg = JSON.parse(r.stdout);
    expect(cfg.engine.cycle_seconds).toBe(30);
    expect(cfg.global.hard_cap_gross_pct).toBe(130);
  });

  it('exits 2 with the path and line of a typo on stderr', () => {
    const file = join(tempDir().dir, 'typo.yaml');
    writeFileSync(file, ltBand('      tolerance_days: 2\n      max_intents_per_cylce: 3\n'));
    const r = bandctl(['check-config', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('buckets.LT.band_drift.max_intents_per_cylce (line 5): unknown key\n');
  });
});
