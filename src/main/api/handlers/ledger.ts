// ledger:* channels: a day's report with its grid rows, the book, the quarantine.
import type { DomainHandlers } from '../dispatch';
import type { ConsoleServices } from '../services';

export function ledgerHandlers(s: ConsoleServices): DomainHandlers<'ledger'> {
  return {
    'ledger:report': (args) => s.reportView(args.date),
    'ledger:positions': () => s.positions(),
    'ledger:quarantine': (args) => s.quarantine(args?.limit ?? 500),
  };
}
