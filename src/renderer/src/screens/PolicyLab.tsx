// The Policy lab (issue #16): replay the band controller over a past period under the live config (A) and an edited
// copy (B), side by side — both LT long % paths on one chart with the bands, the per-day table and the totals — and
// export the comparison. The replay runs in the main process on a worker thread; Ctrl/Cmd+Enter runs, Esc cancels.
import { memo, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ColDef, ColGroupDef } from 'ag-grid-community';
import type { ConfigCheck } from '../../../shared/contract';
import { APPROVE_POLICIES, type ApprovePolicy, type ReplayDay, type ReplayResult, type ReplayTotals } from '../../../shared/replay';
import type { BandStatus } from '../../../shared/domain';
import { LabChart } from '../components/LabChart';
import { Grid } from '../components/Grid';
import { bandClass } from '../components/Header';
import { DASH, fmtBandStatus, fmtInt, fmtMoney, fmtPct, fmtSignedInt } from '../format';
import { intFmt, moneyFmt, numCol } from '../grid';
import { hasMod, MOD } from '../keys';
import { joinDays, type JoinedDay } from '../replay';
import { actions, useConsole } from '../store';
import type { LabEditor } from '../store/core';

const POLICY_LABEL: Record<ApprovePolicy, string> = { all: 'Approve all', none: 'Approve none', 'pnl-positive': 'Approve PnL > 0' };

export function PolicyLab() {
  const lab = useConsole((s) => s.lab);
  // the default period needs the status (the account calendar and today)
  const statusKnown = useConsole((s) => s.status !== null);

  useEffect(() => {
    void actions.openLab();
  }, [statusKnown]);

  // Ctrl/Cmd+Enter runs (from the editors too), Esc cancels a run: on the window, since the button that had the focus
  // gives way to its counterpart while a run is on its way
  const running = lab.running;
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === 'Enter' && hasMod(e) && !e.repeat) {
        e.preventDefault();
        void actions.run();
      } else if (e.key === 'Escape' && running) {
        e.preventDefault();
        void actions.cancel();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [running]);
  // the focus follows Run → Cancel → Run when it was on the button that went away
  const runBtn = useRef<HTMLButtonElement>(null);
  const cancelBtn = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const lost = document.activeElement === document.body || document.activeElement === null;
    if (lost) (running ? cancelBtn : runBtn).current?.focus();
  }, [running]);

  const r = lab.result;
  const periodOk = !!lab.from && !!lab.to && lab.from <= lab.to;
  const pct = lab.progress && lab.progress.total > 0 ? Math.round((lab.progress.done / lab.progress.total) * 100) : 0;
  return (
    <div className="screen lab-screen" role="region" aria-label="Policy lab">
      <div className="panel">
        <div className="panel-head lab-head">
          <h2>Policy lab</h2>
          <div className="toolbar lab-inputs">
            <label>
              From
              <input type="date" value={lab.from} max={lab.to || undefined} onChange={(e) => actions.setInputs({ from: e.target.value })} />
            </label>
            <label>
              To
              <input type="date" value={lab.to} min={lab.from || undefined} onChange={(e) => actions.setInputs({ to: e.target.value })} />
            </label>
            <label title="When the controller evaluates each trading day (account time)">
              At
              <input type="time" value={lab.at} onChange={(e) => e.target.value && actions.setInputs({ at: e.target.value })} />
            </label>
            <label>
              Approve
              <select value={lab.approve} onChange={(e) => actions.setInputs({ approve: e.target.value as ApprovePolicy })}>
                {APPROVE_POLICIES.map((p) => (
                  <option key={p} value={p}>
                    {POLICY_LABEL[p]}
                  </option>
                ))}
              </select>
            </label>
            <label className="check">
              <input type="checkbox" checked={lab.compare} onChange={(e) => actions.setInputs({ compare: e.target.checked })} />
              Compare with B
            </label>
            <PricesPicker />
          </div>
          <div className="right">
            {lab.running ? (
              <button ref={cancelBtn} type="button" className="btn danger" onClick={() => void actions.cancel()} aria-keyshortcuts="Escape" title="Cancel the replay (Esc)">
                Cancel
              </button>
            ) : (
              <button
                ref={runBtn}
                type="button"
                className="btn primary"
                disabled={!periodOk || !lab.loaded}
                onClick={() => void actions.run()}
                aria-keyshortcuts="Control+Enter Meta+Enter"
                title={`Replay the period (${MOD}+Enter)`}
              >
                Run
              </button>
            )}
            <button type="button" className="btn" disabled={!r} onClick={() => actions.export('csv')}>
              Export CSV
            </button>
            <button type="button" className="btn" disabled={!r} onClick={() => actions.export('json')}>
              Export JSON
            </button>
          </div>
        </div>
        {lab.running ? (
          <div className="lab-progress" role="progressbar" aria-label="Replay progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={`${pct}%`}>
            <progress max={100} value={pct} aria-hidden="true" />
            <span className="muted">{lab.progress ? `replaying… ${fmtInt(lab.progress.done)} of ${fmtInt(lab.progress.total)} trading days${lab.compare ? ' (A, then B)' : ''}` : 'starting the replay…'}</span>
          </div>
        ) : null}
        {lab.error ? (
          <div className="lab-error" role="alert">
            {lab.error}
          </div>
        ) : !periodOk && lab.from && lab.to ? (
          <div className="lab-error" role="alert">
            The period ends before it starts
          </div>
        ) : null}
      </div>

      <div className={lab.compare ? 'lab-editors' : 'lab-editors one'}>
        <ConfigEditor which="a" title="Config A" note={lab.liveText !== null && lab.a.text === lab.liveText ? 'the live config' : 'edited copy of the live config'} editor={lab.a} />
        {lab.compare ? <ConfigEditor which="b" title="Config B" note="a copy to edit" editor={lab.b} /> : null}
      </div>

      <div className="lab-results">
        <section className="panel" aria-label="LT long % paths">
          <div className="panel-head">
            <h2>LT long %</h2>
            <span className="sub">{r ? `${r.a.from} – ${r.a.to} · ${fmtInt(r.a.totals.trading_days)} trading days` : 'run a replay to see the paths'}</span>
            <div className="right legend" aria-hidden="true">
              <span>
                <i className="cfg-a" />A
              </span>
              {r?.b ? (
                <span>
                  <i className="cfg-b" />B
                </span>
              ) : null}
              <span>
                <i className="band-a" />
                band A
              </span>
              {r?.b ? (
                <span>
                  <i className="band-b" />
                  band B
                </span>
              ) : null}
            </div>
          </div>
          <div className="chart-wrap lab-chart">{r ? <LabChart a={r.a} b={r.b} /> : <div className="empty">No replay yet</div>}</div>
        </section>
        <section className="panel" aria-label="Totals">
          <div className="panel-head">
            <h2>Totals</h2>
            {lab.ran ? <span className="sub">{`at ${lab.ran.at} · ${POLICY_LABEL[lab.ran.approve].toLowerCase()}`}</span> : null}
          </div>
          <div className="panel-body flush">{r ? <TotalsTable a={r.a} b={r.b} /> : <div className="empty">No replay yet</div>}</div>
        </section>
      </div>

      <section className="panel lab-days" aria-label="Per-day table">
        <div className="panel-head">
          <h2>Day by day</h2>
          <span className="sub">the controller at the evaluation time of each trading day</span>
        </div>
        <div className="panel-grid">
          <DaysGrid a={r?.a ?? null} b={r?.b ?? null} />
        </div>
      </section>
    </div>
  );
}

