import { useCallback, useEffect, useMemo, useRef } from 'react';
import type { CustomCellRendererProps } from 'ag-grid-react';
import type { ColDef, GetRowIdParams, GridApi, GridReadyEvent, SelectionChangedEvent } from 'ag-grid-community';
import type { IntentView } from '../../../shared/types';
import { SCREEN_KEY_RANGE } from '../../../shared/screens';
import { Gauge } from '../components/Gauge';
import { Grid } from '../components/Grid';
import { processNow } from '../clock';
import { fmtAge, fmtDay, fmtInt, fmtMoney, fmtPct, fmtPrice, fmtWeekdayTime, humanClassification } from '../format';
import { intFmt, numCol, priceFmt, signClass, signedPctFmt } from '../grid';
import { MOD } from '../keys';
import { sessionOpen, stagingNote } from '../session';
import { actions, isEmptyBook, notionalOf, useConsole } from '../store';

function RowActions(p: CustomCellRendererProps<IntentView>) {
  const id = p.data?.id;
  // outside the session an approval stages the order until the open: the button says so (a row re-renders when the
  // session changes, not on every status)
  const ahead = useConsole((s) => (sessionOpen(s.status) ? null : `${fmtDay(s.status!.session.date)} at ${s.status!.session.open}`));
  if (!id) return null;
  const open = ahead === null;
  const title = open ? 'Approve this intent (sends the order)' : `Approve this intent for the session of ${ahead}: the order is staged and released at the open after the same checks`;
  return (
    <div className="cell-actions">
      <button type="button" className="btn primary sm" onClick={() => void actions.approve([id])} title={title}>
        {open ? 'Approve' : 'Stage'}
      </button>
      <button type="button" className="btn danger sm" onClick={() => actions.askReject([id])} title="Reject this intent with a reason">
        Reject
      </button>
    </div>
  );
}

const rowSelection = { mode: 'multiRow', checkboxes: true, headerCheckbox: true, enableClickSelection: true } as const;

function CancelAction(p: CustomCellRendererProps<IntentView>) {
  const d = p.data;
  if (!d) return null;
  // the name says which order (a list of identical "Cancel" buttons tells a screen reader nothing); it starts with the visible word
  return (
    <div className="cell-actions">
      <button
        type="button"
        className="btn danger sm"
        aria-label={`Cancel ${d.side} ${fmtInt(d.qty)} ${d.symbol}`}
        onClick={() => actions.askCancel([d.id])}
        title={d.status === 'STAGED' ? 'Cancel this staged order before its release at the open (asks a reason)' : 'Cancel this working order at the broker (asks a reason)'}
      >
        Cancel
      </button>
    </div>
  );
}

/** A working order's state: WORKING / APPROVED, or STAGED with when it is released (the open, in the account zone). */
function OrderStatus(p: CustomCellRendererProps<IntentView>) {
  const d = p.data;
  const tz = useConsole((s) => s.status?.timezone ?? 'America/New_York');
  if (!d) return null;
  if (d.status !== 'STAGED' || d.releases_at === null) return <span>{d.status}</span>;
  return (
    <span className="staged" title={`Approved before its session: held here, released at the open of ${d.trading_date} after the same checks`}>
      STAGED <span className="staged-when">releases {fmtWeekdayTime(d.releases_at, tz)}</span>
    </span>
  );
}

/**
 * The working orders: orders at the broker (APPROVED or WORKING intents), DAY orders that end at the close, and
 * orders approved before their session (STAGED), released at its open; each canceled here with a reason.
 */
