// Trading date of an instant in the account time zone, cached by day interval (luxon is ~µs per call; a ledger
// applies hundreds of thousands of fills a second, almost all on a handful of dates).
import { DateTime } from 'luxon';

interface Span {
  start: number;
  end: number;
  date: string;
}

export class TradingDateCache {
  private spans: Span[] = [];

  constructor(readonly timezone: string) {
    if (!DateTime.fromMillis(0).setZone(timezone).isValid) throw new RangeError(`unknown time zone '${timezone}'`);
  }

  dateOf(ms: number): string {
    const spans = this.spans;
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i];
      if (ms >= s.start && ms < s.end) return s.date;
    }
    const dt = DateTime.fromMillis(ms, { zone: this.timezone });
    const start = dt.startOf('day');
    const span: Span = {
      start: start.toMillis(),
      end: start.plus({ days: 1 }).toMillis(),
      date: dt.toISODate() as string,
    };
    spans.unshift(span);
    if (spans.length > 8) spans.pop();
    return span.date;
  }
}
