// The console's screens: ONE list, in menu and key order. A module of its own, free of zod and React, so the main
// process (the View menu, app:navigate) and the renderer (nav, keys, routing, refresh) read the same rows.
//
// Adding a screen is a row here and its component, src/renderer/src/screens/<component>.tsx exporting a function
// of that name (the renderer finds it by that name: src/renderer/src/screens/registry.ts).

/** What a screen shows, as the renderer's store can fetch it afresh (on show, on resync, on its error's "Try again"). */
export type ScreenData = 'status' | 'pending' | 'working' | 'history' | 'cycles' | 'report' | 'positions' | 'activity';

/** The push events a screen can refresh on (names from contract.ts's PUSH_EVENTS; the renderer checks they are). */
export type ScreenRefreshEvent = 'status' | 'intents:new' | 'intents:changed' | 'fills' | 'config:error';

export interface ScreenRow {
  /** The hash route (#/<id>) and the app:navigate payload. */
  readonly id: string;
  /** The nav's and the View menu's text, and the screen's region name. */
  readonly label: string;
  /** The digit that shows it (bare in the console, with Cmd/Ctrl in the desktop menu). */
  readonly key: string;
  /** The component's name: src/renderer/src/screens/<component>.tsx exports a function of this name. */
  readonly component: string;
  /** What the screen shows: fetched afresh on resync and by its error boundary's "Try again". */
  readonly loads: readonly ScreenData[];
  /** Push events that refetch `loads` while the screen is on show (beyond the console-wide refreshes). */
  readonly refreshOn: readonly ScreenRefreshEvent[];
}

export const SCREEN_REGISTRY = [
  { id: 'overview', label: 'Overview', key: '1', component: 'Overview', loads: ['positions', 'history', 'cycles'], refreshOn: [] },
  { id: 'approvals', label: 'Approvals', key: '2', component: 'Approvals', loads: ['pending', 'working'], refreshOn: [] },
  { id: 'reports', label: 'Reports', key: '3', component: 'Reports', loads: ['report'], refreshOn: [] },
  { id: 'positions', label: 'Positions', key: '4', component: 'Positions', loads: ['positions'], refreshOn: [] },
  { id: 'activity', label: 'Activity', key: '5', component: 'Activity', loads: ['activity'], refreshOn: ['intents:changed', 'fills'] },
  { id: 'lab', label: 'Policy lab', key: '6', component: 'PolicyLab', loads: ['status'], refreshOn: [] },
] as const satisfies readonly ScreenRow[];

export type ScreenId = (typeof SCREEN_REGISTRY)[number]['id'];

/** A screen's row. */
export function screenRow(id: ScreenId): ScreenRow {
  return SCREEN_REGISTRY.find((s) => s.id === id) as ScreenRow;
}

/** The screens' keys as a range, for hints: "1–5". */
export const SCREEN_KEY_RANGE = `${SCREEN_REGISTRY[0].key}–${SCREEN_REGISTRY[SCREEN_REGISTRY.length - 1].key}`;
