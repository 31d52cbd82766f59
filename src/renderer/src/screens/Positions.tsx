import { useEffect, useMemo } from 'react';
import type { CustomCellRendererProps } from 'ag-grid-react';
import type { ColDef } from 'ag-grid-community';
import type { PositionView } from '../../../shared/types';
import { fmtMoney, fmtMoneyShort, fmtInt } from '../format';
import { EmptyBook } from '../components/EmptyBook';
import { Grid } from '../components/Grid';
import { intFmt, moneyFmt, numCol, priceFmt, signClass, signedPctFmt } from '../grid';
import { actions, isEmptyBook, useConsole } from '../store';

type Row = PositionView & { side: 'LONG' | 'SHORT' | 'FLAT'; pnl_pct: number | null; gross: number | null; stale: boolean };

const NO_STALE: string[] = [];

/** The symbol, and a small "stale" marker when it is valued without a fresh truth tick. */
function SymbolCell(p: CustomCellRendererProps<Row>) {
  const r = p.data;
  if (!r) return null;
  return (
    <span className="sym-cell">
      {r.symbol}
      {r.stale ? (
        <span
          className="stale-tag"
          title={r.tick === null ? 'never priced: valued at its average cost' : 'its last truth tick is old (before the previous trading day)'}
        >
          stale
        </span>
      ) : null}
    </span>
  );
}

export function Positions() {
  const positions = useConsole((s) => s.positions);
  const staleList = useConsole((s) => s.status?.stale_prices ?? NO_STALE);
  const emptyBook = useConsole(isEmptyBook);
  useEffect(() => {
    void actions.refreshPositions();
  }, []);
  const rows = useMemo<Row[]>(() => {
    const stale = new Set(staleList);
    return positions.map((p) => {
      const side = p.qty > 0 ? 'LONG' : p.qty < 0 ? 'SHORT' : 'FLAT';
      const pnl_pct = p.tick !== null && p.avg_cost > 0 && p.qty !== 0 ? ((p.qty > 0 ? p.tick - p.avg_cost : p.avg_cost - p.tick) / p.avg_cost) * 100 : null;
      return { ...p, side, pnl_pct, gross: p.tick !== null ? Math.abs(p.qty) * p.tick : null, stale: p.qty !== 0 && stale.has(p.symbol) };
    });
  }, [positions, staleList]);
  const staleCount = rows.filter((r) => r.stale).length;
  const sum = (f: (r: Row) => boolean, v: (r: Row) => number | null) => rows.filter(f).reduce((a, r) => a + (v(r) ?? 0), 0);
  const ltLong = sum((r) => r.bucket === 'LT' && r.qty > 0, (r) => r.gross);
  const ltShort = sum((r) => r.bucket === 'LT' && r.qty < 0, (r) => r.gross);
  const mm = sum((r) => r.bucket === 'MM', (r) => r.gross);
  const unreal = sum(() => true, (r) => r.unrealized_pnl);
  const real = sum(() => true, (r) => r.realized_pnl);

  const columns = useMemo<ColDef<Row>[]>(
    () => [
      { field: 'bucket', headerName: 'Bucket', width: 80 },
      // the formatted value carries the marker, so the cell re-renders when a symbol turns stale or fresh again
      { field: 'symbol', headerName: 'Symbol', width: 124, cellRenderer: SymbolCell, valueFormatter: (p) => (p.data?.stale ? `${String(p.value)} (stale)` : String(p.value)) },
      { field: 'side', headerName: 'Side', width: 80, cellClass: (p) => (p.value === 'LONG' ? 'side-BUY' : p.value === 'SHORT' ? 'side-SELL' : '') },
      { field: 'qty', headerName: 'Qty', width: 110, ...numCol, valueFormatter: intFmt },
      { field: 'avg_cost', headerName: 'Avg cost', width: 110, ...numCol, valueFormatter: priceFmt },
      { field: 'tick', headerName: 'Tick', width: 110, ...numCol, valueFormatter: priceFmt },
      { field: 'market_value', headerName: 'Market value', width: 150, ...numCol, valueFormatter: moneyFmt },
      { field: 'gross', headerName: 'Gross', width: 150, ...numCol, valueFormatter: moneyFmt },
      { field: 'unrealized_pnl', headerName: 'Unrealized PnL', width: 150, ...numCol, valueFormatter: moneyFmt, cellClass: signClass },
      { field: 'pnl_pct', headerName: 'Unrl %', width: 90, ...numCol, valueFormatter: signedPctFmt, cellClass: signClass },
      { field: 'realized_pnl', headerName: 'Realized PnL', width: 150, ...numCol, valueFormatter: moneyFmt, cellClass: signClass },
    ],
    [],
  );
  return (
    <div className={`screen fill positions-screen${emptyBook ? ' with-empty-book' : ''}`} role="region" aria-label="Positions">
      {emptyBook ? <EmptyBook /> : null}
      <div className="totals">
        <Stat label="LT long gross" value={fmtMoneyShort(ltLong)} />
        <Stat label="LT short gross" value={fmtMoneyShort(ltShort)} />
        <Stat label="MM gross" value={fmtMoneyShort(mm)} />
        <Stat label="Unrealized PnL" value={fmtMoney(unreal)} cls={unreal < 0 ? 'neg' : unreal > 0 ? 'pos' : ''} />
        <Stat label="Realized PnL" value={fmtMoney(real)} cls={real < 0 ? 'neg' : real > 0 ? 'pos' : ''} />
      </div>
      <section className="panel" aria-label="Positions grid">
        <div className="panel-head">
          <h2>Positions</h2>
          <span className="sub">{fmtInt(rows.length)} lines · average cost · valued at the truth tick</span>
          {staleCount ? (
            <span className="sub stale-note" data-testid="stale-lines">
              {fmtInt(staleCount)} stale: valued at an old tick or, never priced, at average cost
            </span>
          ) : null}
        </div>
        <div className="panel-grid">
          <Grid<Row>
            layoutId="positions"
            rowData={rows}
            columnDefs={columns}
            getRowId={(p) => `${p.data.bucket}:${p.data.symbol}`}
            overlayNoRowsTemplate='<span class="muted">No positions: import them with bandctl import-positions</span>'
          />
        </div>
      </section>
    </div>
  );
}

function Stat({ label, value, cls = '' }: { label: string; value: string; cls?: string }) {
  return (
    <div className="total">
      <div className="label">{label}</div>
      <div className={`value ${cls}`}>{value}</div>
    </div>
  );
}
