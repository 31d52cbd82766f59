// The one typed handler map behind every contract channel, used by Electron IPC and the browser host alike.
// Inputs arrive here already validated by dispatch(); handlers only call the services.
import type { ReportRow } from '../../shared/types';
import { reportFileName } from '../services/reports';
import { ApiError, type HandlerMap } from './dispatch';
import type { ConsoleServices } from './services';

/** The file name an export is saved under (the scheduled files' name). */
export { reportFileName as exportFilename } from '../services/reports';

/** Parses the report's CSV (RFC 4180) into rows for the (symbol, classification) grid. */
export function reportRows(csv: string): ReportRow[] {
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

export function createHandlers(s: ConsoleServices): HandlerMap {
  const engine = () => {
    if (!s.engine) throw new ApiError('INTERNAL', 'the engine is not running');
    return s.engine;
  };
  return {
    'app:status': () => engine().status(),
    'engine:evaluate': () => {
      const r = engine().evaluate();
      return { status: engine().status(), created: r.intents.length };
    },
    'engine:halt': (args, ctx) => {
      engine().halt(ctx.actor, args?.reason);
      return engine().status();
    },
    'engine:resume': (_args, ctx) => {
      engine().resume(ctx.actor);
      return engine().status();
    },
    'engine:cycles': (args) => engine().cycles(args?.limit ?? 100),
    'intents:list': (args) => engine().listIntents(args?.status ?? 'PENDING', args?.limit ?? 10_000),
    'intents:approve': (args, ctx) => engine().approve(args.ids, ctx.actor),
    'intents:reject': (args, ctx) => engine().reject(args.ids, ctx.actor, args.reason),
    'intents:cancel': (args, ctx) => engine().cancel('all' in args ? 'all' : args.ids, ctx.actor, args.reason),
    'intents:audit': (args) => engine().audit(args?.id, args?.limit ?? 500),
    'intents:preview': (args) => engine().preview(args.ids),
    'bands:history': (args) => engine().bandHistory(args.range, args.maxPoints, engine().now()),
    'ledger:report': (args) => {
      const b = s.reportBundle(args.date);
      return { ...b, rows: reportRows(b.csv) };
    },
    'ledger:positions': () => s.positions(),
    'ledger:quarantine': (args) => s.quarantine(args?.limit ?? 500),
    'reports:export': async (args, ctx) => {
      const b = s.reportBundle(args.date);
      const content = s.renderReport(b, args.format);
      const filename = reportFileName(args.date, args.format);
      if (ctx.saveFile) {
        const path = await ctx.saveFile(filename, content);
        return { saved: path !== null, path, filename, content };
      }
      return { saved: false, path: null, filename, content };
    },
  };
}
