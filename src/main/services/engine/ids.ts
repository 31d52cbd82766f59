// Intent ids: `i-` + 11 base-36 digits of (epoch ms × 1296 + counter): short, sortable by creation, unique per
// database (the last one is kept in app_state and every new one is greater, across processes and clock steps).
import type { Db } from '../store/db';
import { getStateFast as getState, setStateFast as setState } from './stmt';

const KEY = 'engine.intent_seq';

/** Reserves `n` ids; call inside the transaction that inserts them. */
export function nextIntentIds(db: Db, n: number, now: number): string[] {
  const last = Number(getState(db, KEY) ?? '0');
  let seq = Math.max(Math.floor(now) * 1296, last + 1);
  const out: string[] = [];
  for (let i = 0; i < n; i++, seq++) out.push(`i-${seq.toString(36).padStart(11, '0')}`);
  if (n > 0) setState(db, KEY, String(seq - 1));
  return out;
}
