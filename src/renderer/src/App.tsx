import { useEffect, useState } from 'react';
import { SCREENS } from '../../shared/screens';
import { ApproveDialog } from './components/ApproveDialog';
import { ErrorBoundary } from './components/ErrorBoundary';
import { CancelDialog, RejectDialog } from './components/ReasonDialog';
import { Header } from './components/Header';
import { fmtInt } from './format';
import { Activity } from './screens/Activity';
import { Approvals } from './screens/Approvals';
import { Overview } from './screens/Overview';
import { Positions } from './screens/Positions';
import { Reports } from './screens/Reports';
import type { AppStatus } from '../../shared/types';
import { actions, useConsole, type Screen } from './store';

const LABELS: Record<Screen, string> = {
  overview: 'Overview',
  approvals: 'Approvals',
  reports: 'Reports',
  positions: 'Positions',
  activity: 'Activity',
};

/** What each screen fetches when it opens: "Try again" on a screen that failed fetches it afresh. */
const RELOAD: Record<Screen, () => Promise<unknown>> = {
  overview: () => Promise.all([actions.refreshPositions(), actions.refreshHistory(), actions.refreshCycles()]),
  approvals: () => actions.refreshPending(),
  reports: () => actions.refreshReport(),
  positions: () => actions.refreshPositions(),
  activity: () => actions.refreshActivity(),
};

function screenFromHash(): Screen {
  const h = window.location.hash.replace(/^#\/?/, '');
  return SCREENS.find((s) => s === h) ?? 'overview';
}

function ScreenView({ screen }: { screen: Screen }) {
  switch (screen) {
    case 'overview':
      return <Overview />;
    case 'approvals':
      return <Approvals />;
    case 'reports':
      return <Reports />;
    case 'positions':
      return <Positions />;
    case 'activity':
      return <Activity />;
  }
}

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el) return false;
  // a row's selection checkbox takes no text: A and R still act on the selection it just changed
  if (el instanceof HTMLInputElement) return el.type !== 'checkbox';
  return el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

export function App() {
  const [screen, setScreen] = useState<Screen>(screenFromHash);
  const pendingCount = useConsole((s) => s.pending.length);
  const status = useConsole((s) => s.status);
  const dialog = useConsole((s) => s.rejectDialog);
  const approveDialog = useConsole((s) => s.approveDialog);
  const cancelDialog = useConsole((s) => s.cancelDialog);

  useEffect(() => {
    const on = () => setScreen(screenFromHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);

  // Keyboard: 1-5 switch screens; on Approvals A approves (several after a confirmation) and R rejects the selection,
  // Ctrl+A selects all, Esc closes a dialog or clears the selection. Nothing acts underneath an open dialog.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const st = useConsole.getState();
      if (e.key === 'Escape') {
        if (st.approveDialog) actions.cancelApprove();
        else if (st.rejectDialog) actions.cancelReject();
        else if (st.cancelDialog) actions.closeCancel();
        else if (screen === 'approvals') actions.setSelected([]);
        return;
      }
      if (isTyping(e.target) || st.rejectDialog || st.approveDialog || st.cancelDialog || e.altKey || e.metaKey) return;
      if (!e.ctrlKey && /^[1-5]$/.test(e.key)) {
        window.location.hash = `#/${SCREENS[Number(e.key) - 1]}`;
        e.preventDefault();
        return;
      }
      if (screen !== 'approvals') return;
      if (e.ctrlKey && e.key.toLowerCase() === 'a') {
        actions.setSelected(st.pending.map((i) => i.id));
        e.preventDefault();
      } else if (!e.ctrlKey && e.key.toLowerCase() === 'a' && st.selected.length && !st.busy) {
        actions.askApprove(st.selected);
        e.preventDefault();
      } else if (!e.ctrlKey && e.key.toLowerCase() === 'r' && st.selected.length) {
        actions.askReject(st.selected);
        e.preventDefault();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [screen]);

  return (
    <div className="app">
      <Header />
      <div>
        <nav className="nav" aria-label="Screens">
          {SCREENS.map((id, i) => (
            <a key={id} href={`#/${id}`} aria-current={screen === id ? 'page' : undefined} title={`${LABELS[id]} (${i + 1})`}>
              {LABELS[id]}
              {id === 'approvals' && pendingCount > 0 ? <span className="badge" aria-hidden="true">{fmtInt(pendingCount)}</span> : null}
            </a>
          ))}
          <span className="spacer" />
          <span className="hint">
            <kbd>1</kbd>–<kbd>5</kbd> screens
          </span>
        </nav>
        {status && !status.config.valid ? (
          <div className="banner bad" role="alert">
            {configBanner(status.config)}
          </div>
        ) : null}
        {status?.mode === 'HALTED' ? (
          <div className="banner bad" role="status">
            HALTED — the kill switch is on: nothing is proposed and no order is sent.
            {status.orders_held > 0 ? (
              <strong data-testid="orders-held">
                {' '}
                {fmtInt(status.orders_held)} order{status.orders_held === 1 ? '' : 's'} held until resume.
              </strong>
            ) : null}{' '}
            Press Resume to continue.
          </div>
        ) : status?.mode === 'DERISK' ? (
          <div className="banner warn" role="status">
            DERISK — global gross is over the hard cap; the band controller is paused.
          </div>
        ) : null}
      </div>
      <main style={{ minHeight: 0, display: 'grid' }}>
        {/* keyed on the screen: leaving a failed screen and coming back renders it afresh */}
        <ErrorBoundary key={screen} screen={LABELS[screen]} reload={RELOAD[screen]}>
          <ScreenView screen={screen} />
        </ErrorBoundary>
      </main>
      {dialog ? <RejectDialog ids={dialog.ids} /> : null}
      {approveDialog ? <ApproveDialog ids={approveDialog.ids} /> : null}
      {cancelDialog ? <CancelDialog target={cancelDialog.target} /> : null}
      <Toasts />
    </div>
  );
}

/** Which config is in force while the file on disk is invalid, and what that means for the desk. */
function configBanner(c: AppStatus['config']): string {
  const errors = c.messages.length ? `: ${c.messages.slice(0, 3).join(' · ')}${c.messages.length > 3 ? ` (+${c.messages.length - 3} more)` : ''}` : '';
  if (c.in_force === 'none') return `risk_rules.yaml is invalid — nothing is proposed or approved until it is fixed${errors}`;
  if (c.in_force === 'last-valid') {
    return `risk_rules.yaml is invalid — the band controller is suspended; the last valid config stays in force (equity, cap, calendar)${errors}`;
  }
  return `risk_rules.yaml is invalid — the band controller is suspended until it is fixed${errors}`;
}

function Toasts() {
  const toasts = useConsole((s) => s.toasts);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
