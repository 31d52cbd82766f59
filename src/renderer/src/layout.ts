// Grid layouts remembered per grid in this browser: each AG Grid's column state (widths, order, sort, pinning) is
// saved when the trader changes it (never for what the grid does by itself, such as flex columns following the
// window) and restored when the grid is created. "Reset layout" forgets them all and restores the defaults.
import type { ColumnState, GridApi } from 'ag-grid-community';
import { prefKeys, readPref, writePref } from './prefs';

const PREFIX = 'band.grid.';
const live = new Map<string, Set<GridApi>>();

function layoutKey(id: string): string {
  return `${PREFIX}${id}`;
}

/** Restores a grid's saved columns (if any) and keeps it for resetLayouts. */
export function attachLayout(id: string, api: GridApi): void {
  let set = live.get(id);
  if (!set) live.set(id, (set = new Set()));
  set.add(api);
  const raw = readPref(layoutKey(id));
  if (!raw) return;
  try {
    const state = JSON.parse(raw) as ColumnState[];
    if (Array.isArray(state)) api.applyColumnState({ state, applyOrder: true });
  } catch {
    writePref(layoutKey(id), null);
  }
}

export function detachLayout(id: string, api: GridApi): void {
  live.get(id)?.delete(api);
}

/** Saves the grid's columns when the change came from the trader (a drag, a resize, a click on a header). */
export function saveLayout(id: string, api: GridApi, source: string | undefined): void {
  if (!source?.startsWith('ui') || api.isDestroyed()) return;
  writePref(layoutKey(id), JSON.stringify(api.getColumnState()));
}

/** Forgets every saved layout and puts the open grids back to their defaults. */
export function resetLayouts(): void {
  for (const k of prefKeys(PREFIX)) writePref(k, null);
  for (const set of live.values()) for (const api of set) if (!api.isDestroyed()) api.resetColumnState();
}
