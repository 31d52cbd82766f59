import { useEffect, useMemo } from 'react';
import type { ColDef } from 'ag-grid-community';
import { isTradingDay } from '../../../shared/calendar';
import { REPORT_FORMATS } from '../../../shared/report-formats';
import type { AppStatus, ReportLine, ReportRow } from '../../../shared/types';
import { calendarOf } from '../calendar';
import { Grid } from '../components/Grid';
import { fmtInt, fmtMoney, fmtSignedInt, humanClassification } from '../format';
import { intFmt, moneyFmt, numCol, signClass, signedIntFmt } from '../grid';
import { actions, useConsole } from '../store';

type ClassRow = ReportLine & { classification: string; symbols: string[] };
type SymRow = ReportLine & { symbol: string; classifications: string[] };

const lineCols = <T extends ReportLine>(): ColDef<T>[] => [
  { field: 'filled_qty' as never, headerName: 'Filled qty', flex: 1, minWidth: 90, ...numCol, valueFormatter: intFmt },
  { field: 'filled_notional' as never, headerName: 'Notional', flex: 1.3, minWidth: 120, ...numCol, valueFormatter: moneyFmt },
  { field: 'realized_pnl' as never, headerName: 'Realized PnL', flex: 1.3, minWidth: 110, ...numCol, valueFormatter: moneyFmt, cellClass: signClass },
  { field: 'count_fills' as never, headerName: 'Fills', flex: 0.7, minWidth: 60, ...numCol, valueFormatter: intFmt },
  { field: 'net_qty_change' as never, headerName: 'Net qty', flex: 1, minWidth: 80, ...numCol, valueFormatter: signedIntFmt },
];

/** The export buttons: one per report format, the spreadsheet's first (CSV, JSON, text). */
const EXPORT_ORDER = [...REPORT_FORMATS].reverse();

const NO_ROWS = '<span class="muted">No fills on this date</span>';

