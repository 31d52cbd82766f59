// The console's state (zustand): what the screens show, refreshed from the main process on demand and on push events.
import { create } from 'zustand';
import { SCREENS, type BandApi, type ScreenId } from '../../shared/contract';
import type {
  AppStatus,
  AuditRow,
  BandPoint,
  BandPreview,
  CycleLogRow,
  IntentOutcome,
  IntentView,
  PositionView,
  QuarantinedEvent,
  ReportView,
} from '../../shared/types';
import { call, pickApi, UNREACHABLE, type LinkState, type Transport } from './api';
import { calendarOf, latestTradingDay, stepTradingDays } from './calendar';
import { dateIn, fmtInt } from './format';
import { askPermission, notifyPermission, readMuted, showIntentsNotification, writeMuted, type NotifyPermission } from './notify';
import { readPref, writePref } from './prefs';

export type Screen = ScreenId;
export type Range = '1D' | '1W' | '1M' | 'ALL';
export interface Toast {
  id: number;
  kind: 'ok' | 'error' | 'info';
  text: string;
}

export interface ConsoleState {
  api: BandApi | null;
  transport: Transport;
  link: LinkState;
  /** Since when the link has been down (epoch ms), after it was up once; null while it is up. */
  linkDownSince: number | null;
  status: AppStatus | null;
  /** Local clock, ticks every second. */
  now: number;
  pending: IntentView[];
  pendingLoadedAt: number;
  /** Orders at the broker: APPROVED or WORKING intents. */
  working: IntentView[];
  selected: string[];
  preview: BandPreview | null;
  /** The ids `preview` was computed for (it lags `selected` while a new preview is on its way). */
  previewIds: string[];
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
  toasts: Toast[];
  busy: boolean;
  rejectDialog: { ids: string[] } | null;
  approveDialog: { ids: string[] } | null;
  /** Asking a reason to cancel working orders: these ids, or every working order ('all'). */
  cancelDialog: { target: string[] | 'all' } | null;
  /** Browser notifications for new intents (the browser host only; Electron's main process notifies itself). */
  notify: { permission: NotifyPermission; muted: boolean };
}

/** The intent statuses of an order at the broker. */
export const WORKING_STATUSES: readonly IntentView['status'][] = ['APPROVED', 'WORKING'];

let toastSeq = 0;
let workingSeq = 0;

const RANGE_KEY = 'band.range';
const RANGES: readonly Range[] = ['1D', '1W', '1M', 'ALL'];
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
  now: Date.now(),
  pending: [],
  pendingLoadedAt: 0,
  working: [],
  selected: [],
  preview: null,
  previewIds: [],
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
  toasts: [],
  busy: false,
  rejectDialog: null,
  approveDialog: null,
  cancelDialog: null,
  notify: { permission: notifyPermission(), muted: readMuted() },
}));

const set = useConsole.setState;
const get = useConsole.getState;

function api(): BandApi {
  const a = get().api;
  if (!a) throw new Error('not connected');
  return a;
}

export function toast(kind: Toast['kind'], text: string): void {
  const id = ++toastSeq;
  set((s) => ({ toasts: [...s.toasts.slice(-3), { id, kind, text }] }));
  // Long messages (an approval refused after the close, a superseded intent) stay long enough to be read.
  const base = kind === 'error' ? 8000 : 4000;
  setTimeout(() => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })), Math.min(15_000, Math.max(base, 2000 + text.length * 50)));
}

/**
 * A status from the main process. The working orders follow when their count moved (an order ended at the close, was
 * canceled elsewhere), and the positions when the stale symbols changed (a line imported, a first tick for it).
 */
function setStatus(status: AppStatus): void {
  const before = get().status;
  set({ status });
  if (status.working_intents !== get().working.length || (before && before.working_intents !== status.working_intents)) {
    void actions.refreshWorking();
  }
  if (before && !sameIds(before.stale_prices, status.stale_prices)) void actions.refreshPositions();
  // The queue follows the count too (the status is polled): a push lost on the way never leaves it silently stale.
  const st = get();
  if (st.pendingLoadedAt && status.pending_intents !== st.pending.length && (!before || before.pending_intents !== status.pending_intents)) {
    void actions.refreshPending();
  }
}

