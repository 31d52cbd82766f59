// The confirmation before several intents are approved at once: how many, what they add up to, and where the band
// lands once they fill (the what-if preview for exactly these ids). One intent is approved without it. Outside the
// session it says "Stage": the intents are for the next session, and approving holds them until its open.
import { useEffect, useRef, type KeyboardEvent } from 'react';
import { fmtDay, fmtInt, fmtMoney, fmtPct, fmtSignedPt } from '../format';
import { sessionOpen } from '../session';
import { actions, notionalOf, previewFor, useConsole } from '../store';

const COMPUTING = 'computing…';

export function ApproveDialog({ ids }: { ids: string[] }) {
  const pending = useConsole((s) => s.pending);
  const status = useConsole((s) => s.status);
  const preview = useConsole((s) => previewFor(s, ids));
  const busy = useConsole((s) => s.busy);
  const dialogRef = useRef<HTMLDivElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);

  // Focus moves into the dialog (on the confirm button, so Enter confirms) and back where it was when it closes.
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    confirmRef.current?.focus();
    return () => {
      if (before?.isConnected) before.focus();
    };
  }, []);

  const want = new Set(ids);
  const rows = pending.filter((i) => want.has(i.id));
  const notional = rows.reduce((a, i) => a + notionalOf(i), 0);
  const buys = rows.filter((i) => i.side === 'BUY').length;
  const confirm = () => !busy && void actions.approve(ids);
  const open = sessionOpen(status);
  const title = `${open ? 'Approve' : 'Stage'} ${fmtInt(ids.length)} intent${ids.length === 1 ? '' : 's'}`;
  const note = open
    ? 'Each intent becomes an order when approved.'
    : `Each intent is staged when approved: it becomes an order at the open, ${fmtDay(status!.session.date)} ${status!.session.open}, after the same checks against the book of then.`;

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Enter' && !(e.target instanceof HTMLButtonElement)) {
      e.preventDefault();
      confirm();
    } else if (e.key === 'Tab') {
      // aria-modal: Tab cycles through the dialog's own buttons, never into the grid underneath
      const focusable = [...(dialogRef.current?.querySelectorAll<HTMLElement>('button:not(:disabled)') ?? [])];
      if (!focusable.length) return;
      const at = focusable.indexOf(document.activeElement as HTMLElement);
      const next = e.shiftKey ? (at <= 0 ? focusable.length - 1 : at - 1) : at === focusable.length - 1 ? 0 : at + 1;
      focusable[next].focus();
      e.preventDefault();
    }
  };

  return (
    <div className="scrim" onMouseDown={(e) => e.target === e.currentTarget && actions.cancelApprove()}>
      <div
        ref={dialogRef}
        className="dialog wide"
        role="dialog"
        aria-modal="true"
        aria-labelledby="approve-title"
        aria-describedby="approve-desc"
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <div className="body">
          <h2 id="approve-title">{title}</h2>
          <p id="approve-desc" className="muted dialog-note">
            {note}
          </p>
          <dl className="kv">
            <dt>Intents</dt>
            <dd data-testid="approve-count">
              {fmtInt(ids.length)}
              <span className="muted">
                {' '}
                · {fmtInt(buys)} buy · {fmtInt(rows.length - buys)} sell
              </span>
            </dd>
            <dt>Gross notional</dt>
            <dd data-testid="approve-notional">{fmtMoney(notional)}</dd>
          </dl>
          <table className="whatif" aria-label="Band after these intents fill" aria-busy={preview ? undefined : true}>
            <thead>
              <tr>
                <th scope="col">What-if</th>
                <th scope="col" className="num">
                  Allowed
                </th>
                <th scope="col" className="num">
                  Now
                </th>
                <th scope="col" className="num">
                  After
                </th>
                <th scope="col" className="num">
                  Change
                </th>
              </tr>
            </thead>
            <tbody>
              <BandRow
                label="LT long %"
                allowed={status ? `${fmtPct(status.long_pct_range[0])} – ${fmtPct(status.long_pct_range[1])}` : '—'}
                now={status?.long_pct ?? null}
                after={preview ? preview.long_pct : undefined}
                ok={(v) => !status || (v >= status.long_pct_range[0] && v <= status.long_pct_range[1])}
              />
              <BandRow
                label="LT short %"
                allowed={status ? `${fmtPct(status.short_pct_range[0])} – ${fmtPct(status.short_pct_range[1])}` : '—'}
                now={status?.short_pct ?? null}
                after={preview ? preview.short_pct : undefined}
                ok={(v) => !status || (v >= status.short_pct_range[0] && v <= status.short_pct_range[1])}
              />
              <BandRow
                label="Gross % of equity"
                allowed={status ? `cap ${fmtPct(status.hard_cap_gross_pct)}` : '—'}
                now={status?.gross_pct ?? null}
                after={preview ? preview.gross_pct : undefined}
                ok={(v) => !status || v <= status.hard_cap_gross_pct}
              />
            </tbody>
          </table>
        </div>
        <div className="foot">
          <button type="button" className="btn ghost" onClick={() => actions.cancelApprove()}>
            Cancel
          </button>
          <button ref={confirmRef} type="button" className="btn primary" disabled={busy} onClick={confirm}>
            {title}
          </button>
        </div>
      </div>
    </div>
  );
}

/** One line of the band before → after; `after` is undefined while the preview is computed, null with no exposure. */
function BandRow({ label, allowed, now, after, ok }: { label: string; allowed: string; now: number | null; after: number | null | undefined; ok: (v: number) => boolean }) {
  const cls = after === undefined ? 'faint' : after === null ? '' : ok(after) ? 'pos' : 'neg';
  return (
    <tr>
      <th scope="row">{label}</th>
      <td className="num muted">{allowed}</td>
      <td className="num">{fmtPct(now)}</td>
      <td className={`num after ${cls}`}>{after === undefined ? COMPUTING : fmtPct(after)}</td>
      <td className="num muted">{after === undefined ? '' : fmtSignedPt(after === null || now === null ? null : after - now)}</td>
    </tr>
  );
}