/** A prices file (CSV symbol,price,ts of historical ticks) instead of the stored tick history. */
function PricesPicker() {
  const prices = useConsole((s) => s.lab.prices);
  const input = useRef<HTMLInputElement>(null);
  return (
    <span className="lab-prices">
      <input
        ref={input}
        type="file"
        accept=".csv,text/csv"
        className="sr-only"
        aria-label="Prices CSV"
        tabIndex={-1}
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) void f.text().then((text) => actions.setPrices({ name: f.name, text }));
        }}
      />
      <button type="button" className="btn sm" onClick={() => input.current?.click()} title="Historical ticks (CSV: symbol,price,ts); default: the stored tick history">
        {prices ? prices.name : 'Prices: stored ticks'}
      </button>
      {prices ? (
        <button type="button" className="btn ghost sm" aria-label="Use the stored ticks" title="Use the stored tick history" onClick={() => actions.setPrices(null)}>
          ✕
        </button>
      ) : null}
    </span>
  );
}

function errorsOf(check: ConfigCheck | null): Extract<ConfigCheck, { ok: false }>['errors'] {
  return check && !check.ok ? check.errors : [];
}

/** A YAML editor with line numbers; the lines the check found errors on are marked, and listed under it. */
const ConfigEditor = memo(function ConfigEditor({ which, title, note, editor }: { which: 'a' | 'b'; title: string; note: string; editor: LabEditor }) {
  const ta = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const backdrop = useRef<HTMLDivElement>(null);
  const [caretLine, setCaretLine] = useState(1);
  const lines = useMemo(() => editor.text.split('\n').length, [editor.text]);
  const current = editor.checked === editor.text;
  // while a newer check is on its way, the last one's errors stay on show
  const errors = errorsOf(editor.check);
  const errLines = useMemo(() => new Set(errors.map((e) => e.line).filter((l): l is number => l !== null)), [errors]);
  const errId = `cfg-${which}-errors`;
  const sync = () => {
    const t = ta.current;
    if (!t) return;
    if (gutter.current) gutter.current.scrollTop = t.scrollTop;
    if (backdrop.current) {
      backdrop.current.scrollTop = t.scrollTop;
      backdrop.current.scrollLeft = t.scrollLeft;
    }
  };
  const caret = () => {
    const t = ta.current;
    if (t) setCaretLine(t.value.slice(0, t.selectionStart).split('\n').length);
  };
  const goTo = (line: number | null) => {
    const t = ta.current;
    if (!t || line === null) return;
    const rows = t.value.split('\n');
    const start = rows.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    t.focus();
    t.setSelectionRange(start, start + (rows[line - 1]?.length ?? 0));
    const lh = parseFloat(getComputedStyle(t).lineHeight) || 18;
    t.scrollTop = Math.max(0, (line - 3) * lh);
    sync();
    setCaretLine(line);
  };
  const state = !current ? (
    <span className="pill off">checking…</span>
  ) : editor.check?.ok ? (
    <span className="pill ok">valid</span>
  ) : (
    <span className="pill bad">
      {fmtInt(errors.length)} error{errors.length === 1 ? '' : 's'}
    </span>
  );
  return (
    <section className="panel lab-editor" aria-label={title}>
      <div className="panel-head">
        <h2>{title}</h2>
        <span className="sub">{note}</span>
        <div className="right">
          <span className="faint text-sm">line {fmtInt(caretLine)}</span>
          {state}
          <button type="button" className="btn ghost sm" onClick={() => actions.resetConfig(which)} title="Back to the live config">
            Reset
          </button>
        </div>
      </div>
      <div className="code-edit">
        <div className="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => (
            <div key={i} className={errLines.has(i + 1) ? 'ln err' : 'ln'}>
              {i + 1}
            </div>
          ))}
        </div>
        <div className="code-area">
          <div className="backdrop" ref={backdrop} aria-hidden="true">
            {Array.from({ length: lines }, (_, i) => (
              <div key={i} className={errLines.has(i + 1) ? 'bl err' : 'bl'} />
            ))}
          </div>
          <textarea
            ref={ta}
            value={editor.text}
            spellCheck={false}
            wrap="off"
            autoCapitalize="off"
            autoComplete="off"
            aria-label={`${title} (YAML)`}
            aria-invalid={errors.length > 0}
            aria-describedby={errId}
            onChange={(e) => {
              actions.editConfig(which, e.target.value);
              caret();
            }}
            onScroll={sync}
            onKeyUp={caret}
            onClick={caret}
          />
        </div>
      </div>
      <ul id={errId} className="cfg-errors" aria-live="polite" aria-label={`${title} errors`}>
        {errors.map((e, i) => (
          <li key={`${i}-${e.path}`}>
            <button type="button" className="linklike" onClick={() => goTo(e.line)} disabled={e.line === null} title={e.line === null ? undefined : `Go to line ${e.line}`}>
              {e.line === null ? 'line ?' : `line ${e.line}`}
            </button>
            <span className="mono">{e.path}</span>
            <span>{e.message}</span>
          </li>
        ))}
      </ul>
    </section>
  );
});

