import { useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { BandPoint } from '../../../shared/types';
import { dateIn, fmtBandStatus, fmtInt, fmtPct, fmtTime } from '../format';
import { lttb } from '../../../shared/lttb';
import type { Range } from '../store';
import { paletteValue } from '../theme';

const MAX_POINTS = 1500;

function tickFormatter(range: Range, tz: string) {
  return (ms: number) => {
    const t = fmtTime(ms, tz, true);
    return range === '1D' ? t.slice(11, 16) : t.slice(5, 10) + (range === '1W' ? ` ${t.slice(11, 16)}` : '');
  };
}

export function BandChart({ points, range, longRange, shortRange, tz }: { points: BandPoint[]; range: Range; longRange: [number, number]; shortRange: [number, number]; tz: string }) {
  const data = useMemo(() => lttb(points, MAX_POINTS, (p) => p.ts, (p) => p.long_pct), [points]);
  // styles.css's palette (SVG attributes take literal colours): the long band green, the short band blue
  const long = paletteValue('green');
  const short = paletteValue('accent');
  const gross = paletteValue('muted');
  const axis = paletteValue('border-strong');
  if (data.length === 0) return <div className="empty">No evaluations in this range yet</div>;
  const first = points[0];
  const last = points[points.length - 1];
  // what the picture says, for a screen reader (and a test): the span, the band and where the book is now
  const summary =
    `Band history: ${fmtInt(points.length)} evaluations from ${dateIn(first.ts, tz)} to ${dateIn(last.ts, tz)}; ` +
    `LT long % ${fmtPct(last.long_pct)} now, band ${fmtPct(longRange[0])} – ${fmtPct(longRange[1])}; ` +
    `LT short % ${fmtPct(last.short_pct)}, band ${fmtPct(shortRange[0])} – ${fmtPct(shortRange[1])}`;
  return (
    <div role="img" aria-label={summary} data-testid="band-chart" className="band-chart">
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
        <CartesianGrid stroke={paletteValue('chart-grid')} vertical={false} />
        <ReferenceArea y1={longRange[0]} y2={longRange[1]} fill={long} fillOpacity={0.1} stroke={long} strokeOpacity={0.35} strokeDasharray="3 3" ifOverflow="extendDomain" />
        <ReferenceArea y1={shortRange[0]} y2={shortRange[1]} fill={short} fillOpacity={0.1} stroke={short} strokeOpacity={0.35} strokeDasharray="3 3" ifOverflow="extendDomain" />
        <XAxis dataKey="ts" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={tickFormatter(range, tz)} stroke={axis} tickLine={false} minTickGap={40} />
        <YAxis domain={[0, (max: number) => Math.max(100, Math.ceil(max / 20) * 20)]} tickCount={7} tickFormatter={(v: number) => `${v}%`} stroke={axis} tickLine={false} width={44} />
        <Tooltip
          isAnimationActive={false}
          content={({ active, payload }) => {
            if (!active || !payload?.length) return null;
            const p = payload[0].payload as BandPoint;
            return (
              <div className="tt">
                <div className="muted">{fmtTime(p.ts, tz)}</div>
                <div>
                  LT long <b>{fmtPct(p.long_pct)}</b> · short <b>{fmtPct(p.short_pct)}</b>
                </div>
                <div className="muted">
                  gross {fmtPct(p.gross_pct)} · {fmtBandStatus(p.status)}
                </div>
              </div>
            );
          }}
        />
        <Line type="linear" dataKey="long_pct" name="LT long %" stroke={long} strokeWidth={1.6} dot={data.length < 60 ? { r: 2 } : false} isAnimationActive={false} connectNulls />
        <Line type="linear" dataKey="short_pct" name="LT short %" stroke={short} strokeWidth={1.6} dot={data.length < 60 ? { r: 2 } : false} isAnimationActive={false} connectNulls />
        <Line type="linear" dataKey="gross_pct" name="Gross %" stroke={gross} strokeWidth={1} strokeDasharray="4 3" dot={false} isAnimationActive={false} connectNulls />
      </LineChart>
    </ResponsiveContainer>
    </div>
  );
}
