import { useEffect } from 'react';
import { BandChart } from '../components/BandChart';
import { EmptyBook } from '../components/EmptyBook';
import { Gauge } from '../components/Gauge';
import { bandClass } from '../components/Header';
import { fmtBandStatus, fmtInt, fmtMoney, fmtPct, fmtTime, DASH } from '../format';
import { actions, isEmptyBook, notionalOf, RANGES, useConsole } from '../store';


export function Overview() {
  const status = useConsole((s) => s.status);
  const history = useConsole((s) => s.history);
  const range = useConsole((s) => s.range);
  const cycles = useConsole((s) => s.cycles);
  const pending = useConsole((s) => s.pending);
  const tz = status?.timezone ?? 'America/New_York';
  const emptyBook = useConsole(isEmptyBook);

  useEffect(() => {
    void actions.refreshPositions();
  }, []);
  useEffect(() => {
    void actions.refreshHistory();
    void actions.refreshCycles();
  }, [status?.last_cycle_at]);

  const positions = useConsole((s) => s.positions);
  const ltLong = positions.reduce((a, p) => a + (p.bucket === 'LT' && p.qty > 0 && p.tick !== null ? p.qty * p.tick : 0), 0);
  const ltShort = positions.reduce((a, p) => a + (p.bucket === 'LT' && p.qty < 0 && p.tick !== null ? -p.qty * p.tick : 0), 0);
  const pendingNotional = pending.reduce((a, i) => a + notionalOf(i), 0);
  return (
    <div className={`screen overview-screen${emptyBook ? ' with-empty-book' : ''}`} role="region" aria-label="Overview">
      {emptyBook ? <EmptyBook /> : null}
      <div className="ov-top">
        <section className="panel">
          <Gauge label="LT long %" title="LT long % of LT gross" value={status?.long_pct ?? null} range={status?.long_pct_range ?? [60, 70]} gross={ltLong} />
        </section>
        <section className="panel">
          <Gauge label="LT short %" title="LT short % of LT gross" value={status?.short_pct ?? null} range={status?.short_pct_range ?? [30, 40]} gross={ltShort} />
        </section>
        <section className="panel" aria-label="Controller">
          <div className="panel-head">
            <h2>Controller</h2>
            <span className={`pill ${bandClass(status?.status)}`}>{status ? fmtBandStatus(status.status) : DASH}</span>
            <div className="right">
              <button type="button" className="btn sm nowrap" onClick={() => void actions.evaluate()} disabled={!status}>
                Evaluate now
              </button>
            </div>
          </div>
          <div className="panel-body">
            <dl className="kv">
              <dt>Days in violation</dt>
              <dd>
                {status ? `${status.days_in_violation} / ${status.tolerance_days} tolerated` : DASH}
              </dd>
              <dt>Pending intents</dt>
              <dd>
                <a href="#/approvals" className="plain-link">
                  {fmtInt(pending.length)}
                </a>{' '}
                <span className="muted">({fmtMoney(pendingNotional)})</span>
              </dd>
              <dt>Global gross</dt>
              <dd>
                {status ? `${fmtPct(status.gross_pct)} of equity` : DASH} <span className="muted">cap {status ? fmtPct(status.hard_cap_gross_pct) : DASH}</span>
              </dd>
              <dt>Last cycle</dt>
              <dd>{fmtTime(status?.last_cycle_at, tz)}</dd>
              <dt>Config</dt>
              <dd className={status && !status.config.valid ? 'neg' : undefined}>{status ? (status.config.valid ? 'valid' : 'INVALID — controller suspended') : DASH}</dd>
            </dl>
          </div>
        </section>
      </div>

      <section className="panel" aria-label="Band history">
        <div className="panel-head">
          <h2>Band history</h2>
          <div className="legend">
            <span>
              <i className="long" />
              LT long %
            </span>
            <span>
              <i className="short" />
              LT short %
            </span>
            <span>
              <i className="gross" />
              Gross % of equity
            </span>
            <span className="faint">shaded: allowed bands</span>
          </div>
          <div className="right">
            <span className="faint">{fmtInt(history.length)} pts</span>
            <div className="seg" role="group" aria-label="History range">
              {RANGES.map((r) => (
                <button key={r} type="button" aria-pressed={range === r} onClick={() => void actions.setRange(r)}>
                  {r === 'ALL' ? 'All' : r}
                </button>
              ))}
            </div>
          </div>
        </div>
        <div className="chart-wrap">
          <BandChart points={history} range={range} longRange={status?.long_pct_range ?? [60, 70]} shortRange={status?.short_pct_range ?? [30, 40]} tz={tz} />
        </div>
      </section>

      <section className="panel" aria-label="Engine cycles">
        <div className="panel-head">
          <h2>Recent cycles</h2>
          <span className="sub">the controller's log</span>
        </div>
        <div className="panel-body flush">
          <table className="log">
            <tbody>
              {cycles.slice(0, 5).map((c) => (
                <tr key={c.id}>
                  <td className="mono muted col-time">
                    {fmtTime(c.at, tz)}
                  </td>
                  <td className="col-mode">
                    <span className={`pill ${c.mode === 'NORMAL' ? 'ok' : c.mode === 'DERISK' ? 'warn' : 'bad'}`}>{c.mode}</span>
                  </td>
                  <td className="col-status">
                    <span className={`pill ${bandClass(c.status)}`}>{fmtBandStatus(c.status)}</span>
                  </td>
                  <td>{c.message}</td>
                </tr>
              ))}
              {cycles.length === 0 ? (
                <tr>
                  <td className="muted empty-cell">
                    No cycles yet
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
