// The NYSE calendar from its rules (src/shared/nyse.ts) against the exchange's published calendars for 2024–2027
// (NYSE Group's announcements of its holidays and early closings), and the account calendar built on it.
import { describe, expect, it } from 'vitest';
import { accountCalendar, closeTimeOf, isTradingDay, shiftTradingDays, tradingDaysBetween } from '../../src/shared/calendar';
import { nyseEarlyCloses, nyseHolidays } from '../../src/shared/nyse';

// As published by the exchange (dates it is closed all day; early closes at 1:00 p.m. ET).
const PUBLISHED: Record<number, { closed: string[]; early: string[] }> = {
  2024: {
    closed: ['2024-01-01', '2024-01-15', '2024-02-19', '2024-03-29', '2024-05-27', '2024-06-19', '2024-07-04', '2024-09-02', '2024-11-28', '2024-12-25'],
    early: ['2024-07-03', '2024-11-29', '2024-12-24'],
  },
  2025: {
    // 9 January 2025: closed for the National Day of Mourning for President Carter (announced in December 2024)
    closed: ['2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27', '2025-12-25'],
    early: ['2025-07-03', '2025-11-28', '2025-12-24'],
  },
  2026: {
    closed: ['2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25'],
    early: ['2026-11-27', '2026-12-24'],
  },
  2027: {
    closed: ['2027-01-01', '2027-01-18', '2027-02-15', '2027-03-26', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-11-25', '2027-12-24'],
    early: ['2027-11-26'],
  },
};

describe('NYSE holidays and early closes from the rules', () => {
  for (const [year, p] of Object.entries(PUBLISHED)) {
    it(`${year}: exactly the published closures and early closes`, () => {
      expect([...nyseHolidays(Number(year)).keys()].sort()).toEqual([...p.closed].sort());
      expect([...nyseEarlyCloses(Number(year)).keys()].sort()).toEqual([...p.early].sort());
    });
  }

  it("a New Year's Day on a Saturday is not observed on the Friday before", () => {
    expect(nyseHolidays(2022).has('2021-12-31')).toBe(false);
    expect(nyseHolidays(2021).has('2021-12-31')).toBe(false);
    expect(nyseHolidays(2028).has('2027-12-31')).toBe(false);
    expect([...nyseHolidays(2022).keys()]).not.toContain('2022-01-01');
  });

  it('holds for the years ahead: ten closures a year, each a weekday, Good Friday two days before Easter', () => {
    for (let y = 2024; y <= 2030; y++) {
      const days = [...nyseHolidays(y).keys()].filter((d) => d !== '2025-01-09');
      expect(days.length, String(y)).toBe(y === 2028 ? 9 : 10); // 2028: New Year's Day is a Saturday
      for (const d of days) expect([1, 2, 3, 4, 5]).toContain(new Date(`${d}T12:00:00Z`).getUTCDay());
    }
    expect(nyseHolidays(2030).has('2030-04-19')).toBe(true); // Easter 2030 is 21 April
    expect(nyseHolidays(2029).has('2029-03-30')).toBe(true); // Easter 2029 is 1 April
  });
});

describe('the account calendar', () => {
  const ny = accountCalendar('America/New_York', { holidays: [] });

  it('New York takes the exchange calendar: holidays are no trading days, early closes move the close', () => {
    expect(isTradingDay('2026-11-26', ny)).toBe(false); // Thanksgiving
    expect(isTradingDay('2026-11-27', ny)).toBe(true);
    expect(closeTimeOf('2026-11-27', ny, '16:00')).toBe('13:00');
    expect(closeTimeOf('2026-11-30', ny, '16:00')).toBe('16:00');
    // MLK day 2024 between Friday 12th and Tuesday 16th
    expect(tradingDaysBetween('2024-01-12', '2024-01-16', ny)).toBe(2);
    expect(shiftTradingDays('2024-01-12', 1, ny)).toBe('2024-01-16');
    expect(shiftTradingDays('2024-12-26', -2, ny)).toBe('2024-12-23');
  });

  it('the config adds holidays, opens closed dates, and adds or moves early closes', () => {
    const cal = accountCalendar('America/New_York', {
      holidays: ['2026-12-31'],
      open_dates: ['2026-11-26'],
      early_closes: { '2026-12-30': '12:00', '2026-12-24': '12:30' },
    });
    expect(isTradingDay('2026-12-31', cal)).toBe(false);
    expect(isTradingDay('2026-11-26', cal)).toBe(true);
    expect(closeTimeOf('2026-12-30', cal, '16:00')).toBe('12:00');
    expect(closeTimeOf('2026-12-24', cal, '16:00')).toBe('12:30');
  });

  it('other zones have only the config: no exchange holidays', () => {
    const ldn = accountCalendar('Europe/London', { holidays: ['2026-12-28'] });
    expect(isTradingDay('2026-11-26', ldn)).toBe(true); // US Thanksgiving trades in London
    expect(isTradingDay('2026-12-28', ldn)).toBe(false);
    expect(closeTimeOf('2026-11-27', ldn, '16:30')).toBe('16:30');
  });
});
