import { useEffect, useState } from 'react';
import { ApproveDialog } from './components/ApproveDialog';
import { ErrorBoundary } from './components/ErrorBoundary';
import { CancelDialog, RejectDialog } from './components/ReasonDialog';
import { Header } from './components/Header';
import { fmtInt } from './format';
import { hasMod, noMod } from './keys';
import { resetLayouts } from './layout';
import { SCREEN_ENTRIES, screenEntry, screenForKey } from './screens/registry';
import type { AppStatus } from '../../shared/types';
import { actions, currentScreen, toast, useConsole, type Screen } from './store';

const TITLE = 'Band Console';

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el) return false;
  // a row's selection checkbox takes no text: A and R still act on the selection it just changed
  if (el instanceof HTMLInputElement) return el.type !== 'checkbox';
  return el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

export function App() {
  const [screen, setScreen] = useState<Screen>(currentScreen);
  const pendingCount = useConsole((s) => s.pending.length);
  const status = useConsole((s) => s.status);
  const dialog = useConsole((s) => s.rejectDialog);
  const approveDialog = useConsole((s) => s.approveDialog);
  const cancelDialog = useConsole((s) => s.cancelDialog);

  useEffect(() => {
    const on = () => setScreen(currentScreen());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);

  // The page title carries the pending count, so a background tab still says that something waits: "(3) Band Console".
  useEffect(() => {
    document.title = pendingCount > 0 ? `(${fmtInt(pendingCount)}) ${TITLE}` : TITLE;
  }, [pendingCount]);

  // Keyboard, by physical key (event.code) so any layout works, with Cmd on macOS where Ctrl is used elsewhere:
  // the screens' digits (1-5) switch screens; on Approvals A approves (several after a confirmation) and R rejects the selection, Cmd/Ctrl+A
  // selects all, Esc closes a dialog or clears the selection; on Reports [ and ] step the date by trading days.
  // Nothing acts underneath an open dialog (its own Enter and Tab are handled inside it).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const st = useConsole.getState();
      const dialogOpen = !!(st.rejectDialog || st.approveDialog || st.cancelDialog);
      if (e.code === 'Escape' || e.key === 'Escape') {
        if (st.approveDialog) actions.cancelApprove();
        else if (st.rejectDialog) actions.cancelReject();
        else if (st.cancelDialog) actions.closeCancel();
        else if (screen === 'approvals' && !isTyping(e.target)) actions.setSelected([]);
        return;
      }
      if (isTyping(e.target) || dialogOpen || e.repeat) return;
      const target = screenForKey(e);
      if (target && noMod(e)) {
        window.location.hash = `#/${target.id}`;
        e.preventDefault();
        return;
      }
      if (screen === 'reports' && noMod(e) && (e.code === 'BracketLeft' || e.code === 'BracketRight')) {
        void actions.stepReportDate(e.code === 'BracketLeft' ? -1 : 1);
        e.preventDefault();
        return;
      }
      if (screen !== 'approvals') return;
      if (e.code === 'KeyA' && hasMod(e) && !e.altKey) {
        actions.setSelected(st.pending.map((i) => i.id));
        e.preventDefault();
      } else if (e.code === 'KeyA' && noMod(e) && !e.shiftKey && st.selected.length && !st.busy) {
        actions.askApprove(st.selected);
        e.preventDefault();
      } else if (e.code === 'KeyR' && noMod(e) && !e.shiftKey && st.selected.length) {
        actions.askReject(st.selected);
        e.preventDefault();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [screen]);

  // A dialog is modal: the console underneath is inert (no focus, no clicks, hidden from assistive technology).
  const modal = !!(dialog || approveDialog || cancelDialog);
  const shown = screenEntry(screen);
  return (
    <div className="app">
      <Header inert={modal} />
      <div inert={modal}>
        <nav className="nav" aria-label="Screens">
          {SCREEN_ENTRIES.map(({ id, label, key }) => (
            <a key={id} href={`#/${id}`} aria-current={screen === id ? 'page' : undefined} title={`${label} (${key})`}>
              {label}
              {id === 'approvals' && pendingCount > 0 ? <span className="badge" aria-hidden="true">{fmtInt(pendingCount)}</span> : null}
            </a>
          ))}
          <span className="spacer" />
          <button
            type="button"
            className="btn ghost sm"
            title="Every grid's columns back to their default widths, order and sort"
            onClick={() => {
              resetLayouts();
              toast('info', 'Grid layouts reset to their defaults');
            }}
          >
            Reset layout
          </button>
          <span className="hint">
            <kbd>{SCREEN_ENTRIES[0].key}</kbd>–<kbd>{SCREEN_ENTRIES[SCREEN_ENTRIES.length - 1].key}</kbd> screens
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
      <main className="main" inert={modal}>
        {/* keyed on the screen: leaving a failed screen and coming back renders it afresh */}
        <ErrorBoundary key={screen} screen={shown.label} reload={() => actions.refreshScreen(screen)}>
          <shown.Component />
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
