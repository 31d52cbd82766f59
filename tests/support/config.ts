// Risk configs for tests: the shipped file, a validated config from a few overrides, and the engine's view of one.
import { join } from 'node:path';
import type { ConfigStateLike } from '../../src/main/services/engine/config';
import { RiskConfigSchema, type RiskConfig } from '../../src/main/services/config/schema';
import { ROOT } from './paths';

/** resources/config/risk_rules.yaml: the config the console ships and seeds new app data with. */
export const SHIPPED_CONFIG = join(ROOT, 'resources', 'config', 'risk_rules.yaml');

type Band = Partial<RiskConfig['buckets']['LT']['band_drift']>;

export function makeConfig(opts: { band?: Band; equity?: number; cap?: number; holidays?: string[]; timezone?: string } = {}): RiskConfig {
  return RiskConfigSchema.parse({
    account: {
      equity: opts.equity ?? 10_000_000,
      timezone: opts.timezone ?? 'America/New_York',
      holidays: opts.holidays ?? [],
    },
    global: { hard_cap_gross_pct: opts.cap ?? 130 },
    buckets: { LT: { band_drift: opts.band ?? {} } },
  });
}

export function fixedConfig(config: RiskConfig): () => ConfigStateLike {
  const st: ConfigStateLike = { config, valid: true, messages: [], file: null };
  return () => st;
}
