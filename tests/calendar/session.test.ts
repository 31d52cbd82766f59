// The session of an instant (issue 20, docs/spec.md §2) against a table written by hand from the NYSE's published
// 2026 calendar: regular hours 09:30–16:00 New York, 13:00 early closes on the day after Thanksgiving and Christmas
// Eve, the holidays, and both DST changes (Sundays in 2026: 8 March, 1 November). Every instant is written in UTC,
// and so is every expected open and close: nothing here is computed by the code under test.
import { describe, expect, it } from 'vitest';
import { accountCalendar } from '../../src/shared/calendar';
import { nextSessionBoundary, sessionAt } from '../../src/shared/session';

const NY = accountCalendar('America/New_York', { holidays: [] });
const HOURS = { open: '09:30', close: '16:00' };
const t = (iso: string) => Date.parse(iso);

// [instant (UTC), what it is in New York, phase, closed_for, session date, its open (UTC), its close (UTC), last session]
const TABLE: [string, string, string, string | null, string, string, string, string][] = [
  ['2026-12-07T13:00:00Z', 'Mon 08:00 EST, pre-open', 'PRE_OPEN', null, '2026-12-07', '2026-12-07T14:30:00Z', '2026-12-07T21:00:00Z', '2026-12-04'],
  ['2026-12-07T14:29:59.999Z', 'Mon 09:29:59.999', 'PRE_OPEN', null, '2026-12-07', '2026-12-07T14:30:00Z', '2026-12-07T21:00:00Z', '2026-12-04'],
  ['2026-12-07T14:30:00Z', 'Mon 09:30 exactly: the open', 'OPEN', null, '2026-12-07', '2026-12-07T14:30:00Z', '2026-12-07T21:00:00Z', '2026-12-04'],
  ['2026-12-07T20:59:00Z', 'Mon 15:59', 'OPEN', null, '2026-12-07', '2026-12-07T14:30:00Z', '2026-12-07T21:00:00Z', '2026-12-04'],
  ['2026-12-07T21:00:00Z', 'Mon 16:00 exactly: the close', 'CLOSED', null, '2026-12-08', '2026-12-08T14:30:00Z', '2026-12-08T21:00:00Z', '2026-12-07'],
  ['2026-12-08T04:59:59Z', 'Mon 23:59:59', 'CLOSED', null, '2026-12-08', '2026-12-08T14:30:00Z', '2026-12-08T21:00:00Z', '2026-12-07'],
  ['2026-12-08T05:00:00Z', 'Tue 00:00', 'PRE_OPEN', null, '2026-12-08', '2026-12-08T14:30:00Z', '2026-12-08T21:00:00Z', '2026-12-07'],
  ['2026-11-26T17:00:00Z', 'Thanksgiving, Thu 12:00', 'NO_SESSION', 'holiday', '2026-11-27', '2026-11-27T14:30:00Z', '2026-11-27T18:00:00Z', '2026-11-25'],
  ['2026-11-27T17:59:00Z', 'Fri 12:59 after Thanksgiving', 'OPEN', null, '2026-11-27', '2026-11-27T14:30:00Z', '2026-11-27T18:00:00Z', '2026-11-25'],
  ['2026-11-27T18:00:00Z', 'Fri 13:00 after Thanksgiving: the early close', 'CLOSED', null, '2026-11-30', '2026-11-30T14:30:00Z', '2026-11-30T21:00:00Z', '2026-11-27'],
  ['2026-12-12T16:00:00Z', 'Sat 11:00', 'NO_SESSION', 'weekend', '2026-12-14', '2026-12-14T14:30:00Z', '2026-12-14T21:00:00Z', '2026-12-11'],
  ['2026-12-13T23:00:00Z', 'Sun 18:00', 'NO_SESSION', 'weekend', '2026-12-14', '2026-12-14T14:30:00Z', '2026-12-14T21:00:00Z', '2026-12-11'],
  ['2026-12-24T18:00:00Z', 'Christmas Eve, Thu 13:00: the early close', 'CLOSED', null, '2026-12-28', '2026-12-28T14:30:00Z', '2026-12-28T21:00:00Z', '2026-12-24'],
  ['2026-12-25T15:00:00Z', 'Christmas, Fri 10:00', 'NO_SESSION', 'holiday', '2026-12-28', '2026-12-28T14:30:00Z', '2026-12-28T21:00:00Z', '2026-12-24'],
  ['2027-01-01T15:00:00Z', "New Year's Day, Fri 10:00", 'NO_SESSION', 'holiday', '2027-01-04', '2027-01-04T14:30:00Z', '2027-01-04T21:00:00Z', '2026-12-31'],
  // DST starts Sun 8 March 2026 at 02:00: Friday is EST (close 21:00Z), Monday EDT (open 13:30Z)
  ['2026-03-08T07:30:00Z', 'Sun 8 Mar 03:30 EDT, the change', 'NO_SESSION', 'weekend', '2026-03-09', '2026-03-09T13:30:00Z', '2026-03-09T20:00:00Z', '2026-03-06'],
  ['2026-03-09T13:30:00Z', 'Mon 9 Mar 09:30 EDT', 'OPEN', null, '2026-03-09', '2026-03-09T13:30:00Z', '2026-03-09T20:00:00Z', '2026-03-06'],
  // DST ends Sun 1 November 2026 at 02:00: Friday is EDT (close 20:00Z), Monday EST (open 14:30Z)
  ['2026-11-01T06:30:00Z', 'Sun 1 Nov 01:30 EDT, before the change', 'NO_SESSION', 'weekend', '2026-11-02', '2026-11-02T14:30:00Z', '2026-11-02T21:00:00Z', '2026-10-30'],
  ['2026-11-01T07:30:00Z', 'Sun 1 Nov 02:30 EST, after it', 'NO_SESSION', 'weekend', '2026-11-02', '2026-11-02T14:30:00Z', '2026-11-02T21:00:00Z', '2026-10-30'],
  ['2026-10-30T19:59:59Z', 'Fri 30 Oct 15:59:59 EDT', 'OPEN', null, '2026-10-30', '2026-10-30T13:30:00Z', '2026-10-30T20:00:00Z', '2026-10-29'],
];

