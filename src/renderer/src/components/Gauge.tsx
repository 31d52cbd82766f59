import { fmtMoneyShort, fmtPct } from '../format';

export interface GaugeProps {
  /** Accessible name, e.g. `LT long %`. */
  label: string;
  title: string;
  value: number | null;
  range: [number, number];
  /** What the value would be after the selected intents fill. */
  preview?: number | null;
  compact?: boolean;
  /** Gross exposure of this side, USD (shown under the meter). */
  gross?: number;
}

/** A horizontal 0–100 meter with the allowed band shaded and the value marked. */
export function Gauge({ label, title, value, range, preview, compact, gross }: GaugeProps) {
  const [lo, hi] = range;
  const out = value !== null && (value < lo || value > hi);
  const pos = (v: number) => `${Math.max(0, Math.min(100, v))}%`;
  const delta = preview !== undefined && preview !== null && value !== null ? preview - value : null;
  return (
    <div className={compact ? 'gauge compact' : 'gauge'}>
      <div className="gauge-title">
        <span className="name">{title}</span>
        <span className="range">
          band {fmtPct(lo)} – {fmtPct(hi)}
        </span>
      </div>
      <div className={`gauge-value ${out ? 'out' : ''}`} style={compact ? { fontSize: 22 } : undefined}>
        {fmtPct(value)}
        {delta !== null ? (
          <span className="delta">
            → {fmtPct(preview)} ({delta >= 0 ? '+' : ''}
            {delta.toFixed(2)} pt)
          </span>
        ) : null}
      </div>
      <div
        className="track"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value ?? 0}
        aria-valuetext={value === null ? 'no exposure' : `${value.toFixed(1)}% (band ${lo}–${hi}%)${out ? ', out of band' : ''}`}
      >
        <div className="band" style={{ left: pos(lo), width: `${hi - lo}%` }} />
        {value !== null ? <div className="fillbar" style={{ width: pos(value) }} /> : null}
        {preview !== undefined && preview !== null ? <div className="marker ghost" style={{ left: pos(preview) }} title={`after fill ${fmtPct(preview)}`} /> : null}
        {value !== null ? <div className={`marker ${out ? 'out' : ''}`} style={{ left: pos(value) }} /> : null}
      </div>
      <div className="scale" aria-hidden="true">
        <span>0</span>
        <span>25</span>
        <span>50</span>
        <span>75</span>
        <span>100</span>
      </div>
      {!compact && value !== null ? (
        <div className="gauge-foot">
          {gross !== undefined ? <span>gross {fmtMoneyShort(gross)}</span> : <span />}
          <span className={out ? 'neg' : 'pos'}>
            {value > hi ? `${(value - hi).toFixed(1)} pt above band` : value < lo ? `${(lo - value).toFixed(1)} pt below band` : 'in band'}
          </span>
        </div>
      ) : null}
    </div>
  );
}