function WorkingOrders() {
  const working = useConsole((s) => s.working);
  const status = useConsole((s) => s.status);
  const busy = useConsole((s) => s.busy);
  const gridRef = useRef<GridApi<IntentView> | null>(null);

  useEffect(() => {
    void actions.refreshWorking();
    const t = setInterval(() => gridRef.current?.refreshCells({ columns: ['age'] }), 15_000);
    return () => clearInterval(t);
  }, []);

  const columns = useMemo<ColDef<IntentView>[]>(
    () => [
      { field: 'symbol', headerName: 'Symbol', width: 76, cellClass: 'strong' },
      { field: 'side', headerName: 'Side', width: 56, cellClass: (p) => `side-${String(p.value)}` },
      { field: 'qty', headerName: 'Qty', width: 72, ...numCol, valueFormatter: intFmt },
      { field: 'filled_qty', headerName: 'Filled', width: 72, ...numCol, valueFormatter: intFmt, headerTooltip: 'filled so far' },
      { colId: 'limit', headerName: 'Limit', width: 76, ...numCol, headerTooltip: 'limit price (MKT = market order)', valueGetter: (p) => p.data?.limit_price ?? null, valueFormatter: (p) => (p.value === null ? 'MKT' : fmtPrice(p.value as number)) },
      { field: 'tick', headerName: 'Tick', width: 76, ...numCol, valueFormatter: priceFmt },
      {
        field: 'status',
        headerName: 'Status',
        width: 196,
        cellClass: (p) => `status-cell ${p.value === 'STAGED' ? 'st-staged' : 'st-working'}`,
        cellRenderer: OrderStatus,
      },
      { field: 'classification', headerName: 'Classification', width: 152, valueFormatter: (p) => humanClassification(String(p.value)) },
      { field: 'id', headerName: 'Intent', flex: 1, minWidth: 124, cellClass: 'mono' },
      { colId: 'age', headerName: 'Age', width: 74, ...numCol, headerTooltip: 'since the order was sent (staged: since it was approved)', valueGetter: (p) => (p.data ? p.data.updated_at : null), valueFormatter: (p) => fmtAge(p.value as number, processNow()) },
      { colId: 'actions', headerName: 'Action', width: 86, pinned: 'right', sortable: false, resizable: false, cellRenderer: CancelAction },
    ],
    [],
  );
  const onGridReady = useCallback((e: GridReadyEvent<IntentView>) => {
    gridRef.current = e.api;
  }, []);
  const getRowId = useCallback((p: GetRowIdParams<IntentView>) => p.data.id, []);

  return (
    <section className="panel" aria-label="Working orders">
      <div className="panel-head">
        <h2>Working orders</h2>
        <span className="sub" data-testid="working-count">
          {workingCount(working)}
        </span>
        {status ? (
          <span className="sub faint" data-testid="day-orders" title="Approved orders are DAY orders: what has not filled by the close is canceled">
            Day orders: end at {status.market_close} {status.timezone}
          </span>
        ) : null}
        <div className="right">
          <button
            type="button"
            className="btn danger"
            disabled={!working.length || busy}
            onClick={() => actions.askCancel('all')}
            title="Cancel every order working at the broker and every staged one (asks a reason)"
          >
            Cancel all working
          </button>
        </div>
      </div>
      <div className="panel-grid" data-testid="working-grid">
        <Grid<IntentView>
          layoutId="approvals.working"
          rowData={working}
          columnDefs={columns}
          getRowId={getRowId}
          onGridReady={onGridReady}
          animateRows={false}
          overlayNoRowsTemplate='<span class="muted">No working orders</span>'
        />
      </div>
    </section>
  );
}

/** `3 working`, or `2 working · 1 staged` when some wait for the open. */
function workingCount(rows: IntentView[]): string {
  const staged = rows.filter((i) => i.status === 'STAGED').length;
  return staged ? `${fmtInt(rows.length - staged)} working · ${fmtInt(staged)} staged` : `${fmtInt(rows.length)} working`;
}