describe('the phase of an instant and the session orders are for (NYSE 2026)', () => {
  for (const [at, what, phase, closedFor, date, opens, closes, last] of TABLE) {
    it(`${what}: ${phase}, for the session of ${date}`, () => {
      const s = sessionAt(t(at), NY, HOURS);
      expect(s.phase).toBe(phase);
      expect(s.closed_for).toBe(closedFor);
      expect(s.session).toMatchObject({ date, opens_at: t(opens), closes_at: t(closes) });
      expect(s.last.date).toBe(last);
      // the next boundary: the close while open, else that session's open
      expect(nextSessionBoundary(t(at), NY, HOURS)).toBe(phase === 'OPEN' ? t(closes) : t(opens));
    });
  }

  it("the config's own hours, holidays and early closes move the phases", () => {
    const cal = accountCalendar('America/New_York', { holidays: ['2026-12-07'], early_closes: { '2026-12-08': '12:00' } });
    const hours = { open: '08:00', close: '17:00' };
    expect(sessionAt(t('2026-12-07T15:00:00Z'), cal, hours)).toMatchObject({ phase: 'NO_SESSION', closed_for: 'holiday', session: { date: '2026-12-08' } });
    expect(sessionAt(t('2026-12-08T13:00:00Z'), cal, hours)).toMatchObject({ phase: 'OPEN', session: { opens_at: t('2026-12-08T13:00:00Z'), closes_at: t('2026-12-08T17:00:00Z'), close: '12:00' } });
    expect(sessionAt(t('2026-12-09T21:30:00Z'), cal, hours).phase).toBe('OPEN'); // 16:30, before a 17:00 close
  });
});
