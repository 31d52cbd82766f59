import { useCallback, useEffect, useMemo, useRef } from 'react';
import type { CustomCellRendererProps } from 'ag-grid-react';
import type { ColDef, GetRowIdParams, GridApi, GridReadyEvent, SelectionChangedEvent } from 'ag-grid-community';
import type { IntentView } from '../../../shared/types';
import { SCREEN_KEY_RANGE } from '../../../shared/screens';
import { Gauge } from '../components/Gauge';
import { Grid } from '../components/Grid';
import { fmtAge, fmtInt, fmtMoney, fmtPct, fmtPrice, humanClassification } from '../format';
import { intFmt, numCol, priceFmt, signClass, signedPctFmt } from '../grid';
import { MOD } from '../keys';
import { actions, isEmptyBook, notionalOf, useConsole } from '../store';

function RowActions(p: CustomCellRendererProps<IntentView>) {
  const id = p.data?.id;
  if (!id) return null;
  return (
    <div className="cell-actions">
      <button type="button" className="btn primary sm" onClick={() => void actions.approve([id])} title="Approve this intent (sends the order)">
        Approve
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
        title="Cancel this working order at the broker (asks a reason)"
      >
        Cancel
      </button>
    </div>
  );
}

/** Orders at the broker (APPROVED or WORKING intents): DAY orders that end at the close, canceled here with a reason. */
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
      { field: 'status', headerName: 'Status', width: 92, cellClass: 'status-cell st-working' },
      { field: 'classification', headerName: 'Classification', width: 152, valueFormatter: (p) => humanClassification(String(p.value)) },
      { field: 'id', headerName: 'Intent', flex: 1, minWidth: 124, cellClass: 'mono' },
      { colId: 'age', headerName: 'Age', width: 66, ...numCol, headerTooltip: 'since the order was sent', valueGetter: (p) => (p.data ? p.data.updated_at : null), valueFormatter: (p) => fmtAge(p.value as number, Date.now()) },
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
          {fmtInt(working.length)} working
        </span>
        {status ? (
          <span className="sub faint" data-testid="day-orders" title="Approved orders are DAY orders: what has not filled by the close is canceled">
            Day orders: end at {status.market_close} {status.timezone}
          </span>
        ) : null}
        <div className="right">
          <button type="button" className="btn danger" disabled={!working.length || busy} onClick={() => actions.askCancel('all')}>
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
      { colId: 'age', headerName: 'Age', width: 66, ...numCol, valueGetter: (p) => (p.data ? p.data.created_at : null), valueFormatter: (p) => fmtAge(p.value as number, Date.now()) },
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
                <button type="button" className="btn primary" disabled={!selected.length || busy} onClick={() => actions.askApprove(selected)}>
                  Approve selected
                </button>
                <button type="button" className="btn danger" disabled={!selected.length || busy} onClick={() => actions.askReject(selected)}>
                  Reject selected
                </button>
              </div>
            </div>
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
              <span>approve selected (confirm if 2+)</span>
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
