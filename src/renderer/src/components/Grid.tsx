// Every grid of the console: AG Grid with the console's theme and CSP nonce, and its column layout remembered under
// `layoutId` (src/renderer/src/layout.ts).
import { useCallback } from 'react';
import { AgGridReact, type AgGridReactProps } from 'ag-grid-react';
import type { ColumnEvent, GridPreDestroyedEvent, GridReadyEvent, SortChangedEvent } from 'ag-grid-community';
import { gridTheme, styleNonce } from '../grid';
import { attachLayout, detachLayout, saveLayout } from '../layout';

const DEFAULT_COL_DEF = { sortable: true, resizable: true, suppressHeaderMenuButton: true };

type Props<T> = AgGridReactProps<T> & { layoutId: string };

export function Grid<T>({ layoutId, onGridReady, ...rest }: Props<T>) {
  const ready = useCallback(
    (e: GridReadyEvent<T>) => {
      attachLayout(layoutId, e.api);
      onGridReady?.(e);
    },
    [layoutId, onGridReady],
  );
  const destroyed = useCallback((e: GridPreDestroyedEvent<T>) => detachLayout(layoutId, e.api), [layoutId]);
  const columnsChanged = useCallback(
    (e: ColumnEvent & { finished?: boolean }) => {
      if (e.finished === false) return;
      saveLayout(layoutId, e.api, e.source);
    },
    [layoutId],
  );
  const sorted = useCallback((e: SortChangedEvent<T>) => saveLayout(layoutId, e.api, e.source), [layoutId]);
  // a new layoutId is a new grid: the old one detaches its GridApi as it goes, the new one gets its saved layout
  return (
    <AgGridReact<T>
      key={layoutId}
      theme={gridTheme}
      styleNonce={styleNonce}
      defaultColDef={DEFAULT_COL_DEF}
      tooltipShowDelay={400}
      {...rest}
      onGridReady={ready}
      onGridPreDestroyed={destroyed}
      onColumnResized={columnsChanged}
      onColumnMoved={columnsChanged}
      onColumnPinned={columnsChanged}
      onColumnVisible={columnsChanged}
      onSortChanged={sorted}
    />
  );
}
