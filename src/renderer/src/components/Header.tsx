import type { AppStatus } from '../../../shared/types';
import { dateIn, fmtBandStatus, fmtDay, fmtInt, fmtMoneyShort, fmtPct, fmtTime, tzAbbrev, DASH } from '../format';
import { sessionParts, sessionSpoken } from '../session';
import { actions, useConsole } from '../store';

function modeClass(mode: AppStatus['mode']): string {
  return mode === 'NORMAL' ? 'ok' : mode === 'DERISK' ? 'warn' : 'bad';
}

export function Header({ inert }: { inert?: boolean }) {
  const status = useConsole((s) => s.status);
  const now = useConsole((s) => s.now);
  const link = useConsole((s) => s.link);
  const downSince = useConsole((s) => s.linkDownSince);
  const transport = useConsole((s) => s.transport);
  const tz = status?.timezone ?? 'America/New_York';
  const gross = status?.gross_pct ?? 0;
  const cap = status?.hard_cap_gross_pct ?? 130;
  const capRatio = Math.min(1, gross / cap);
  const stream = status?.stream;
  return (
    <header className="header" aria-label="Account status" inert={inert}>
      <div className="brand">
        <div className="brand-mark" aria-hidden="true" />
        <div>
          <div className="brand-line">
            <h1 className="brand-name">Band Console</h1>
            {status?.demo ? (
              <span
                className="demo-badge"
                data-testid="demo-badge"
                title="This book was seeded by bandctl init --demo: sample positions, ten days of band history and a few paper fills. Import your own positions to start for real."
              >
                demo book
              </span>
            ) : null}
          </div>
          <div className="brand-sub">LT bucket · {transport === 'electron' ? 'desktop' : 'browser host'}</div>
        </div>
      </div>
      <div className="mode">
        <div>
          <div className="hstat-label muted">
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
          <span className={`pill ${bandClass(status?.status)}`}>{status ? fmtBandStatus(status.status) : DASH}</span>
          {status && status.days_in_violation > 0 ? <small>day {status.days_in_violation}</small> : null}
        </span>
      </div>
      <div className="hstat">
        <span className="label">Prices</span>
        <span className="value compact">
          <span className={`dot ${status?.price_source ? 'up' : 'off'}`} />
          {status?.price_source ?? DASH}
          <StaleBadge symbols={status?.stale_prices ?? []} />
        </span>
      </div>
      {status?.integrity && (status.integrity.state === 'failed' || status.integrity.unclean_shutdown) ? (
        <div className="hstat">
          <span className="label">Database</span>
          <span
            className={`value compact ${status.integrity.state === 'failed' ? 'integrity-bad' : 'integrity-note'}`}
            data-testid="integrity"
            title={status.integrity.detail}
            role={status.integrity.state === 'failed' ? 'alert' : undefined}
          >
            {status.integrity.state === 'failed' ? 'check failed: bandctl restore' : 'checked after an unclean shutdown'}
          </span>
        </div>
      ) : null}
      <div className="hstat shrink">
        <span className="label">Stream</span>
        <span className="value compact" title={stream?.detail}>
          <span className={`dot ${stream?.state ?? 'off'}`} />
          {stream ? (stream.state === 'off' ? 'local log' : stream.state) : DASH}
        </span>
      </div>
      <div className="hstat grow" />
      {transport === 'browser' ? <NotifyControl /> : null}
      <div className="hstat">
        <span className="label">Link</span>
        <span className="value compact link-state" data-testid="link" role="status">
          <span className={`dot ${link === 'up' ? 'up' : downSince ? 'connecting' : link}`} aria-hidden="true" />
          {link === 'up' ? 'live' : downSince ? `link down since ${fmtTime(downSince, tz, false)}` : 'connecting…'}
        </span>
      </div>
      {status ? <SessionState status={status} /> : null}
      <div className={`hstat last${status?.clock.source === 'BAND_NOW' ? ' simulated' : ''}`}>
        <span className="label" data-testid="clock-date" title={`The account time zone: ${tz}`}>
          {status ? `${fmtDay(dateIn(now, tz)).slice(0, 3)} ${dateIn(now, tz)}` : DASH}
        </span>
        <span className="value clock" data-testid="clock">
          {status ? fmtTime(now, tz, false) : DASH} {status ? <small>{tzAbbrev(now, tz)}</small> : null}
        </span>
        {status?.clock.source === 'BAND_NOW' ? <SimulatedClock frozen={status.clock.frozen} /> : null}
      </div>
    </header>
  );
}

