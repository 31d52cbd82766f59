// End-of-day reports (docs/spec.md §9) from the maintained daily aggregates: the cost of a report does not depend on the
// number of fills. Text, JSON and CSV in the seed's formats; scheduled files with catch-up of missed days.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { accountCalendar, closeTimeOf, isTradingDay, localTimeToEpoch, minutesBetween, shiftHhmm, tradingDateOf } from '../../../shared/calendar';
import { add, formatMoney, formatPlain, groupThousands, microToCents, type Num } from '../../../shared/money';
import { REPORT_FORMATS, reportFormat, type ReportFormatId } from '../../../shared/report-formats';
import type { ReportBundle, ReportJson, ReportView } from '../../../shared/types';
import type { RiskConfig } from '../config/schema';
import type { Db } from '../store/db';

// Rows are read as numbers (the fast path) unless one value passes 2^53, then the day is read again as bigint; sums
// are shared/money's Num: a number while it is a safe integer, a bigint past 2^53 (a $9bn day), so no cent is lost.
interface Line {
  qty: Num;
  notional: Num;
  realized: Num;
  count: Num;
  net: Num;
}

/** [symbol, classification, filled_qty, notional_micro, realized_micro, count_fills, net_qty_change] */
type AggRow = [string, string, Num, Num, Num, Num, Num];

interface Day {
  date: string;
  rows: AggRow[];
  byClass: Map<string, Line & { names: string[] }>;
  bySymbol: Map<string, Line & { names: string[] }>;
  totals: Line;
}

const AGG_SQL = `SELECT symbol, classification, filled_qty, notional_micro, realized_micro, count_fills, net_qty_change
  FROM daily_agg WHERE trading_date = ? ORDER BY symbol, classification`;

// The same rows as one JSON text: one string out of SQLite instead of 3,800 row arrays (about 2 ms less for a
// 1,000,000-fill day). An INTEGER past 2^53 parses to an unsafe number and sends the day to the bigint path.
const AGG_JSON_SQL = `SELECT json_group_array(json_array(symbol, classification, filled_qty, notional_micro,
    realized_micro, count_fills, net_qty_change))
  FROM (SELECT * FROM daily_agg WHERE trading_date = ? ORDER BY symbol, classification)`;

class Unsafe extends Error {}

/**
 * The day's lines from its rows, sorted by symbol, classification. Unless `big` (rows read as bigint), every row value
 * must be a safe integer: else it throws Unsafe and the caller reads the day again as bigint rows.
 */
function build(date: string, rows: AggRow[], big: boolean): Day {
  const byClass = new Map<string, Line & { names: string[] }>();
  const bySymbol = new Map<string, Line & { names: string[] }>();
  let s: (Line & { names: string[] }) | undefined;
  let sName = '';
  for (const r of rows) {
    if (
      !big &&
      !(
        Number.isSafeInteger(r[2]) &&
        Number.isSafeInteger(r[3]) &&
        Number.isSafeInteger(r[4]) &&
        Number.isSafeInteger(r[5]) &&
        Number.isSafeInteger(r[6])
      )
    ) {
      throw new Unsafe();
    }
    let k = byClass.get(r[1]);
    if (!k) byClass.set(r[1], (k = { qty: 0, notional: 0, realized: 0, count: 0, net: 0, names: [] }));
    addLine(k, r[2], r[3], r[4], r[5], r[6]);
    k.names.push(r[0]);
    if (s === undefined || sName !== r[0]) {
      sName = r[0];
      s = bySymbol.get(sName);
      if (!s) bySymbol.set(sName, (s = { qty: 0, notional: 0, realized: 0, count: 0, net: 0, names: [] }));
    }
    addLine(s, r[2], r[3], r[4], r[5], r[6]);
    s.names.push(r[1]);
  }
  const totals: Line = { qty: 0, notional: 0, realized: 0, count: 0, net: 0 };
  for (const k of byClass.values()) {
    addLine(totals, k.qty, k.notional, k.realized, k.count, k.net);
    k.names.sort(cmp);
  }
  for (const v of bySymbol.values()) v.names.sort(cmp);
  return { date, rows, byClass, bySymbol, totals };
}

