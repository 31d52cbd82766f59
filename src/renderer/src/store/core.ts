// The console's state (zustand): its shape, the store itself and the helpers every slice shares (the API, toasts,
// errors). The slices (engine, queue, views) hold the actions; ../store.ts puts them together.
import { create } from 'zustand';
import type { BandApi, ConfigCheck, ReplayRun } from '../../../shared/contract';
import type { ApprovePolicy } from '../../../shared/replay';
import type { ScreenId } from '../../../shared/screens';
import type { AppStatus, AuditRow, BandPoint, BandPreview, CycleLogRow, IntentView, PositionView, QuarantinedEvent, ReportView } from '../../../shared/types';
import { UNREACHABLE, type LinkState, type Transport } from '../api';
import { processNow } from '../clock';
import { notifyPermission, readMuted, type NotifyPermission } from '../notify';
import { readPref } from '../prefs';
import { errorMessage } from '../../../shared/errors';

export type Screen = ScreenId;
export type Range = '1D' | '1W' | '1M' | 'ALL';
export interface Toast {
  id: number;
  kind: 'ok' | 'error' | 'info';
  text: string;
}

/** One of the Policy lab's two config editors. */
export interface LabEditor {
  text: string;
  /** The last check of `text` (null: not checked yet, or a check on its way). */
  check: ConfigCheck | null;
  /** The text `check` is for. */
  checked: string | null;
}

/** The Policy lab: its inputs, the run on its way and the last comparison. */
export interface LabState {
  /** The live config's text as read when the lab opened (null: unreadable, or not read yet). */
  liveText: string | null;
  loaded: boolean;
  from: string;
  to: string;
  at: string;
  approve: ApprovePolicy;
  a: LabEditor;
  b: LabEditor;
  /** Compare with config B (else A alone). */
  compare: boolean;
  /** A prices file the trader picked (historical ticks, CSV symbol,price,ts). */
  prices: { name: string; text: string } | null;
  running: boolean;
  progress: { done: number; total: number } | null;
  result: ReplayRun | null;
  /** The inputs of `result` (the period, the policy) for its exports' names. */
  ran: { from: string; to: string; at: string; approve: ApprovePolicy } | null;
  error: string | null;
}

export interface ConsoleState {
  // link and engine (slice: engine)
  api: BandApi | null;
  transport: Transport;
  link: LinkState;
  /** Since when the link has been down (epoch ms), after it was up once; null while it is up. */
  linkDownSince: number | null;
  status: AppStatus | null;
  /** The process's time (../clock.ts: the main process's clock, not the browser's), ticks every second. */
  now: number;
  /** Browser notifications for new intents (the browser host only; Electron's main process notifies itself). */
  notify: { permission: NotifyPermission; muted: boolean };
  // the approval queue and the working orders (slice: queue)
  pending: IntentView[];
  pendingLoadedAt: number;
  /** The working orders panel: orders at the broker (APPROVED, WORKING) and staged for their session's open (STAGED). */
  working: IntentView[];
  selected: string[];
  preview: BandPreview | null;
  /** The ids `preview` was computed for (it lags `selected` while a new preview is on its way). */
  previewIds: string[];
  busy: boolean;
  rejectDialog: { ids: string[] } | null;
  approveDialog: { ids: string[] } | null;
  /** Asking a reason to cancel working orders: these ids, or every working order ('all'). */
  cancelDialog: { target: string[] | 'all' } | null;
  // what the screens show (slice: views)
  range: Range;
  history: BandPoint[];
  reportDate: string | null;
  report: ReportView | null;
  reportError: string | null;
  positions: PositionView[];
  /** The positions were read at least once (an empty book is told apart from one still loading). */
  positionsLoaded: boolean;
  allIntents: IntentView[];
  audit: AuditRow[];
  auditFor: string | null;
  quarantine: QuarantinedEvent[];
  cycles: CycleLogRow[];
  // the Policy lab (slice: lab)
  lab: LabState;
  // toasts (here)
  toasts: Toast[];
}

export const RANGE_KEY = 'band.range';
/** The band history's ranges, in the order the Overview offers them. */
export const RANGES: readonly Range[] = ['1D', '1W', '1M', 'ALL'];
/** The band history's range, as the trader last chose it; a month at first, so the first start shows its past. */
function initialRange(): Range {
  const r = readPref(RANGE_KEY);
  return RANGES.find((x) => x === r) ?? '1M';
}

export const useConsole = create<ConsoleState>(() => ({
  api: null,
  transport: 'browser',
  link: 'connecting',
  linkDownSince: null,
  status: null,
  now: processNow(),
  notify: { permission: notifyPermission(), muted: readMuted() },
  pending: [],
  pendingLoadedAt: 0,
  working: [],
  selected: [],
  preview: null,
  previewIds: [],
  busy: false,
  rejectDialog: null,
  approveDialog: null,
  cancelDialog: null,
  range: initialRange(),
  history: [],
  reportDate: null,
  report: null,
  reportError: null,
  positions: [],
  positionsLoaded: false,
  allIntents: [],
  audit: [],
  auditFor: null,
  quarantine: [],
  cycles: [],
  lab: {
    liveText: null,
    loaded: false,
    from: '',
    to: '',
    at: '10:00',
    approve: 'all',
    a: { text: '', check: null, checked: null },
    b: { text: '', check: null, checked: null },
    compare: true,
    prices: null,
    running: false,
    progress: null,
    result: null,
    ran: null,
    error: null,
  },
  toasts: [],
}));

export const set = useConsole.setState;
export const get = useConsole.getState;

/** A real book with no positions yet (not the demo): the screens show how to load one instead of empty tables. */
export function isEmptyBook(s: ConsoleState): boolean {
  return !!s.status && !s.status.demo && s.positionsLoaded && s.positions.length === 0;
}

export function api(): BandApi {
  const a = get().api;
  if (!a) throw new Error('not connected');
  return a;
}

let toastSeq = 0;

export function toast(kind: Toast['kind'], text: string): void {
  const id = ++toastSeq;
  set((s) => ({ toasts: [...s.toasts.slice(-3), { id, kind, text }] }));
  // Long messages (an approval refused after the close, a superseded intent) stay long enough to be read.
  const base = kind === 'error' ? 8000 : 4000;
  setTimeout(() => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })), Math.min(15_000, Math.max(base, 2000 + text.length * 50)));
}

export async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    const message = errorMessage(e);
    // While the host is unreachable the header says so (and since when): no toast every poll.
    if (!message.startsWith(UNREACHABLE) || get().link === 'up') toast('error', `${what}: ${message}`);
    return undefined;
  }
}

export function sameIds(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
