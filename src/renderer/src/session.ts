// The trading session as the console tells it (docs/spec.md §2): the header's phase ("Open · closes 16:00",
// "Closed · next session Mon 12/14 09:30"), and what approving means outside the session (the intents are for the
// next one: an approval stages them until its open). From the status (the main process computes the phase).
import type { AppStatus, SessionView } from '../../shared/types';
import { fmtDay } from './format';

/** Is the session open now (an approval sends the order) rather than ahead (an approval stages it)? */
export function sessionOpen(status: Pick<AppStatus, 'session'> | null | undefined): boolean {
  return !status || status.session.phase === 'OPEN';
}

function closedWord(s: SessionView): string {
  return s.phase === 'NO_SESSION' && s.closed_for ? `Closed (${s.closed_for})` : 'Closed';
}

/**
 * The header's two parts: the phase (`Closed (weekend)`) and what comes next (`next session Mon 12/14 09:30`); it
 * reads `Open · closes 16:00`, `Pre-open · opens 09:30`, `Closed (weekend) · next session Mon 12/14 09:30`.
 */
export function sessionParts(s: SessionView): { phase: string; next: string } {
  switch (s.phase) {
    case 'OPEN':
      return { phase: 'Open', next: `closes ${s.close}` };
    case 'PRE_OPEN':
      return { phase: 'Pre-open', next: `opens ${s.open}` };
    default:
      return { phase: closedWord(s), next: `next session ${fmtDay(s.date)} ${s.open}` };
  }
}

/** The same, spoken (the header element's accessible name), with the zone. */
export function sessionSpoken(s: SessionView, timezone: string): string {
  switch (s.phase) {
    case 'OPEN':
      return `Market open, closes at ${s.close} ${timezone}`;
    case 'PRE_OPEN':
      return `Market pre-open, opens at ${s.open} ${timezone}`;
    default:
      return `Market ${closedWord(s).toLowerCase()}, next session ${fmtDay(s.date)} at ${s.open} ${timezone}`;
  }
}

/** Outside the session: what the queue's intents are for and what approving them does (the Approvals banner). */
export function stagingNote(s: SessionView): string {
  const when = s.phase === 'PRE_OPEN' ? `today's session, ${fmtDay(s.date)}` : `the session of ${fmtDay(s.date)}`;
  const head = s.phase === 'PRE_OPEN' ? 'Pre-open' : `Market ${closedWord(s).toLowerCase()}`;
  return `${head} · these intents are for ${when}; approving stages them, and they are released at the open (${s.open}) after the same checks against the book of then. Those still pending at its close (${s.close}) expire.`;
}
