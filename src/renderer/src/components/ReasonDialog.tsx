// A decision that needs a reason for the audit trail: rejecting intents, canceling working orders. One dialog for
// both, with the console's dialog rules: focus moves into it (the reason) and back where it was when it closes, Tab
// stays inside, Esc closes it (App's key handler), Enter confirms (Shift+Enter is a new line), and the global keys
// (1-5, A, R) do nothing underneath while it is open.
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { IntentView } from '../../../shared/types';
import { fmtInt, fmtPrice } from '../format';
import { actions, useConsole } from '../store';

interface ReasonDialogProps {
  /** Prefix of the element ids (`<name>-title`, `<name>-reason`). */
  name: string;
  title: string;
  note?: ReactNode;
  /** The reason field's accessible name, e.g. "Reject reason". */
  field: string;
  placeholder: string;
  confirm: string;
  dismiss: string;
  busy: boolean;
  onConfirm: (reason: string) => void;
  onDismiss: () => void;
  children?: ReactNode;
  wide?: boolean;
}

function ReasonDialog(p: ReasonDialogProps) {
  const [reason, setReason] = useState('');
  const dialogRef = useRef<HTMLDivElement>(null);
  const fieldRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    fieldRef.current?.focus();
    return () => {
      if (before?.isConnected && before !== document.body) before.focus();
    };
  }, []);

  const ok = reason.trim().length > 0;
  const submit = () => {
    if (ok && !p.busy) p.onConfirm(reason.trim());
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'Tab') return;
    // aria-modal: Tab cycles through the dialog's own controls, never into the screen underneath
    const focusable = [...(dialogRef.current?.querySelectorAll<HTMLElement>('textarea, button:not(:disabled)') ?? [])];
    if (!focusable.length) return;
    const at = focusable.indexOf(document.activeElement as HTMLElement);
    const next = e.shiftKey ? (at <= 0 ? focusable.length - 1 : at - 1) : at === focusable.length - 1 ? 0 : at + 1;
    focusable[next].focus();
    e.preventDefault();
  };

  return (
    <div className="scrim" onMouseDown={(e) => e.target === e.currentTarget && p.onDismiss()}>
      <div
        ref={dialogRef}
        className={`dialog${p.wide ? ' wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${p.name}-title`}
        aria-describedby={p.note ? `${p.name}-note` : undefined}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <div className="body">
          <h2 id={`${p.name}-title`}>{p.title}</h2>
          {p.note ? (
            <p id={`${p.name}-note`} className="muted dialog-note">
              {p.note}
            </p>
          ) : null}
          {p.children}
          <label htmlFor={`${p.name}-reason`} className="muted text-sm">
            Reason (recorded in the audit trail)
          </label>
          <textarea
            id={`${p.name}-reason`}
            ref={fieldRef}
            rows={3}
            maxLength={500}
            aria-label={p.field}
            aria-required="true"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                submit();
              }
            }}
            placeholder={p.placeholder}
          />
        </div>
        <div className="foot">
          <button type="button" className="btn ghost" onClick={p.onDismiss}>
            {p.dismiss}
          </button>
          <button type="button" className="btn danger" disabled={!ok || p.busy} onClick={submit}>
            {p.confirm}
          </button>
        </div>
      </div>
    </div>
  );
}

export function RejectDialog({ ids }: { ids: string[] }) {
  const busy = useConsole((s) => s.busy);
  return (
    <ReasonDialog
      name="reject"
      title={`Reject ${ids.length === 1 ? `intent ${ids[0]}` : `${fmtInt(ids.length)} intents`}`}
      field="Reject reason"
      placeholder="e.g. earnings tomorrow, hold until after the print"
      confirm="Confirm reject"
      dismiss="Cancel"
      busy={busy}
      onConfirm={(reason) => void actions.reject(ids, reason)}
      onDismiss={() => actions.cancelReject()}
    />
  );
}

const LISTED = 6;

/** Cancels working orders at the broker (these ids, or every working one) once a reason is given. */
export function CancelDialog({ target }: { target: string[] | 'all' }) {
  const busy = useConsole((s) => s.busy);
  const working = useConsole((s) => s.working);
  const want = target === 'all' ? null : new Set(target);
  const rows = want ? working.filter((i) => want.has(i.id)) : working;
  const n = target === 'all' ? rows.length : target.length;
  // staged orders (approved before their session) have not reached the broker: canceling one keeps it from the open
  const staged = rows.length > 0 && rows.every((i) => i.status === 'STAGED');
  const kind = staged ? 'staged' : 'working';
  const title =
    target === 'all'
      ? `Cancel all working orders (${fmtInt(n)})`
      : n === 1
        ? `Cancel ${kind} order ${target[0]}`
        : `Cancel ${fmtInt(n)} ${kind} orders`;
  const note =
    target === 'all'
      ? 'Every order still working at the broker is canceled, including one approved meanwhile, and every staged one is not released at the open. What has filled stays filled.'
      : staged
        ? `The order${n === 1 ? ' is' : 's are'} not released at the open: nothing reaches the broker.`
        : `The order${n === 1 ? ' is' : 's are'} canceled at the broker. What has filled stays filled.`;
  return (
    <ReasonDialog
      name="cancel"
      wide
      title={title}
      note={note}
      field="Cancel reason"
      placeholder="e.g. news out, the band can wait until tomorrow"
      confirm="Confirm cancel"
      dismiss="Keep working"
      busy={busy}
      onConfirm={(reason) => void actions.cancelOrders(target, reason)}
      onDismiss={() => actions.closeCancel()}
    >
      {rows.length ? <OrderList rows={rows} /> : null}
    </ReasonDialog>
  );
}

function OrderList({ rows }: { rows: IntentView[] }) {
  const shown = rows.slice(0, LISTED);
  return (
    <table className="whatif orders" aria-label="Orders to cancel">
      <thead>
        <tr>
          <th scope="col">Symbol</th>
          <th scope="col">Side</th>
          <th scope="col" className="num">
            Qty
          </th>
          <th scope="col" className="num">
            Filled
          </th>
          <th scope="col" className="num">
            Limit
          </th>
        </tr>
      </thead>
      <tbody>
        {shown.map((i) => (
          <tr key={i.id}>
            <th scope="row" className="strong">
              {i.symbol}
            </th>
            <td className={`side-${i.side}`}>{i.side}</td>
            <td className="num">{fmtInt(i.qty)}</td>
            <td className="num">{fmtInt(i.filled_qty)}</td>
            <td className="num">{i.limit_price === null ? 'MKT' : fmtPrice(i.limit_price)}</td>
          </tr>
        ))}
        {rows.length > LISTED ? (
          <tr>
            <td colSpan={5} className="muted">
              and {fmtInt(rows.length - LISTED)} more
            </td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
}
