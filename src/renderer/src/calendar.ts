// The account calendar in the renderer: rebuilt from the status (the same rules the main process uses), so the
// report date steps by trading days of the desk (NYSE holidays for a New York account, the config's own changes).
import { accountCalendar, type Calendar } from '../../shared/calendar';
import type { AppStatus } from '../../shared/types';

export function calendarOf(status: Pick<AppStatus, 'timezone' | 'calendar'>): Calendar {
  const c = status.calendar;
  return accountCalendar(status.timezone, { holidays: c.holidays, open_dates: c.open_dates, early_closes: c.early_closes });
}
