// bandctl replay (docs/spec.md §10, §16): the policy lab on the command line. The band controller run again over past
// trading days under a config (and, with --compare, under a second one), on a copy of the book: the live book is
// never written.
import { existsSync, readFileSync } from 'node:fs';
import { groupThousands } from '../../../shared/money';
import { APPROVE_POLICIES, type ApprovePolicy, type ReplayComparison, type ReplayResult } from '../../../shared/replay';
import { formatConfigError, loadConfigFile } from '../../services/config/load';
import type { RiskConfig } from '../../services/config/schema';
import { replay, ReplayError, type ReplayRequest } from '../../services/replay';
import { optionalString, requireString, UsageError, type Command, type Io } from '../framework';

function loadConfig(file: string): RiskConfig {
  const r = loadConfigFile(file);
  if (!r.ok) throw new UsageError(`config ${file} is invalid: ${r.errors.map(formatConfigError).join('; ')}`);
  return r.config;
}

/** Fixed decimals with thousands separators: 1234567.891 → 1,234,567.89. */
function num(x: number | null, decimals: number): string {
  if (x === null) return '-';
  const s = Math.abs(x).toFixed(decimals);
  const [int, frac] = s.split('.');
  const neg = x < 0 && Number(s) !== 0;
  return `${neg ? '-' : ''}${groupThousands(BigInt(int))}${frac ? `.${frac}` : ''}`;
}

/** Columns: the first `left` left-aligned (text), the rest right-aligned (numbers). */
function table(head: string[], rows: string[][], left = 1): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < left ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

function daysTable(r: ReplayResult): string {
  return table(
    ['date', 'status', 'long%', 'short%', 'gross%', 'days', 'intents', 'fills', 'turnover'],
    r.days.map((d) => [
      d.date,
      d.status,
      num(d.long_pct, 2),
      num(d.short_pct, 2),
      num(d.gross_pct, 2),
      num(d.days_in_violation, 0),
      num(d.intents, 0),
      num(d.fills, 0),
      num(d.turnover_notional, 2),
    ]),
    2,
  );
}

const TOTALS: [keyof ReplayResult['totals'], string, number][] = [
  ['trading_days', 'trading days', 0],
  ['days_out_of_band', 'days out of band', 0],
  ['intents', 'intents', 0],
  ['fills', 'fills', 0],
  ['turnover_notional', 'turnover (USD)', 2],
  ['max_gross_pct', 'max gross %', 2],
  ['cap_refusals', 'cap refusals', 0],
];

function rulesLine(r: ReplayResult): string {
  const c = r.config;
  return (
    `long ${c.long_pct_range[0]}-${c.long_pct_range[1]}%, short ${c.short_pct_range[0]}-${c.short_pct_range[1]}%, ` +
    `tolerance ${c.tolerance_days} day(s), size ${c.corrective_intent_size_pct}, ${c.max_intents_per_cycle}/cycle, ` +
    `${c.max_open_intents} open, cap ${c.hard_cap_gross_pct}% of ${num(c.equity, 0)}`
  );
}

function printOne(io: Io, r: ReplayResult, label: string, file: string): void {
  io.out(`${label}${file}: ${rulesLine(r)}\n`);
  io.out(daysTable(r));
}

function printText(io: Io, results: { r: ReplayResult; file: string }[]): void {
  const labels = results.length > 1 ? ['a ', 'b '] : [''];
  const first = results[0].r;
  io.out(`replay ${first.from} to ${first.to}\n`);
  results.forEach(({ r, file }, i) => {
    io.out('\n');
    printOne(io, r, labels[i] ? `${labels[i].trim()}: ` : '', file);
  });
  io.out('\n');
  const head = ['totals', ...(results.length > 1 ? ['a', 'b'] : ['value'])];
  io.out(table(head, TOTALS.map(([k, label, d]) => [label, ...results.map(({ r }) => num(r.totals[k], d))])));
}

function policyOption(values: Record<string, unknown>): ApprovePolicy {
  const v = optionalString(values, 'approve') ?? 'all';
  if (!(APPROVE_POLICIES as readonly string[]).includes(v)) {
    throw new UsageError(`--approve must be one of ${APPROVE_POLICIES.join(', ')}, got '${v}'`);
  }
  return v as ApprovePolicy;
}

function seedOption(values: Record<string, unknown>): number | undefined {
  const v = optionalString(values, 'seed');
  if (v === undefined) return undefined;
  if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff) throw new UsageError(`--seed must be a whole number 0-4294967295, got '${v}'`);
  return Number(v);
}

const replayCommand: Command = {
  name: 'replay',
  usage:
    'replay --db F --config C [--compare C2] --from D1 --to D2 [--prices FILE.csv] [--at HH:MM] [--approve all|none|pnl-positive] [--seed N] [--json]',
  summary: 'the policy lab: replay the band controller over past trading days under a config (or two), on a copy of the book',
  options: {
    db: { type: 'string' },
    config: { type: 'string' },
    compare: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    prices: { type: 'string' },
    at: { type: 'string' },
    approve: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
  },
  run({ values, io }) {
    const dbFile = requireString(values, 'db', this.usage);
    const configFile = requireString(values, 'config', this.usage);
    const from = requireString(values, 'from', this.usage);
    const to = requireString(values, 'to', this.usage);
    const compareFile = optionalString(values, 'compare');
    const approve = policyOption(values);
    const seed = seedOption(values);
    if (!existsSync(dbFile)) throw new UsageError(`database ${dbFile} does not exist; create it with: bandctl init --db ${dbFile}`);
    const configs = [{ file: configFile, config: loadConfig(configFile) }];
    if (compareFile !== undefined) configs.push({ file: compareFile, config: loadConfig(compareFile) });
    const pricesFile = optionalString(values, 'prices');
    let pricesCsv: string | null = null;
    if (pricesFile !== undefined) {
      try {
        pricesCsv = readFileSync(pricesFile, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read ${pricesFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    const req: ReplayRequest = { from, to, at: optionalString(values, 'at'), approve, pricesCsv, pricesName: pricesFile, seed };
    let results: { r: ReplayResult; file: string }[];
    try {
      const shared = {}; // --compare: the book is copied and wound back once, for both configs
      results = configs.map(({ file, config }) => ({ r: replay(dbFile, config, req, {}, shared), file }));
    } catch (e) {
      if (e instanceof ReplayError) throw new UsageError(e.message);
      throw e;
    }
    if (values.json) {
      const out: ReplayResult | ReplayComparison = results.length > 1 ? { a: results[0].r, b: results[1].r } : results[0].r;
      io.out(`${JSON.stringify(out)}\n`);
    } else printText(io, results);
    return 0;
  },
};

export const commands: readonly Command[] = [replayCommand];
