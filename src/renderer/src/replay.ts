// The Policy lab's comparison day by day: config A's and config B's replays joined by date (the chart and the days grid).
import type { ReplayDay, ReplayResult } from '../../shared/replay';

export interface JoinedDay {
  date: string;
  a: ReplayDay | null;
  b: ReplayDay | null;
}

/** Every date of either replay, in date order, with each config's day (null where that replay has none). */
export function joinDays(a: ReplayResult | null, b: ReplayResult | null): JoinedDay[] {
  const byDate = new Map<string, JoinedDay>();
  for (const d of a?.days ?? []) byDate.set(d.date, { date: d.date, a: d, b: null });
  for (const d of b?.days ?? []) {
    const row = byDate.get(d.date) ?? { date: d.date, a: null, b: null };
    row.b = d;
    byDate.set(d.date, row);
  }
  return [...byDate.values()].sort((x, y) => x.date.localeCompare(y.date));
}