export function Approvals() {
  const pending = useConsole((s) => s.pending);
  const selected = useConsole((s) => s.selected);
  const preview = useConsole((s) => s.preview);
  const status = useConsole((s) => s.status);
  const busy = useConsole((s) => s.busy);
  const emptyBook = useConsole(isEmptyBook);
  const gridRef = useRef<GridApi<IntentView> | null>(null);

  useEffect(() => {
    void actions.refreshPending();
  }, []);

  // Keep the grid's selection in step with the store (after approvals remove rows, for instance).
  useEffect(() => {
    const g = gridRef.current;
    if (!g) return;
    const want = new Set(selected);
    g.forEachNode((n) => {
      const on = n.data ? want.has(n.data.id) : false;
      if (n.isSelected() !== on) n.setSelected(on, false, 'api');
    });
  }, [selected, pending]);

  // Ages advance without re-rendering 10,000 rows every second.
  useEffect(() => {
    const t = setInterval(() => gridRef.current?.refreshCells({ columns: ['age'] }), 15_000);
    return () => clearInterval(t);
  }, []);

  const columns = useMemo<ColDef<IntentView>[]>(
    () => [
      { field: 'symbol', headerName: 'Symbol', width: 76, cellClass: 'strong' },
      { field: 'classification', headerName: 'Classification', width: 152, valueFormatter: (p) => humanClassification(String(p.value)) },
      { field: 'side', headerName: 'Side', width: 56, cellClass: (p) => `side-${String(p.value)}` },
      { field: 'qty', headerName: 'Qty', width: 64, ...numCol, valueFormatter: intFmt },
      { colId: 'limit', headerName: 'Limit', width: 72, ...numCol, headerTooltip: 'limit price (MKT = market order)', valueGetter: (p) => p.data?.limit_price ?? null, valueFormatter: (p) => (p.value === null ? 'MKT' : fmtPrice(p.value as number)) },
      { field: 'tick', headerName: 'Tick', width: 70, ...numCol, valueFormatter: priceFmt },
      { colId: 'notional', headerName: 'Notional', width: 94, ...numCol, valueGetter: (p) => (p.data ? notionalOf(p.data) : null), valueFormatter: (p) => fmtMoney(p.value as number) },
      { field: 'pnl_pct', headerName: 'PnL %', width: 80, ...numCol, headerTooltip: 'unrealized PnL % of the position at the tick', valueFormatter: signedPctFmt, cellClass: signClass },
      { field: 'reason', headerName: 'Reason', flex: 1, minWidth: 144, tooltipField: 'reason' },
      { colId: 'age', headerName: 'Age', width: 74, ...numCol, valueGetter: (p) => (p.data ? p.data.created_at : null), valueFormatter: (p) => fmtAge(p.value as number, processNow()) },
      { colId: 'actions', headerName: 'Actions', width: 142, pinned: 'right', sortable: false, resizable: false, cellRenderer: RowActions },
    ],
    [],
  );

  const onGridReady = useCallback((e: GridReadyEvent<IntentView>) => {
    gridRef.current = e.api;
  }, []);
  const onSelectionChanged = useCallback((e: SelectionChangedEvent<IntentView>) => {
    if (e.source === 'api') return;
    actions.setSelected(e.api.getSelectedRows().map((r) => r.id));
  }, []);
  const getRowId = useCallback((p: GetRowIdParams<IntentView>) => p.data.id, []);

  const selRows = pending.filter((i) => selected.includes(i.id));
  const selNotional = selRows.reduce((a, i) => a + notionalOf(i), 0);
  const open = sessionOpen(status);
  const verb = open ? 'Approve' : 'Stage';

  return (
    <div className="screen fill" role="region" aria-label="Approvals">
      <div className="appr">
        <div className="appr-main">
          <section className="panel" aria-label="Approval queue">
            <div className="panel-head">
              <h2>Approval queue</h2>
              <span className="sub" data-testid="pending-count">
                {fmtInt(pending.length)} pending
              </span>
              <div className="right">
                <span className="sub">{selected.length ? `${fmtInt(selected.length)} selected · ${fmtMoney(selNotional)}` : 'nothing selected'}</span>
                <button
                  type="button"
                  className="btn primary"
                  disabled={!selected.length || busy}
                  onClick={() => actions.askApprove(selected)}
                  title={open ? 'Approve the selected intents (sends the orders; 2+ ask to confirm)' : 'Approve the selected intents for the next session: staged until its open (2+ ask to confirm)'}
                >
                  {verb} selected
                </button>
                <button type="button" className="btn danger" disabled={!selected.length || busy} onClick={() => actions.askReject(selected)}>
                  Reject selected
                </button>
              </div>
            </div>
            {status && !open ? (
              <div className="session-note" role="note" data-testid="session-banner">
                {stagingNote(status.session)}
              </div>
            ) : null}
            <div className="panel-grid" data-testid="approval-grid">
              <Grid<IntentView>
                layoutId="approvals.queue"
                rowData={pending}
                columnDefs={columns}
                getRowId={getRowId}
                rowSelection={rowSelection}
                onGridReady={onGridReady}
                onSelectionChanged={onSelectionChanged}
                animateRows={false}
                suppressCellFocus={false}
                overlayNoRowsTemplate={emptyBook ? '<span class="muted">No pending intents: the book has no positions yet. Import them with bandctl import-positions (see Overview)</span>' : '<span class="muted">No pending intents: the band controller has nothing to propose</span>'}
              />
            </div>
          </section>
          <WorkingOrders />
        </div>
        <aside className="appr-side">
          <section className="panel" aria-label="What-if preview">
            <div className="panel-head">
              <h2>What-if</h2>
              <span className="sub">after the selection fills</span>
            </div>
            <div className="panel-body whatif-body">
              <Gauge compact label="Preview LT long %" title="LT long %" value={status?.long_pct ?? null} range={status?.long_pct_range ?? [60, 70]} preview={preview?.long_pct ?? null} />
              <Gauge compact label="Preview LT short %" title="LT short %" value={status?.short_pct ?? null} range={status?.short_pct_range ?? [30, 40]} preview={preview?.short_pct ?? null} />
              <div className="preview-row last">
                <span className="muted">Gross % of equity</span>
                <span className="before">{fmtPct(status?.gross_pct)}</span>
                <span className="arrow">→</span>
                <span className="after">{preview ? fmtPct(preview.gross_pct) : '—'}</span>
              </div>
              {!selected.length ? <div className="faint text-sm">Select intents to see where the band lands.</div> : null}
            </div>
          </section>
          <section className="panel" aria-label="Keyboard shortcuts">
            <div className="panel-head">
              <h2>Keys</h2>
            </div>
            <div className="panel-body shortcut-list" data-testid="keys">
              <kbd>A</kbd>
              <span>{open ? 'approve' : 'stage'} selected (confirm if 2+)</span>
              <kbd>R</kbd>
              <span>reject selected (asks a reason)</span>
              <kbd>Space</kbd>
              <span>select the focused row</span>
              <kbd>{MOD}+A</kbd>
              <span>select all pending</span>
              <kbd>Esc</kbd>
              <span>clear selection / close a dialog</span>
              <kbd>Enter</kbd>
              <span>in a dialog: confirm</span>
              <kbd>Shift+Enter</kbd>
              <span>in a reason: new line</span>
              <kbd>Tab</kbd>
              <span>in a dialog: next control (stays inside)</span>
              <kbd>{SCREEN_KEY_RANGE}</kbd>
              <span>switch screens</span>
              <kbd>[ ]</kbd>
              <span>Reports: previous / next trading day</span>
            </div>
          </section>
        </aside>
      </div>
    </div>
  );
}