async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    const message = (e as Error).message;
    // While the host is unreachable the header says so (and since when): no toast every poll.
    if (!message.startsWith(UNREACHABLE) || get().link === 'up') toast('error', `${what}: ${message}`);
    return undefined;
  }
}

/** The screen on show (the hash route). */
export function currentScreen(): Screen {
  const h = window.location.hash.replace(/^#\/?/, '');
  return SCREENS.find((s) => s === h) ?? 'overview';
}

export const actions = {
  async refreshStatus() {
    const status = await guarded('Status', () => call(api(), 'app:status'));
    if (status) {
      setStatus(status);
      // the report opens on the latest trading day: today, or the last session on a weekend or a holiday
      if (!get().reportDate) set({ reportDate: latestTradingDay(dateIn(status.now, status.timezone), calendarOf(status)) });
    }
  },
  /**
   * Everything afresh: the status, the queue, the working orders and the screen on show. After app:resync (the host
   * could not replay what this page missed) and whenever the push connection comes back.
   */
  async resync() {
    await Promise.all([actions.refreshStatus(), actions.refreshPending(), actions.refreshWorking(), actions.refreshScreen(currentScreen())]);
  },
  /** What a screen shows, fetched afresh (also its error boundary's "Try again"). */
  refreshScreen(screen: Screen): Promise<unknown> {
    switch (screen) {
      case 'overview':
        return Promise.all([actions.refreshPositions(), actions.refreshHistory(), actions.refreshCycles()]);
      case 'approvals':
        return Promise.all([actions.refreshPending(), actions.refreshWorking()]);
      case 'reports':
        return actions.refreshReport();
      case 'positions':
        return actions.refreshPositions();
      case 'activity':
        return actions.refreshActivity();
    }
  },
  /** Asks the browser for notifications (from a click in the header) and unmutes them. */
  async enableNotifications() {
    const permission = await askPermission();
    writeMuted(false);
    set({ notify: { permission, muted: false } });
    if (permission === 'denied') toast('info', 'Notifications are blocked for this page: allow them in the browser\'s site settings');
  },
  setMuted(muted: boolean) {
    writeMuted(muted);
    set({ notify: { permission: notifyPermission(), muted } });
  },
  async refreshPending() {
    const pending = await guarded('Approval queue', () => call(api(), 'intents:list', { status: 'PENDING', limit: 100_000 }));
    if (!pending) return;
    const ids = new Set(pending.map((i) => i.id));
    const before = get().selected;
    const selected = before.filter((id) => ids.has(id));
    // An open confirmation follows the queue too: it must never approve what has meanwhile left it.
    const dialog = get().approveDialog;
    const approveIds = dialog?.ids.filter((id) => ids.has(id)) ?? [];
    const approveDialog = dialog && approveIds.length ? { ids: approveIds } : null;
    set({ pending, pendingLoadedAt: Date.now(), selected, approveDialog });
    if (selected.length !== before.length || selected.length === 0) void actions.refreshPreview(selected);
  },
  /** The working orders (APPROVED and WORKING intents), oldest first; returns what this call read. */
  async refreshWorking(): Promise<IntentView[] | undefined> {
    const a = api();
    const seq = ++workingSeq;
    const lists = await guarded('Working orders', () =>
      Promise.all(WORKING_STATUSES.map((status) => call(a, 'intents:list', { status, limit: 100_000 }))),
    );
    if (!lists) return undefined;
    const working = lists.flat().sort((x, y) => x.created_at - y.created_at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    // several refreshes may be in flight (a push, the status poll, an approval): only the latest one's answer is shown
    if (seq !== workingSeq) return working;
    // An open cancel dialog follows the list: it never names an order that has meanwhile filled or ended (unless
    // its own cancel is under way: that is what took the order off the list).
    const dialog = get().cancelDialog;
    let cancelDialog = dialog;
    if (dialog && dialog.target !== 'all' && !get().busy) {
      const ids = new Set(working.map((i) => i.id));
      const left = dialog.target.filter((id) => ids.has(id));
      cancelDialog = left.length ? (left.length === dialog.target.length ? dialog : { target: left }) : null;
      if (!left.length) toast('info', 'Nothing left to cancel: the order is no longer working (filled or ended)');
    }
    set({ working, cancelDialog });
    return working;
  },
  setSelected(ids: string[]) {
    set({ selected: ids });
    void actions.refreshPreview(ids);
  },
  async refreshPreview(ids: string[] = get().selected) {
    if (ids.length === 0) {
      set({ preview: null, previewIds: [] });
      return;
    }
    const preview = await guarded('Preview', () => call(api(), 'intents:preview', { ids }));
    if (preview && sameIds(ids, get().selected)) set({ preview, previewIds: ids });
  },
  /** Approves one intent at once; several only after the trader confirms them in a dialog. */
  askApprove(ids: string[]) {
    if (ids.length === 0 || get().busy) return;
    if (ids.length === 1) {
      void actions.approve(ids);
      return;
    }
    set({ approveDialog: { ids } });
    if (!sameIds(ids, get().previewIds)) void actions.refreshPreview(ids);
  },
  cancelApprove() {
    set({ approveDialog: null });
  },
  async approve(ids: string[]) {
    if (ids.length === 0) return;
    set({ busy: true, approveDialog: null });
    const out = await guarded('Approve', () => call(api(), 'intents:approve', { ids }));
    set({ busy: false });
    if (out) {
      reportOutcomes('Approved', out);
      reportClamped(out);
    }
    await Promise.all([actions.refreshPending(), actions.refreshStatus(), actions.refreshWorking()]);
  },
  askReject(ids: string[]) {
    if (ids.length) set({ rejectDialog: { ids } });
  },
  cancelReject() {
    set({ rejectDialog: null });
  },
  async reject(ids: string[], reason: string) {
    set({ busy: true });
    const out = await guarded('Reject', () => call(api(), 'intents:reject', { ids, reason }));
    set({ busy: false });
    if (out) {
      set({ rejectDialog: null });
      reportOutcomes('Rejected', out);
    }
    await Promise.all([actions.refreshPending(), actions.refreshStatus()]);
  },
  /** Asks a reason before working orders are canceled: these ids, or every working order. */
  askCancel(target: string[] | 'all') {
    if (target === 'all' || target.length) set({ cancelDialog: { target } });
  },
  closeCancel() {
    set({ cancelDialog: null });
  },
  async cancelOrders(target: string[] | 'all', reason: string) {
    set({ busy: true });
    const out = await guarded('Cancel', () => call(api(), 'intents:cancel', target === 'all' ? { all: true, reason } : { ids: target, reason }));
    set({ busy: false });
    if (out) {
      set({ cancelDialog: null });
      if (out.length === 0) toast('info', 'No working orders to cancel');
      else reportOutcomes('Canceled', out, 'order');
    }
    await Promise.all([actions.refreshWorking(), actions.refreshStatus()]);
  },
  async halt() {
    const status = await guarded('Halt', () => call(api(), 'engine:halt', { reason: 'halted from the console' }));
    if (status) {
      setStatus(status);
      toast('info', 'Engine halted: nothing is proposed and no order is sent');
    }
  },
  async resume() {
    const status = await guarded('Resume', () => call(api(), 'engine:resume'));
    if (status) {
      setStatus(status);
      toast('info', 'Engine resumed');
    }
  },
  async evaluate() {
    const r = await guarded('Evaluate', () => call(api(), 'engine:evaluate'));
    if (r) {
      setStatus(r.status);
      toast('info', `Cycle done: ${r.status.status.replace('_', ' ').toLowerCase()}, ${r.created} new intent${r.created === 1 ? '' : 's'}`);
      await actions.refreshPending();
    }
  },
  async setRange(range: Range) {
    set({ range });
    writePref(RANGE_KEY, range);
    await actions.refreshHistory();
  },
  async refreshHistory() {
    const range = get().range;
    const history = await guarded('Band history', () => call(api(), 'bands:history', { range, maxPoints: 1200 }));
    if (history && get().range === range) set({ history });
  },
  async setReportDate(date: string) {
    set({ reportDate: date });
    await actions.refreshReport();
  },
  /** The report date `n` trading days away, in the account calendar (weekends and exchange holidays skipped). */
  async stepReportDate(n: number) {
    const { reportDate, status } = get();
    if (!reportDate || !status) return;
    await actions.setReportDate(stepTradingDays(reportDate, n, calendarOf(status)));
  },
  async refreshReport() {
    const date = get().reportDate;
    if (!date) return;
    const r = await api().invoke('ledger:report', { date });
    if (get().reportDate !== date) return;
    if (r.ok) set({ report: r.data, reportError: null });
    else set({ report: null, reportError: r.error.message });
  },
  async exportReport(format: 'csv' | 'json' | 'text') {
    const date = get().reportDate;
    if (!date) return;
    const r = await guarded('Export', () => call(api(), 'reports:export', { date, format }));
    if (!r) return;
    if (r.saved) {
      toast('ok', `Saved ${r.path ?? r.filename}`);
      return;
    }
    if (get().transport === 'electron') return; // the save dialog was cancelled
    const type = format === 'csv' ? 'text/csv' : format === 'json' ? 'application/json' : 'text/plain';
    const url = URL.createObjectURL(new Blob([r.content], { type: `${type};charset=utf-8` }));
    const a = document.createElement('a');
    a.href = url;
    a.download = r.filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    toast('ok', `Downloaded ${r.filename}`);
  },
  async refreshPositions() {
    const positions = await guarded('Positions', () => call(api(), 'ledger:positions'));
    if (positions) set({ positions, positionsLoaded: true });
  },
  async refreshActivity() {
    const a = api();
    const auditFor = get().auditFor;
    const [allIntents, audit, quarantine, cycles] = await Promise.all([
      guarded('Intent history', () => call(a, 'intents:list', { status: 'ALL', limit: 5000 })),
      guarded('Audit', () => call(a, 'intents:audit', auditFor ? { id: auditFor, limit: 500 } : { limit: 500 })),
      guarded('Quarantine', () => call(a, 'ledger:quarantine', { limit: 500 })),
      guarded('Cycles', () => call(a, 'engine:cycles', { limit: 200 })),
    ]);
    set({
      ...(allIntents ? { allIntents } : {}),
      ...(audit ? { audit } : {}),
      ...(quarantine ? { quarantine } : {}),
      ...(cycles ? { cycles } : {}),
    });
  },
  async refreshCycles() {
    const cycles = await guarded('Cycles', () => call(api(), 'engine:cycles', { limit: 200 }));
    if (cycles) set({ cycles });
  },
  async showAuditFor(id: string | null) {
    set({ auditFor: id });
    const audit = await guarded('Audit', () => call(api(), 'intents:audit', id ? { id, limit: 500 } : { limit: 500 }));
    if (audit && get().auditFor === id) set({ audit });
  },
};

function sameIds(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The what-if preview if it was computed for exactly these ids, else null (not loaded yet). */
export function previewFor(s: ConsoleState, ids: string[]): BandPreview | null {
  return sameIds(s.previewIds, ids) ? s.preview : null;
}

/** An intent's notional as the queue shows it: at its limit price, or at the tick for a market order. */
export function notionalOf(i: IntentView): number {
  return i.qty * (i.limit_price ?? i.tick ?? 0);
}

/**
 * One toast for what went through, one per refusal (up to three) with the main process's own words: the market
 * closed, the hard cap, nothing left to decrease… A superseded intent (the band is back, the position is flat) is
 * no failure: it is told calmly.
 */
function reportOutcomes(verb: string, out: IntentOutcome[], noun = 'intent'): void {
  const ok = out.filter((o) => o.ok);
  const bad = out.filter((o) => !o.ok);
  if (ok.length) toast('ok', `${verb} ${fmtInt(ok.length)} ${noun}${ok.length === 1 ? '' : 's'}`);
  for (const b of bad.slice(0, 3)) toast(b.status === 'SUPERSEDED' ? 'info' : 'error', b.message.includes(b.id) ? b.message : `${b.id}: ${b.message}`);
  if (bad.length > 3) toast('error', `${fmtInt(bad.length - 3)} more refused`);
}

/** An approved decrease may have been clamped to what its position still holds: the outcome says so. */
function reportClamped(out: IntentOutcome[]): void {
  const clamped = out.filter((o) => o.ok && o.message.includes('qty clamped'));
  for (const o of clamped.slice(0, 3)) {
    // "approved (qty clamped from 60 to 30 at approval: …); order o-… working at paper"
    const m = o.message;
    const why = m.slice(m.indexOf('qty clamped'), m.lastIndexOf('); order') > 0 ? m.lastIndexOf('); order') : m.length);
    toast('info', `${o.id}: ${why}`);
  }
  if (clamped.length > 3) toast('info', `${fmtInt(clamped.length - 3)} more approved with a clamped qty (see the audit trail)`);
}

/** Connects to the main process and keeps the state fresh. Returns a disposer. */
export function connect(): () => void {
  const { api: a, transport } = pickApi({
    onLink(link) {
      const st = get();
      if (st.link === link) return;
      // "down since" counts from the first moment the link was lost, through the reconnection attempts
      const linkDownSince = link === 'up' ? null : (st.linkDownSince ?? (st.link === 'up' ? Date.now() : null));
      set({ link, linkDownSince });
    },
    onReopen() {
      void actions.resync();
    },
  });
  set({ api: a, transport, notify: { permission: notifyPermission(), muted: readMuted() } });
  const offs = [
    a.listen('status', (status) => setStatus(status)),
    a.listen('intents:new', (p) => {
      toast('info', `${p.count} new corrective intent${p.count === 1 ? '' : 's'} awaiting approval`);
      void actions.refreshPending().then(() => {
        // In Electron the main process raises the desktop notification: never two.
        if (get().transport === 'browser') showIntentsNotification(p.count, get().pending.length);
      });
    }),
    // The host could not replay what this page missed (it restarted, or the page was away too long).
    a.listen('app:resync', () => void actions.resync()),
    a.listen('intents:changed', () => {
      void actions.refreshPending();
      void actions.refreshWorking();
      if (window.location.hash.startsWith('#/activity')) void actions.refreshActivity();
    }),
    a.listen('fills', (p) => {
      toast('info', `${p.count} fill${p.count === 1 ? '' : 's'} booked for ${p.date}`);
      void actions.refreshPositions();
      void actions.refreshWorking();
      if (get().reportDate === p.date) void actions.refreshReport();
      if (window.location.hash.startsWith('#/activity')) void actions.refreshActivity();
    }),
    a.listen('config:error', (p) => {
      if (p.messages.length) toast('error', `risk_rules.yaml is invalid, controller suspended: ${p.messages[0]}`);
    }),
    // The desktop menu's screen items go where the keys 1-5 go, and like them do nothing underneath an open dialog.
    a.listen('app:navigate', (p) => {
      if (!get().rejectDialog && !get().approveDialog && !get().cancelDialog) window.location.hash = `#/${p.screen}`;
    }),
  ];
  void actions.refreshStatus().then(() => actions.refreshReport());
  // the permission may have changed in the browser's site settings meanwhile
  const onFocus = () => {
    const permission = notifyPermission();
    if (permission !== get().notify.permission) set({ notify: { ...get().notify, permission } });
  };
  window.addEventListener('focus', onFocus);
  void actions.refreshPending();
  void actions.refreshWorking();
  void actions.refreshHistory();
  void actions.refreshPositions();
  const clock = setInterval(() => set({ now: Date.now() }), 1000);
  const poll = setInterval(() => void actions.refreshStatus(), 10_000);
  return () => {
    offs.forEach((off) => off());
    window.removeEventListener('focus', onFocus);
    clearInterval(clock);
    clearInterval(poll);
  };
}
