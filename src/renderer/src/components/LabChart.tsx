// The Policy lab's chart: LT long % day by day under config A and config B, with each config's long band drawn.
import { memo, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ReplayResult } from '../../../shared/replay';
import { fmtBandStatus, fmtInt, fmtPct } from '../format';
import { joinDays } from '../replay';
import { paletteValue } from '../theme';

interface Point {
  date: string;
  a: number | null;
  b: number | null;
  statusA: string | null;
  statusB: string | null;
}

/** The y axis: the paths and the bands, with a margin, in steps of 5 within 0–100. */
function domainOf(points: Point[], bands: [number, number][]): [number, number] {
  const values = [...points.flatMap((p) => [p.a, p.b]).filter((v): v is number => v !== null), ...bands.flat()];
  if (!values.length) return [0, 100];
  const lo = Math.max(0, Math.floor((Math.min(...values) - 2) / 5) * 5);
  const hi = Math.min(100, Math.ceil((Math.max(...values) + 2) / 5) * 5);
  return lo < hi ? [lo, hi] : [0, 100];
}

function pathSummary(name: string, r: ReplayResult): string {
  const first = r.days.find((d) => d.long_pct !== null)?.long_pct ?? null;
  const last = [...r.days].reverse().find((d) => d.long_pct !== null)?.long_pct ?? null;
  const [lo, hi] = r.config.long_pct_range;
  return `${name}: ${fmtPct(first)} to ${fmtPct(last)}, band ${fmtPct(lo)} – ${fmtPct(hi)}, ${fmtInt(r.totals.days_out_of_band)} days out of band`;
}

export const LabChart = memo(function LabChart({ a, b }: { a: ReplayResult; b: ReplayResult | null }) {
  const points = useMemo<Point[]>(
    () => joinDays(a, b).map((d) => ({ date: d.date, a: d.a?.long_pct ?? null, b: d.b?.long_pct ?? null, statusA: d.a?.status ?? null, statusB: d.b?.status ?? null })),
    [a, b],
  );
  const bandA = a.config.long_pct_range;
  const bandB = b?.config.long_pct_range ?? null;
  const domain = domainOf(points, bandB ? [bandA, bandB] : [bandA]);
  // styles.css's palette (SVG attributes take literal colours): A blue, B amber
  const colA = paletteValue('accent');
  const colB = paletteValue('amber');
  const axis = paletteValue('border-strong');
  const summary = `LT long % by trading day, ${a.from} to ${a.to}. ${pathSummary('Config A', a)}${b ? `. ${pathSummary('Config B', b)}` : ''}`;
  const dots = points.length <= 60;
  return (
    <div role="img" aria-label={summary} data-testid="lab-chart" className="band-chart">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid stroke={paletteValue('chart-grid')} vertical={false} />
          <ReferenceArea y1={bandA[0]} y2={bandA[1]} fill={colA} fillOpacity={0.14} stroke={colA} strokeOpacity={0.5} strokeDasharray="3 3" ifOverflow="extendDomain" />
          {/* B's band as an outline (a light tint): where the bands are the same, A's tint shows with B's edges */}
          {bandB ? <ReferenceArea y1={bandB[0]} y2={bandB[1]} fill={colB} fillOpacity={0.04} stroke={colB} strokeOpacity={0.8} strokeDasharray="6 4" ifOverflow="extendDomain" /> : null}
          <XAxis dataKey="date" tickFormatter={(d: string) => d.slice(5)} stroke={axis} tickLine={false} minTickGap={24} />
          <YAxis domain={domain} tickCount={6} tickFormatter={(v: number) => `${v}%`} stroke={axis} tickLine={false} width={44} />
          <Tooltip
            isAnimationActive={false}
            content={({ active, payload }) => {
              if (!active || !payload?.length) return null;
              const p = payload[0].payload as Point;
              return (
                <div className="tt">
                  <div className="muted">{p.date}</div>
                  <div>
                    A <b>{fmtPct(p.a)}</b> <span className="muted">{p.statusA ? fmtBandStatus(p.statusA) : ''}</span>
                  </div>
                  {b ? (
                    <div>
                      B <b>{fmtPct(p.b)}</b> <span className="muted">{p.statusB ? fmtBandStatus(p.statusB) : ''}</span>
                    </div>
                  ) : null}
                </div>
              );
            }}
          />
          <Line type="linear" dataKey="a" name="Config A" stroke={colA} strokeWidth={1.8} dot={dots ? { r: 2 } : false} isAnimationActive={false} connectNulls />
          {b ? <Line type="linear" dataKey="b" name="Config B" stroke={colB} strokeWidth={1.8} strokeDasharray="5 3" dot={dots ? { r: 2 } : false} isAnimationActive={false} connectNulls /> : null}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
});