function addLine(l: Line, q: Num, n: Num, re: Num, c: Num, ne: Num): void {
  l.qty = add(l.qty, q);
  l.notional = add(l.notional, n);
  l.realized = add(l.realized, re);
  l.count = add(l.count, c);
  l.net = add(l.net, ne);
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function loadDay(db: Db, date: string): Day {
  // ORDER BY uses SQLite's binary collation: the same byte order as cmp() for these ASCII names.
  const rows = JSON.parse(db.prepare(AGG_JSON_SQL).pluck().get(date) as string) as AggRow[];
  try {
    return build(date, rows, false);
  } catch (e) {
    if (!(e instanceof Unsafe)) throw e;
    return build(date, db.prepare(AGG_SQL).raw(true).safeIntegers(true).all(date) as AggRow[], true);
  }
}

function sortedEntries<T>(m: Map<string, T>): [string, T][] {
  return [...m.entries()].sort((a, b) => cmp(a[0], b[0]));
}

function jsonLine(l: Line) {
  return {
    filled_qty: Number(l.qty),
    filled_notional: microToCents(l.notional),
    realized_pnl: microToCents(l.realized),
    count_fills: Number(l.count),
    net_qty_change: Number(l.net),
  };
}

function toJson(d: Day): ReportJson {
  const byClassification: ReportJson['by_classification'] = {};
  for (const [k, v] of sortedEntries(d.byClass)) byClassification[k] = { ...jsonLine(v), symbols: v.names };
  const bySymbol: ReportJson['by_symbol'] = {};
  for (const [k, v] of sortedEntries(d.bySymbol)) bySymbol[k] = { ...jsonLine(v), classifications: v.names };
  const t = jsonLine(d.totals);
  return {
    date: d.date,
    by_classification: byClassification,
    by_symbol: bySymbol,
    totals: {
      total_filled_qty: t.filled_qty,
      total_filled_notional: t.filled_notional,
      total_realized_pnl: t.realized_pnl,
      total_count_fills: t.count_fills,
      total_net_qty_change: t.net_qty_change,
    },
  };
}

const RULE = '='.repeat(80);

// The seed design's labels, byte for byte (docs/spec.md §9): a group says `Realized P&L` and `Fill Count`, unlike the JSON
// keys and CSV columns (`realized_pnl`, `count_fills`); the TOTALS block repeats them with a `Total ` prefix.
function textLines(l: Line, indent: string, prefix = ''): string[] {
  return [
    `${indent}${prefix}Filled Qty: ${groupThousands(l.qty)}`,
    `${indent}${prefix}Filled Notional: ${formatMoney(l.notional)}`,
    `${indent}${prefix}Realized P&L: ${formatMoney(l.realized)}`,
    `${indent}${prefix}Fill Count: ${groupThousands(l.count)}`,
    `${indent}${prefix}Net Qty Change: ${groupThousands(l.net)}`,
  ];
}

function toText(d: Day): string {
  const out: string[] = [
    RULE,
    `END OF DAY REPORT - ${d.date}`,
    RULE,
    '',
    'TOTALS:',
    ...textLines(d.totals, '  ', 'Total '),
    '',
  ];
  const section = (title: string, m: Map<string, Line & { names: string[] }>, listLabel: string) => {
    out.push(title);
    const entries = sortedEntries(m);
    if (entries.length === 0) out.push('  (none)');
    entries.forEach(([name, v], i) => {
      if (i > 0) out.push('');
      out.push(`  ${name}:`, ...textLines(v, '    '), `    ${listLabel}: ${v.names.join(', ')}`);
    });
    out.push('');
  };
  section('BY CLASSIFICATION:', d.byClass, 'Symbols');
  section('BY SYMBOL:', d.bySymbol, 'Classifications');
  return `${out.join('\n')}`;
}

const CSV_HEADER = [
  'Date',
  'Symbol',
  'Classification',
  'Filled_Qty',
  'Filled_Notional',
  'Realized_PnL',
  'Count_Fills',
  'Net_Qty_Change',
] as const;

function toCsv(d: Day): string {
  const rows: string[][] = [[...CSV_HEADER]];
  for (const r of d.rows) {
    rows.push([d.date, r[0], r[1], String(r[2]), formatPlain(r[3]), formatPlain(r[4]), String(r[5]), String(r[6])]);
  }
  return stringify(rows, { record_delimiter: 'unix' });
}

export function reportJson(db: Db, date: string): ReportJson {
  return toJson(loadDay(db, date));
}

export function reportText(db: Db, date: string): string {
  return toText(loadDay(db, date));
}

export function reportCsv(db: Db, date: string): string {
  return toCsv(loadDay(db, date));
}

/** The three formats from one read of the aggregates. */
export function reportBundle(db: Db, date: string): ReportBundle {
  const d = loadDay(db, date);
  return { date, json: toJson(d), text: toText(d), csv: toCsv(d) };
}

/** The bundle plus its (symbol, classification) rows for the console's grid: the CSV's lines, as numbers. */
export function reportView(db: Db, date: string): ReportView {
  const d = loadDay(db, date);
  const rows = d.rows.map((r) => ({
    date: d.date,
    symbol: r[0],
    classification: r[1],
    filled_qty: Number(r[2]),
    filled_notional: Number(formatPlain(r[3])),
    realized_pnl: Number(formatPlain(r[4])),
    count_fills: Number(r[5]),
    net_qty_change: Number(r[6]),
  }));
  return { date, json: toJson(d), text: toText(d), csv: toCsv(d), rows };
}

/** The JSON report as written to files and printed by `bandctl report --format json`. */
export function jsonText(r: ReportJson): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/**
 * Each format's bytes from a day's bundle (the formats themselves: shared/report-formats.ts): what `bandctl report`
 * prints, the console exports and the scheduled EOD files hold. A new format is a row there and its renderer here.
 */
const RENDERERS: { readonly [F in ReportFormatId]: (b: ReportBundle) => string } = {
  text: (b) => b.text,
  json: (b) => jsonText(b.json),
  csv: (b) => b.csv,
};

export function renderReport(bundle: ReportBundle, format: ReportFormatId): string {
  return RENDERERS[format](bundle);
}

/** One format of one date's report, from one read of the aggregates: only the bundle's parts it asks for are made. */
export function reportAs(db: Db, date: string, format: ReportFormatId): string {
  const d = loadDay(db, date);
  return renderReport(
    {
      date,
      get json() {
        return toJson(d);
      },
      get text() {
        return toText(d);
      },
      get csv() {
        return toCsv(d);
      },
    },
    format,
  );
}

/** `eod_report_<date>.<extension>`: the name of a report file, scheduled or exported. */
export function reportFileName(date: string, format: ReportFormatId): string {
  return `eod_report_${date}.${reportFormat(format).extension}`;
}

function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Writes one date's file of every report format into outDir; returns their paths. */
function writeReportFiles(db: Db, date: string, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const b = reportBundle(db, date);
  const files = REPORT_FORMATS.map((f): [string, string] => [join(outDir, reportFileName(date, f.id)), renderReport(b, f.id)]);
  for (const [f, t] of files) writeAtomic(f, t);
  return files.map((f) => f[0]);
}

/**
 * Scheduled EOD files (docs/spec.md §9): for every trading day from the day after the last one written (or, the first time,
 * from the day the scheduler first ran) through today whose reports.eod_time has passed, writes
 * eod_report_<date>.<extension> of every format (txt, json, csv) and remembers the date. Call at start (catch-up)
 * and periodically.
 */
export function writeDueReports(db: Db, cfg: RiskConfig, now: number, outDir: string, zone = cfg.account.timezone): string[] {
  const tz = zone;
  const cal = accountCalendar(tz, cfg.account);
  // On an early close the report is due as long after that close as eod_time is after the regular one.
  const eodOf = (d: string) => shiftHhmm(cfg.reports.eod_time, minutesBetween(cfg.account.market_close, closeTimeOf(d, cal, cfg.account.market_close)));
  const today = tradingDateOf(now, tz);
  const last = db.prepare('SELECT MAX(trading_date) FROM eod_reports_written').pluck().get() as string | null;
  let start: string;
  if (last) start = addDays(last, 1);
  else {
    const since = db.prepare("SELECT value FROM app_state WHERE key = 'eod_reports_since'").pluck().get() as
      | string
      | undefined;
    start = since ?? today;
    if (!since) {
      db.prepare("INSERT INTO app_state (key, value) VALUES ('eod_reports_since', ?)").run(today);
    }
  }
  const written: string[] = [];
  const mark = db.prepare(
    `INSERT INTO eod_reports_written (trading_date, written_at, dir) VALUES (?, ?, ?)
     ON CONFLICT (trading_date) DO UPDATE SET written_at = excluded.written_at, dir = excluded.dir`,
  );
  for (let d = start; d <= today; d = addDays(d, 1)) {
    if (!isTradingDay(d, cal)) continue;
    if (now < localTimeToEpoch(d, eodOf(d), tz)) break;
    written.push(...writeReportFiles(db, d, outDir));
    mark.run(d, now, outDir);
  }
  return written;
}