export function Reports() {
  const date = useConsole((s) => s.reportDate);
  const report = useConsole((s) => s.report);
  const error = useConsole((s) => s.reportError);

  useEffect(() => {
    void actions.refreshReport();
  }, []);

  const byClass = useMemo<ClassRow[]>(
    () => (report ? Object.entries(report.json.by_classification).map(([classification, v]) => ({ classification, ...v })) : []),
    [report],
  );
  const bySym = useMemo<SymRow[]>(() => (report ? Object.entries(report.json.by_symbol).map(([symbol, v]) => ({ symbol, ...v })) : []), [report]);
  const classCols = useMemo<ColDef<ClassRow>[]>(
    () => [
      { field: 'classification', headerName: 'Classification', flex: 1.4, minWidth: 156, valueFormatter: (p) => humanClassification(String(p.value)) },
      ...lineCols<ClassRow>(),
      { field: 'symbols', headerName: 'Symbols', flex: 1.4, minWidth: 100, tooltipValueGetter: (p) => (p.value as string[]).join(', '), valueFormatter: (p) => (p.value as string[]).join(', ') },
    ],
    [],
  );
  const symCols = useMemo<ColDef<SymRow>[]>(
    () => [
      { field: 'symbol', headerName: 'Symbol', flex: 0.8, minWidth: 70, cellClass: 'strong' },
      ...lineCols<SymRow>(),
      { field: 'classifications', headerName: 'Classifications', flex: 1.6, minWidth: 120, tooltipValueGetter: (p) => (p.value as string[]).join(', '), valueFormatter: (p) => (p.value as string[]).map(humanClassification).join(', ') },
    ],
    [],
  );
  const rowCols = useMemo<ColDef<ReportRow>[]>(
    () => [
      { field: 'symbol', headerName: 'Symbol', flex: 0.8, minWidth: 80, cellClass: 'strong' },
      { field: 'classification', headerName: 'Classification', flex: 1.4, minWidth: 160, valueFormatter: (p) => humanClassification(String(p.value)) },
      ...lineCols<ReportRow>(),
    ],
    [],
  );
  const t = report?.json.totals;
  const status = useConsole((s) => s.status);
  const day = date && status ? dayNote(date, status) : '';

  return (
    <div className="screen reports-screen" role="region" aria-label="Reports">
      <div className="panel">
        <div className="panel-head">
          <h2>End-of-day report</h2>
          <div className="toolbar">
            <button
              type="button"
              className="btn ghost sm"
              aria-label="Previous trading day"
              title="Previous trading day ( [ )"
              aria-keyshortcuts="["
              onClick={() => void actions.stepReportDate(-1)}
            >
              ◀
            </button>
            <label>
              Report date
              <input type="date" value={date ?? ''} onChange={(e) => e.target.value && void actions.setReportDate(e.target.value)} />
            </label>
            <button
              type="button"
              className="btn ghost sm"
              aria-label="Next trading day"
              title="Next trading day ( ] )"
              aria-keyshortcuts="]"
              onClick={() => void actions.stepReportDate(1)}
            >
              ▶
            </button>
            {error ? (
              <span className="neg">{error}</span>
            ) : (
              <span className="sub" data-testid="report-day">
                {day}
                {report ? `${day ? ' · ' : ''}${fmtInt(report.rows.length)} symbol × classification lines` : ' · loading…'}
              </span>
            )}
          </div>
          <div className="right">
            {EXPORT_ORDER.map((f) => (
              <button key={f.id} type="button" className="btn" onClick={() => void actions.exportReport(f.id)} disabled={!report}>
                Export {f.label}
              </button>
            ))}
          </div>
        </div>
      </div>
      <div className="totals" aria-label="Totals">
        <Total label="Filled qty" value={fmtInt(t?.total_filled_qty)} />
        <Total label="Filled notional" value={fmtMoney(t?.total_filled_notional)} />
        <Total label="Realized PnL" value={fmtMoney(t?.total_realized_pnl)} sign={t?.total_realized_pnl} />
        <Total label="Fills" value={fmtInt(t?.total_count_fills)} />
        <Total label="Net qty change" value={fmtSignedInt(t?.total_net_qty_change)} />
      </div>
      <div className="split-h even">
        <section className="panel" aria-label="By classification">
          <div className="panel-head">
            <h2>By classification</h2>
          </div>
          <div className="panel-grid">
            <Grid<ClassRow> layoutId="reports.classification" rowData={byClass} columnDefs={classCols} overlayNoRowsTemplate={NO_ROWS} />
          </div>
        </section>
        <section className="panel" aria-label="By symbol">
          <div className="panel-head">
            <h2>By symbol</h2>
          </div>
          <div className="panel-grid">
            <Grid<SymRow> layoutId="reports.symbol" rowData={bySym} columnDefs={symCols} overlayNoRowsTemplate={NO_ROWS} />
          </div>
        </section>
      </div>
      <section className="panel" aria-label="By symbol and classification">
        <div className="panel-head">
          <h2>By symbol and classification</h2>
          <span className="sub">the CSV's lines</span>
        </div>
        <div className="panel-grid">
          <Grid<ReportRow> layoutId="reports.lines" rowData={report?.rows ?? []} columnDefs={rowCols} overlayNoRowsTemplate={NO_ROWS} />
        </div>
      </section>
    </div>
  );
}

/** The date's weekday, and whether the desk trades that day. */
function dayNote(date: string, status: AppStatus): string {
  const [y, m, d] = date.split('-').map(Number);
  const weekday = new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' });
  return isTradingDay(date, calendarOf(status)) ? weekday : `${weekday}, not a trading day`;
}

function Total({ label, value, sign }: { label: string; value: string; sign?: number }) {
  return (
    <div className="total">
      <div className="label">{label}</div>
      <div className={`value ${sign ? (sign < 0 ? 'neg' : 'pos') : ''}`}>{value}</div>
    </div>
  );
}
