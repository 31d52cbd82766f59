import { useEffect, useRef, useState } from 'react';
import { Header } from './components/Header';
import { fmtInt } from './format';
import { Activity } from './screens/Activity';
import { Approvals } from './screens/Approvals';
import { Overview } from './screens/Overview';
import { Positions } from './screens/Positions';
import { Reports } from './screens/Reports';
import { actions, useConsole, type Screen } from './store';

const SCREENS: { id: Screen; label: string }[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'approvals', label: 'Approvals' },
  { id: 'reports', label: 'Reports' },
  { id: 'positions', label: 'Positions' },
  { id: 'activity', label: 'Activity' },
];

function screenFromHash(): Screen {
  const h = window.location.hash.replace(/^#\/?/, '');
  return (SCREENS.find((s) => s.id === h)?.id ?? 'overview') as Screen;
}

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function App() {
  const [screen, setScreen] = useState<Screen>(screenFromHash);
  const pendingCount = useConsole((s) => s.pending.length);
  const status = useConsole((s) => s.status);
  const dialog = useConsole((s) => s.rejectDialog);

  useEffect(() => {
    const on = () => setScreen(screenFromHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);

  // Keyboard: 1-5 switch screens; on Approvals A approves and R rejects the selection, Ctrl+A selects all, Esc clears.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const st = useConsole.getState();
      if (e.key === 'Escape') {
        if (st.rejectDialog) actions.cancelReject();
        else if (screen === 'approvals') actions.setSelected([]);
        return;
      }
      if (isTyping(e.target) || st.rejectDialog || e.altKey || e.metaKey) return;
      if (!e.ctrlKey && /^[1-5]$/.test(e.key)) {
        window.location.hash = `#/${SCREENS[Number(e.key) - 1].id}`;
        e.preventDefault();
        return;
      }
      if (screen !== 'approvals') return;
      if (e.ctrlKey && e.key.toLowerCase() === 'a') {
        actions.setSelected(st.pending.map((i) => i.id));
        e.preventDefault();
      } else if (!e.ctrlKey && e.key.toLowerCase() === 'a' && st.selected.length && !st.busy) {
        void actions.approve(st.selected);
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
          {SCREENS.map((s, i) => (
            <a key={s.id} href={`#/${s.id}`} aria-current={screen === s.id ? 'page' : undefined} title={`${s.label} (${i + 1})`}>
              {s.label}
              {s.id === 'approvals' && pendingCount > 0 ? <span className="badge" aria-hidden="true">{fmtInt(pendingCount)}</span> : null}
            </a>
          ))}
          <span className="spacer" />
          <span className="hint">
            <kbd>1</kbd>–<kbd>5</kbd> screens
          </span>
        </nav>
        {status && !status.config.valid ? (
          <div className="banner bad" role="alert">
            risk_rules.yaml is invalid — the band controller is suspended until it is fixed: {status.config.messages.slice(0, 3).join(' · ')}
          </div>
        ) : null}
        {status?.mode === 'HALTED' ? (
          <div className="banner bad" role="status">
            HALTED — the kill switch is on: nothing is proposed and no order is sent. Press Resume to continue.
          </div>
        ) : status?.mode === 'DERISK' ? (
          <div className="banner warn" role="status">
            DERISK — global gross is over the hard cap; the band controller is paused.
          </div>
        ) : null}
      </div>
      <main style={{ minHeight: 0, display: 'grid' }}>
        {screen === 'overview' && <Overview />}
        {screen === 'approvals' && <Approvals />}
        {screen === 'reports' && <Reports />}
        {screen === 'positions' && <Positions />}
        {screen === 'activity' && <Activity />}
      </main>
      {dialog ? <RejectDialog ids={dialog.ids} /> : null}
      <Toasts />
    </div>
  );
}

function RejectDialog({ ids }: { ids: string[] }) {
  const [reason, setReason] = useState('');
  const busy = useConsole((s) => s.busy);
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => ref.current?.focus(), []);
  const ok = reason.trim().length > 0;
  const submit = () => ok && !busy && void actions.reject(ids, reason.trim());
  return (
    <div className="scrim" onMouseDown={(e) => e.target === e.currentTarget && actions.cancelReject()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="reject-title">
        <div className="body">
          <h2 id="reject-title">
            Reject {ids.length === 1 ? `intent ${ids[0]}` : `${fmtInt(ids.length)} intents`}
          </h2>
          <label htmlFor="reject-reason" className="muted" style={{ fontSize: 12 }}>
            Reason (recorded in the audit trail)
          </label>
          <textarea
            id="reject-reason"
            ref={ref}
            rows={3}
            maxLength={500}
            aria-label="Reject reason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                submit();
              }
            }}
            placeholder="e.g. earnings tomorrow, hold until after the print"
          />
        </div>
        <div className="foot">
          <button type="button" className="btn ghost" onClick={() => actions.cancelReject()}>
            Cancel
          </button>
          <button type="button" className="btn danger" disabled={!ok || busy} onClick={submit}>
            Confirm reject
          </button>
        </div>
      </div>
    </div>
  );
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
