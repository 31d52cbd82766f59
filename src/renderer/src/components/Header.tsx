import type { AppStatus } from '../../../shared/types';
import { fmtInt, fmtMoneyShort, fmtPct, fmtTime, tzAbbrev, DASH } from '../format';
import { actions, useConsole } from '../store';

function modeClass(mode: AppStatus['mode']): string {
  return mode === 'NORMAL' ? 'ok' : mode === 'DERISK' ? 'warn' : 'bad';
}

export function Header() {
  const status = useConsole((s) => s.status);
  const now = useConsole((s) => s.now);
  const link = useConsole((s) => s.link);
  const transport = useConsole((s) => s.transport);
  const tz = status?.timezone ?? 'America/New_York';
  const gross = status?.gross_pct ?? 0;
  const cap = status?.hard_cap_gross_pct ?? 130;
  const capRatio = Math.min(1, gross / cap);
  const stream = status?.stream;
  return (
    <header className="header" aria-label="Account status">
      <div className="brand">
        <div className="brand-mark" aria-hidden="true" />
        <div>
          <div className="brand-name">BAND CONSOLE</div>
          <div className="brand-sub">LT bucket · {transport === 'electron' ? 'desktop' : 'browser host'}</div>
        </div>
      </div>
      <div className="mode">
        <div>
          <div className="hstat-label muted" style={{ fontSize: 10, letterSpacing: '0.08em' }}>
            MODE
          </div>
          <span className={`pill ${status ? modeClass(status.mode) : 'off'}`} data-testid="mode">
            {status?.mode ?? DASH}
          </span>
        </div>
        {status?.mode === 'HALTED' ? (
          <button type="button" className="btn resume" onClick={() => void actions.resume()} title="Resume the engine">
            Resume
          </button>
        ) : (
          <button type="button" className="btn halt" onClick={() => void actions.halt()} disabled={!status} title="Kill switch: stop proposing and sending orders">
            Halt
          </button>
        )}
      </div>
      <div className="hstat">
        <span className="label">Equity</span>
        <span className="value">{status ? fmtMoneyShort(status.equity) : DASH}</span>
      </div>
      <div className="hstat">
        <span className="label">Gross vs cap</span>
        <span className="value">
          {status ? fmtPct(gross) : DASH}
          <small>/ {fmtPct(cap, 1)}</small>
        </span>
        <div className={`capbar ${capRatio >= 1 ? 'over' : capRatio > 0.9 ? 'near' : ''}`} aria-hidden="true">
          <span style={{ width: `${capRatio * 100}%` }} />
        </div>
      </div>
      <div className="hstat">
        <span className="label">Band</span>
        <span className="value">
          <span className={`pill ${bandClass(status?.status)}`}>{status?.status.replace('_', ' ') ?? DASH}</span>
          {status && status.days_in_violation > 0 ? <small>day {status.days_in_violation}</small> : null}
        </span>
      </div>
      <div className="hstat">
        <span className="label">Prices</span>
        <span className="value" style={{ fontSize: 12 }}>
          <span className={`dot ${status?.price_source ? 'up' : 'off'}`} />
          {status?.price_source ?? DASH}
          <StaleBadge symbols={status?.stale_prices ?? []} />
        </span>
      </div>
      <div className="hstat">
        <span className="label">Stream</span>
        <span className="value" style={{ fontSize: 12 }} title={stream?.detail}>
          <span className={`dot ${stream?.state ?? 'off'}`} />
          {stream ? (stream.state === 'off' ? 'local log' : stream.state) : DASH}
        </span>
      </div>
      <div className="hstat grow" />
      <div className="hstat">
        <span className="label">Link</span>
        <span className="value" style={{ fontSize: 12 }}>
          <span className={`dot ${link}`} />
          {link === 'up' ? 'live' : link}
        </span>
      </div>
      <div className="hstat" style={{ borderRight: 0, minWidth: 200 }}>
        <span className="label">{tz}</span>
        <span className="value clock" data-testid="clock">
          {fmtTime(now, tz, true)} <small>{tzAbbrev(now, tz)}</small>
        </span>
      </div>
    </header>
  );
}

/** Symbols valued without a fresh truth tick: a calm amber note that leads to the Positions screen, where they are marked. */
function StaleBadge({ symbols }: { symbols: string[] }) {
  if (!symbols.length) return null;
  const listed = `${symbols.slice(0, 20).join(', ')}${symbols.length > 20 ? `, … ${symbols.length - 20} more` : ''}`;
  return (
    <a
      className="stale-badge"
      href="#/positions"
      data-testid="stale-prices"
      title={`Valued without a fresh truth tick (an old tick, or never priced: at average cost): ${listed}`}
    >
      stale prices: {fmtInt(symbols.length)}
    </a>
  );
}

export function bandClass(s: AppStatus['status'] | undefined): string {
  switch (s) {
    case 'IN_BAND':
      return 'ok';
    case 'WATCH':
      return 'warn';
    case 'CORRECTING':
      return 'bad';
    case 'SUSPENDED':
      return 'off';
    default:
      return 'off';
  }
}
