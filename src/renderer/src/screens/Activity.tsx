import { useEffect, useMemo } from 'react';
import type { ColDef } from 'ag-grid-community';
import type { AuditRow, CycleLogRow, IntentView, QuarantinedEvent } from '../../../shared/types';
import { bandClass } from '../components/Header';
import { fmtBandStatus, fmtInt, fmtStamp, humanClassification } from '../format';
import { Grid } from '../components/Grid';
import { intFmt, numCol, priceFmt } from '../grid';
import { actions, useConsole } from '../store';

function statusClass(s: string | null): string {
  switch (s) {
    case 'PENDING':
      return 'st-pending';
    case 'APPROVED':
    case 'WORKING':
      return 'st-working';
    case 'FILLED':
      return 'st-filled';
    case 'REJECTED':
    case 'CANCELED':
      return 'st-rejected';
    default:
      return 'st-other';
  }
}

export function Activity() {
  const intents = useConsole((s) => s.allIntents);
  const audit = useConsole((s) => s.audit);
  const auditFor = useConsole((s) => s.auditFor);
  const quarantine = useConsole((s) => s.quarantine);
  const cycles = useConsole((s) => s.cycles);
  const tz = useConsole((s) => s.status?.timezone ?? 'America/New_York');

  useEffect(() => {
    void actions.refreshActivity();
  }, []);

  const intentCols = useMemo<ColDef<IntentView>[]>(
    () => [
      { field: 'updated_at', headerName: 'Updated', width: 124, valueFormatter: (p) => fmtStamp(p.value as number, tz) },
      { field: 'id', headerName: 'Intent', width: 122, cellClass: 'mono' },
      { field: 'symbol', headerName: 'Symbol', width: 72, cellClass: 'strong' },
      { field: 'classification', headerName: 'Classification', width: 150, valueFormatter: (p) => humanClassification(String(p.value)) },
      { field: 'side', headerName: 'Side', width: 54, cellClass: (p) => `side-${String(p.value)}` },
      { field: 'qty', headerName: 'Qty', width: 66, ...numCol, valueFormatter: intFmt },
      { field: 'limit_price', headerName: 'Limit', width: 74, ...numCol, valueFormatter: priceFmt },
      { field: 'filled_qty', headerName: 'Filled', width: 62, ...numCol, valueFormatter: intFmt },
      { field: 'status', headerName: 'Status', width: 96, cellClass: (p) => `status-cell ${statusClass(p.value as string)}` },
      { field: 'reason', headerName: 'Reason', flex: 1, minWidth: 180, tooltipField: 'reason' },
    ],
    [tz],
  );
  const auditCols = useMemo<ColDef<AuditRow>[]>(
    () => [
      { field: 'at', headerName: 'Time', width: 124, valueFormatter: (p) => fmtStamp(p.value as number, tz) },
      { field: 'intent_id', headerName: 'Intent', width: 122, cellClass: 'mono' },
      { field: 'from', headerName: 'From', width: 100, valueFormatter: (p) => (p.value as string | null) ?? '∅', cellClass: (p) => `status-cell ${statusClass(p.value as string)}` },
      { field: 'to', headerName: 'To', width: 100, cellClass: (p) => `status-cell ${statusClass(p.value as string)}` },
      { field: 'actor', headerName: 'Actor', width: 76 },
      { field: 'reason', headerName: 'Reason', flex: 1, minWidth: 160, tooltipField: 'reason' },
    ],
    [tz],
  );
  const qCols = useMemo<ColDef<QuarantinedEvent>[]>(
    () => [
      { field: 'at', headerName: 'Time', width: 124, valueFormatter: (p) => fmtStamp(p.value as number, tz) },
      { field: 'source', headerName: 'Source', width: 130, tooltipField: 'source' },
      { field: 'reason', headerName: 'Reason', flex: 2, minWidth: 200, tooltipField: 'reason', cellClass: 'neg-soft' },
      { field: 'raw', headerName: 'Raw event', flex: 1, minWidth: 140, cellClass: 'mono', tooltipField: 'raw' },
    ],
    [tz],
  );
  const cycleCols = useMemo<ColDef<CycleLogRow>[]>(
    () => [
      { field: 'at', headerName: 'Time', width: 124, valueFormatter: (p) => fmtStamp(p.value as number, tz) },
      { field: 'mode', headerName: 'Mode', width: 86 },
      { field: 'status', headerName: 'Status', width: 116, valueFormatter: (p) => fmtBandStatus(String(p.value ?? '')), cellClass: (p) => `status-cell band-${bandClass(p.value as CycleLogRow['status'])}` },
      { field: 'message', headerName: 'Message', flex: 1, minWidth: 200, tooltipField: 'message' },
    ],
    [tz],
  );

  return (
    <div className="screen fill" role="region" aria-label="Activity">
      <div className="split-v">
          <section className="panel" aria-label="Intent history">
            <div className="panel-head">
              <h2>Intent history</h2>
              <span className="sub">{fmtInt(intents.length)} intents · select one for its audit trail</span>
              <div className="right">
                <button type="button" className="btn sm ghost" onClick={() => void actions.refreshActivity()}>
                  Refresh
                </button>
              </div>
            </div>
            <div className="panel-grid">
              <Grid<IntentView>
                layoutId="activity.intents"
                rowData={intents}
                columnDefs={intentCols}
                getRowId={(p) => p.data.id}
                rowSelection={{ mode: 'singleRow', checkboxes: false, enableClickSelection: true }}
                onSelectionChanged={(e) => void actions.showAuditFor(e.api.getSelectedRows()[0]?.id ?? null)}
                overlayNoRowsTemplate='<span class="muted">No intents yet</span>'
              />
            </div>
          </section>
        <div className="split-h activity-split">
          <section className="panel" aria-label="Audit trail">
            <div className="panel-head">
              <h2>Audit trail</h2>
              <span className="sub">{auditFor ? `intent ${auditFor}` : 'all intents, newest first'}</span>
              {auditFor ? (
                <div className="right">
                  <button type="button" className="btn sm ghost" onClick={() => void actions.showAuditFor(null)}>
                    Show all
                  </button>
                </div>
              ) : null}
            </div>
            <div className="panel-grid">
              <Grid<AuditRow> layoutId="activity.audit" rowData={audit} columnDefs={auditCols} getRowId={(p) => String(p.data.id)} overlayNoRowsTemplate='<span class="muted">No transitions yet</span>' />
            </div>
          </section>
          <div className="stack-2">
          <section className="panel" aria-label="Quarantined events">
            <div className="panel-head">
              <h2>Quarantined events</h2>
              <span className={`pill ${quarantine.length ? 'warn' : 'ok'}`}>{fmtInt(quarantine.length)}</span>
              <span className="sub">refused by validation, kept with their raw text</span>
            </div>
            <div className="panel-grid">
              <Grid<QuarantinedEvent> layoutId="activity.quarantine" rowData={quarantine} columnDefs={qCols} getRowId={(p) => String(p.data.id)} overlayNoRowsTemplate='<span class="muted">Nothing quarantined</span>' />
            </div>
          </section>
          <section className="panel" aria-label="Engine cycles">
            <div className="panel-head">
              <h2>Engine cycles</h2>
              <span className="sub">{fmtInt(cycles.length)} most recent</span>
            </div>
            <div className="panel-grid">
              <Grid<CycleLogRow> layoutId="activity.cycles" rowData={cycles} columnDefs={cycleCols} getRowId={(p) => String(p.data.id)} overlayNoRowsTemplate='<span class="muted">No cycles yet</span>' />
            </div>
          </section>
          </div>
        </div>
      </div>
    </div>
  );
}