type TotalKey = keyof ReplayTotals;
/** Whole dollars with separators: the totals' turnover (the day table keeps the cents). */
const dollars = (n: number) => fmtMoney(Math.round(n)).replace(/\.00$/, '');
const TOTAL_ROWS: { key: TotalKey; label: string; fmt: (n: number) => string; delta: (n: number) => string }[] = [
  { key: 'trading_days', label: 'Trading days', fmt: fmtInt, delta: fmtSignedInt },
  { key: 'days_out_of_band', label: 'Days out of band', fmt: fmtInt, delta: fmtSignedInt },
  { key: 'intents', label: 'Intents', fmt: fmtInt, delta: fmtSignedInt },
  { key: 'fills', label: 'Fills', fmt: fmtInt, delta: fmtSignedInt },
  { key: 'turnover_notional', label: 'Turnover', fmt: dollars, delta: (n) => (n > 0 ? `+${dollars(n)}` : dollars(n)) },
  { key: 'max_gross_pct', label: 'Max gross', fmt: (n) => fmtPct(n), delta: (n) => `${n > 0 ? '+' : ''}${fmtPct(n)}` },
  { key: 'cap_refusals', label: 'Cap refusals', fmt: fmtInt, delta: fmtSignedInt },
];

/** A's and B's totals side by side, and B − A. */
const TotalsTable = memo(function TotalsTable({ a, b }: { a: ReplayResult; b: ReplayResult | null }) {
  return (
    <table className="whatif lab-totals" data-testid="lab-totals">
      <thead>
        <tr>
          <th scope="col">Total</th>
          <th scope="col" className="num">
            A
          </th>
          {b ? (
            <>
              <th scope="col" className="num">
                B
              </th>
              <th scope="col" className="num">
                B − A
              </th>
            </>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {TOTAL_ROWS.map((row) => {
          const va = a.totals[row.key];
          const vb = b?.totals[row.key];
          const d = vb === undefined ? null : vb - va;
          return (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              <td className="num">{row.fmt(va)}</td>
              {b ? (
                <>
                  <td className="num">{vb === undefined ? DASH : row.fmt(vb)}</td>
                  <td className={`num ${d ? 'strong' : 'faint'}`}>{d === null ? DASH : d === 0 ? '=' : row.delta(d)}</td>
                </>
              ) : null}
            </tr>
          );
        })}
        <ConfigRow label="Long band" a={a} b={b} get={(r) => `${fmtPct(r.config.long_pct_range[0])} – ${fmtPct(r.config.long_pct_range[1])}`} />
        <ConfigRow label="Tolerance" a={a} b={b} get={(r) => `${fmtInt(r.config.tolerance_days)} d`} />
      </tbody>
    </table>
  );
});

function ConfigRow({ label, a, b, get }: { label: string; a: ReplayResult; b: ReplayResult | null; get: (r: ReplayResult) => ReactNode }) {
  return (
    <tr className="cfg-row">
      <th scope="row">{label}</th>
      <td className="num">{get(a)}</td>
      {b ? (
        <>
          <td className="num">{get(b)}</td>
          <td />
        </>
      ) : null}
    </tr>
  );
}

type DayRow = JoinedDay;

const pctFmt = (p: { value?: unknown }) => fmtPct(p.value as number | null);
const statusFmt = (p: { value?: unknown }) => (p.value ? fmtBandStatus(String(p.value)) : DASH);

function dayCols(which: 'a' | 'b', title: string): ColGroupDef<DayRow> {
  const f = (k: keyof ReplayDay) => `${which}.${k}` as never;
  return {
    headerName: title,
    children: [
      { field: f('status'), headerName: 'Status', width: 106, valueFormatter: statusFmt, cellClass: (p) => `status-cell band-${bandClass(p.value as BandStatus)}` },
      { field: f('long_pct'), headerName: 'Long %', width: 76, ...numCol, valueFormatter: pctFmt },
      { field: f('gross_pct'), headerName: 'Gross %', width: 80, ...numCol, valueFormatter: pctFmt },
      { field: f('days_in_violation'), headerName: 'Days out', width: 80, ...numCol, valueFormatter: intFmt },
      { field: f('intents'), headerName: 'Intents', width: 72, ...numCol, valueFormatter: intFmt },
      { field: f('fills'), headerName: 'Fills', width: 62, ...numCol, valueFormatter: intFmt },
      { field: f('turnover_notional'), headerName: 'Turnover', width: 124, ...numCol, valueFormatter: moneyFmt },
    ],
  };
}

const DaysGrid = memo(function DaysGrid({ a, b }: { a: ReplayResult | null; b: ReplayResult | null }) {
  const rows = useMemo<DayRow[]>(() => (a ? joinDays(a, b) : []), [a, b]);
  const cols = useMemo<(ColDef<DayRow> | ColGroupDef<DayRow>)[]>(
    () => [{ field: 'date', headerName: 'Date', width: 104, pinned: 'left', cellClass: 'strong' }, dayCols('a', 'Config A'), ...(b ? [dayCols('b', 'Config B')] : [])],
    [b],
  );
  return <Grid<DayRow> layoutId={b ? 'lab.days.ab' : 'lab.days.a'} rowData={rows} columnDefs={cols} getRowId={(p) => p.data.date} overlayNoRowsTemplate='<span class="muted">No replay yet</span>' />;
});
