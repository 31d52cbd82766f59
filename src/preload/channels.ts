// The contract's channel and event names as plain data. The sandboxed preload cannot load npm packages at run time
// (zod included), so it keeps its own list; the types below fail to compile if it drifts from src/shared/contract.ts,
// and tests/console/contract.test.ts checks the values.
import type { Channel, PushEvent } from '../shared/contract';

export const PRELOAD_CHANNELS = [
  'app:status',
  'engine:evaluate',
  'engine:halt',
  'engine:resume',
  'engine:cycles',
  'intents:list',
  'intents:approve',
  'intents:reject',
  'intents:cancel',
  'intents:audit',
  'intents:preview',
  'bands:history',
  'ledger:report',
  'ledger:positions',
  'ledger:quarantine',
  'reports:export',
  'replay:setup',
  'replay:validate-config',
  'replay:run',
  'replay:cancel',
] as const satisfies readonly Channel[];

export const PRELOAD_EVENTS = ['status', 'intents:new', 'intents:changed', 'fills', 'config:error', 'replay:progress', 'app:navigate', 'app:resync'] as const satisfies readonly PushEvent[];

type Exhaustive<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : { missing: Exclude<All, Listed> };
/** @public compile-time check: the preload's lists are complete */
export const CHANNELS_COMPLETE: Exhaustive<Channel, (typeof PRELOAD_CHANNELS)[number]> = true;
/** @public compile-time check */
export const EVENTS_COMPLETE: Exhaustive<PushEvent, (typeof PRELOAD_EVENTS)[number]> = true;
