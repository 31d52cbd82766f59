// ledger:* channels: a day's report with its grid rows, the book, the quarantine.
import type { ReportRow } from '../../../shared/types';
import type { DomainHandlers } from '../dispatch';
import type { ConsoleServices } from '../services';

export function ledgerHandlers(s: ConsoleServices): DomainHandlers<'ledger'> {
  return {
    'ledger:report': (args) => {
      const b = s.reportBundle(args.date);
      return { ...b, rows: reportRows(b.csv) };
    },
    'ledger:positions': () => s.positions(),
    'ledger:quarantine': (args) => s.quarantine(args?.limit ?? 500),
  };
}

/** Parses the report's CSV (RFC 4180) into rows for the (symbol, classification) grid. */
function reportRows(csv: string): ReportRow[] {
  const rows: ReportRow[] = [];
  const lines = parseCsv(csv);
  for (const cells of lines.slice(1)) {
    if (cells.length < 8) continue;
    const [date, symbol, classification, qty, notional, pnl, count, net] = cells;
    rows.push({
      date,
      symbol,
      classification,
      filled_qty: Number(qty),
      filled_notional: Number(notional),
      realized_pnl: Number(pnl),
      count_fills: Number(count),
      net_qty_change: Number(net),
    });
  }
  return rows;
}

function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      out.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    out.push(row);
  }
  return out;
}