/**
 * The session (docs/spec.md §2): its phase, and on a second line what comes next (the close, the open, the next
 * session). The text reads as one line, `Closed (weekend) · next session Mon 12/14 09:30`.
 */
function SessionState({ status }: { status: AppStatus }) {
  const open = status.session.phase === 'OPEN';
  const { phase, next } = sessionParts(status.session);
  return (
    <div className="hstat">
      <span className="label">Market{status.calendar.exchange ? ` · ${status.calendar.exchange}` : ''}</span>
      <span
        className={`value session-state ${open ? 'open' : 'shut'}`}
        data-testid="session"
        role="status"
        aria-label={sessionSpoken(status.session, status.timezone)}
        title={sessionTitle(status)}
      >
        <span className="session-phase">
          <span className={`dot ${open ? 'up' : 'off'}`} aria-hidden="true" />
          {phase}
        </span>
        <span className="session-next">
          <span className="session-sep"> · </span>
          {next}
        </span>
      </span>
    </div>
  );
}

/** The session's hours in full, for the header's tooltip. */
function sessionTitle(status: AppStatus): string {
  const s = status.session;
  const hours = `${s.open}–${s.close} ${status.timezone}`;
  if (s.phase === 'OPEN') return `The session of ${s.date} is open (${hours}): an approval sends the order now`;
  return `The next session is ${s.date} (${hours}): intents are for it, an approval stages them until its open`;
}

/**
 * The console runs on a set clock (BAND_NOW): said next to the time, calmly but always, so a trader never takes it
 * for the real time.
 */
function SimulatedClock({ frozen }: { frozen: boolean }) {
  const title = frozen
    ? 'Simulated clock, frozen: the console was started with BAND_NOW=<instant>@frozen. Its time stands still at that instant; the session, approvals, expiry and day-order ends follow it. This is not the real time.'
    : 'Simulated clock: the console was started with BAND_NOW=<instant>. Its time started at that instant and runs on from there; the session, approvals, expiry and day-order ends follow it. This is not the real time.';
  return (
    <span className="sim-clock" data-testid="simulated-clock" title={title}>
      simulated clock{frozen ? ' · frozen' : ''}
    </span>
  );
}

/**
 * Browser notifications for new intents: "Notify me" asks the browser (a click is the user gesture it needs); once
 * allowed, a switch mutes them (remembered in this browser); when the browser blocks them, says so.
 */
function NotifyControl() {
  const { permission, muted } = useConsole((s) => s.notify);
  if (permission === 'unsupported') return null;
  let control;
  if (permission === 'default') {
    control = (
      <button type="button" className="btn sm" onClick={() => void actions.enableNotifications()} title="A desktop notification when the engine proposes new intents">
        Notify me
      </button>
    );
  } else if (permission === 'denied') {
    control = (
      <span className="muted" title="This browser blocks notifications from this page: allow them in its site settings">
        blocked
      </span>
    );
  } else {
    control = (
      <button
        type="button"
        className={`btn sm notify-switch${muted ? ' muted' : ''}`}
        role="switch"
        aria-checked={!muted}
        aria-label="Notify on new intents"
        data-testid="notify-switch"
        onClick={() => actions.setMuted(!muted)}
        title={muted ? 'Muted: click to be notified of new intents again' : 'A notification when new intents arrive: click to mute'}
      >
        {muted ? 'muted' : 'on'}
      </button>
    );
  }
  return (
    <div className="hstat shrink">
      <span className="label">Notify</span>
      <span className="value compact">
        {control}
      </span>
    </div>
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
      aria-label={`${fmtInt(symbols.length)} stale: prices without a fresh truth tick`}
    >
      {fmtInt(symbols.length)} stale
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
