// Numbered migrations, applied in order; each is recorded in schema_migrations.
import type { Migration } from './types';
import { migration as m001 } from './001_core';
import { migration as m002 } from './002_ledger';
import { migration as m003 } from './003_engine';
import { migration as m004 } from './004_streams';
import { migration as m005 } from './005_orders_life';
import { migration as m006 } from './006_stream_faults';
import { migration as m007 } from './007_tick_history';
import { migration as m008 } from './008_staged_intents';

export type { Migration };
export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m007, m008];
