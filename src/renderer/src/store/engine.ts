// Slice: the engine and what it proposes — its status (polled and pushed), the kill switch, a cycle on demand, the
// approval queue (pending intents, the selection and its what-if preview, approve and reject) and the working orders
// (cancel). One slice because each side refreshes the other: an approval moves the status, a status moves the queue.
import type { AppStatus, BandPreview, IntentOutcome, IntentView } from '../../../shared/types';
import { call } from '../api';
import { processNow, syncClock } from '../clock';
import { fmtBandStatus, fmtInt } from '../format';
import { api, get, guarded, sameIds, set, toast, type ConsoleState } from './core';
import { viewActions } from './views';

/**
 * The intent statuses of the working orders panel: orders at the broker (APPROVED, WORKING) and orders approved
 * before their session, held until its open (STAGED).
 */
const WORKING_STATUSES: readonly IntentView['status'][] = ['STAGED', 'APPROVED', 'WORKING'];

let workingSeq = 0;

/** Orders the working orders panel lists, by the status's counts: at the broker, and staged for the open. */
const listed = (s: AppStatus) => s.working_intents + (s.staged_intents ?? 0);

/**
 * A status from the main process (`fresh`: the answer to a request; else pushed, maybe replayed): it sets the
 * console's clock (the process's time). The working orders follow when their count moved (an order ended at the
 * close, was canceled elsewhere, a staged one was released at the open), and the positions when the stale symbols
 * changed (a line imported, a first tick for it).
 */
export function setStatus(status: AppStatus, fresh = true): void {
  const before = get().status;
  syncClock(status, fresh);
  set({ status, now: processNow() });
  if (
    listed(status) !== get().working.length ||
    (before && (listed(before) !== listed(status) || before.working_intents !== status.working_intents))
  ) {
    void engineActions.refreshWorking();
  }
  if (before && !sameIds(before.stale_prices, status.stale_prices)) void viewActions.refreshPositions();
  // The queue follows the count too (the status is polled): a push lost on the way never leaves it silently stale.
  const st = get();
  if (st.pendingLoadedAt && status.pending_intents !== st.pending.length && (!before || before.pending_intents !== status.pending_intents)) {
    void engineActions.refreshPending();
  }
}

export const engineActions = {
  async refreshStatus() {
    const status = await guarded('Status', () => call(api(), 'app:status'));
    if (status) {
      setStatus(status);
      if (!get().reportDate) set({ reportDate: defaultReportDate(status) });
    }
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
      toast('info', `Cycle done: ${fmtBandStatus(r.status.status).toLowerCase()}, ${r.created} new intent${r.created === 1 ? '' : 's'}`);
      await engineActions.refreshPending();
    }
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
    set({ pending, pendingLoadedAt: processNow(), selected, approveDialog });
    if (selected.length !== before.length || selected.length === 0) void engineActions.refreshPreview(selected);
  },
  /** The working orders (STAGED, APPROVED and WORKING intents), oldest first; returns what this call read. */
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
    void engineActions.refreshPreview(ids);
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
      void engineActions.approve(ids);
      return;
    }
    set({ approveDialog: { ids } });
    if (!sameIds(ids, get().previewIds)) void engineActions.refreshPreview(ids);
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
    await Promise.all([engineActions.refreshPending(), engineActions.refreshStatus(), engineActions.refreshWorking()]);
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
    await Promise.all([engineActions.refreshPending(), engineActions.refreshStatus()]);
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
    await Promise.all([engineActions.refreshWorking(), engineActions.refreshStatus()]);
  },
};

/**
 * The date the Reports screen opens on: the session of today once it has opened (OPEN, and CLOSED after its close),
 * else the last session (PRE_OPEN, a weekend or a holiday), where the latest fills are.
 */
function defaultReportDate(status: AppStatus): string {
  // after the close the last session is today's own
  return status.session.phase === 'OPEN' ? status.session.date : status.session.last_date;
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
 * no failure: it is told calmly. Intents approved before their session are staged, not sent: the toast says when
 * they are released.
 */
function reportOutcomes(verb: string, out: IntentOutcome[], noun = 'intent'): void {
  const staged = out.filter((o) => o.ok && o.status === 'STAGED');
  const ok = out.filter((o) => o.ok && o.status !== 'STAGED');
  const bad = out.filter((o) => !o.ok);
  const plural = (n: number) => `${fmtInt(n)} ${noun}${n === 1 ? '' : 's'}`;
  if (ok.length) toast('ok', `${verb} ${plural(ok.length)}`);
  if (staged.length) {
    // "approved; staged: the order is released at the open, Mon 2026-12-14 09:30 America/New_York, after the same checks …"
    const when = /released at the open, (.+?), after /.exec(staged[0].message)?.[1];
    toast('ok', `Staged ${plural(staged.length)}: released at the open${when ? `, ${when}` : ''}, after the same checks`);
  }
  for (const b of bad.slice(0, 3)) toast(b.status === 'SUPERSEDED' ? 'info' : 'error', b.message.includes(b.id) ? b.message : `${b.id}: ${b.message}`);
  if (bad.length > 3) toast('error', `${fmtInt(bad.length - 3)} more refused`);
}

/** An approved decrease may have been clamped to what its position still holds: the outcome says so. */
function reportClamped(out: IntentOutcome[]): void {
  const clamped = out.filter((o) => o.ok && o.message.includes('qty clamped'));
  for (const o of clamped.slice(0, 3)) {
    // "approved (qty clamped from 60 to 30 at approval: …); order o-… working at paper" (or "…); staged: …")
    const m = o.message;
    const end = Math.max(m.lastIndexOf('); order'), m.lastIndexOf('); staged'));
    const why = m.slice(m.indexOf('qty clamped'), end > 0 ? end : m.length);
    toast('info', `${o.id}: ${why}`);
  }
  if (clamped.length > 3) toast('info', `${fmtInt(clamped.length - 3)} more approved with a clamped qty (see the audit trail)`);
}
