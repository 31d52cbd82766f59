// Engine commands (docs/spec.md §10): evaluate, intents, approve, reject, prices; plus halt / resume (the kill switch).
import { existsSync, readFileSync } from 'node:fs';
import { INTENT_STATUSES, type IntentStatus } from '../../../shared/domain';
import type { IntentOutcome, IntentView } from '../../../shared/types';
import { cliConfig, ConfigFileError, type ConfigStateLike } from '../../services/engine/config';
import { Engine, evaluateJson, type EvaluateResult } from '../../services/engine/engine';
import { osUser } from '../../services/os-user';
import { parseAsOf, parseTicksCsv, TickCsvError } from '../../services/prices/csv';
import { bookZone } from '../../services/store/book-zone';
import { openDb, type Db } from '../../services/store/db';
import { intOption, optionalString, requireString, UsageError, type Command, type Io } from '../framework';
import { RedisBroker } from '../../services/streams/outbox';
import { now as clockNow } from '../../services/clock';

function openExisting(values: Record<string, unknown>, usage: string): Db {
  const file = requireString(values, 'db', usage);
  if (!existsSync(file)) throw new UsageError(`database ${file} does not exist; create it with: bandctl init --db ${file}`);
  return openDb(file);
}

function withEngine<T>(
  values: Record<string, unknown>,
  usage: string,
  fn: (engine: Engine, cfg: ConfigStateLike, now: number) => T,
): T {
  const db = openExisting(values, usage);
  try {
    let cfg: ConfigStateLike;
    const configFile = optionalString(values, 'config');
    try {
      cfg = cliConfig(db, configFile);
    } catch (e) {
      if (e instanceof ConfigFileError) throw new UsageError(e.message);
      throw e;
    }
    const tz = bookZone(db, cfg.config?.account.timezone, configFile ? `--config ${configFile}` : 'the config this book last ran on');
    let now = clockNow();
    const asOf = optionalString(values, 'as-of');
    if (asOf !== undefined) {
      const t = parseAsOf(asOf, tz);
      if (t === null) {
        throw new UsageError(
          `--as-of '${asOf}' must be ISO-8601 (e.g. 2024-01-15T14:30:00-05:00, 2024-01-15T14:30 in ${tz}, or 2024-01-15) or epoch ms`,
        );
      }
      now = t;
    }
    // With streams.redis_url configured, approvals go to the outbox for ev.intents (published by the console or
    // `bandctl consume`); otherwise the built-in paper broker works them.
    const redis = cfg.config?.streams.redis_url ? cfg.config.streams : null;
    const broker = redis ? new RedisBroker(db, redis.intents_stream) : undefined;
    const engine = new Engine({ db, config: () => cfg, actor: osUser(), now: () => now, broker });
    return fn(engine, cfg, now);
  } finally {
    db.close();
  }
}

/** --reason for the audit trail: not empty, at most 500 characters (as the console's dialogs). */
function reasonOption(values: Record<string, unknown>, fallback: string): string {
  const reason = optionalString(values, 'reason') ?? fallback;
  if (reason.trim() === '') throw new UsageError('--reason must not be empty');
  if (reason.length > 500) throw new UsageError('--reason must be at most 500 characters');
  return reason;
}

/** The options every queue command takes (the config for the book, the time it acts at, JSON output). */
const QUEUE_OPTIONS = {
  db: { type: 'string' },
  config: { type: 'string' },
  'as-of': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const f2 = (x: number | null) => (x === null ? '-' : x.toFixed(2));

function printEvaluation(io: Io, r: EvaluateResult): void {
  io.out(
    `mode ${r.mode}  status ${r.status}  long ${f2(r.long_pct)}%  short ${f2(r.short_pct)}%  ` +
      `gross ${f2(r.gross_pct)}%  days_in_violation ${r.days_in_violation}\n`,
  );
  io.out(`${r.message}\n`);
  if (r.session.phase !== 'OPEN') {
    const opens = new Date(r.session.opens_at).toISOString();
    io.out(`session ${r.session.phase}: intents are for the session of ${r.session.date} (opens ${opens}); approved ones are staged until then\n`);
  }
  if (r.intents.length) {
    io.out(`created ${r.intents.length} intent(s):\n`);
    for (const i of r.intents) {
      io.out(
        `  ${i.id}  ${i.side} ${i.qty} ${i.symbol}  ${i.classification}  ${i.order_type}${i.limit_price !== null ? ` ${i.limit_price.toFixed(2)}` : ''}` +
          `  p${i.priority}  ${i.reason}\n`,
      );
    }
  }
}

const evaluate: Command = {
  name: 'evaluate',
  usage: 'evaluate --db F --config C [--as-of ISO] [--json]',
  summary: 'one engine cycle at that time (default now) over the stored ticks; prints the band and new intents',
  options: QUEUE_OPTIONS,
  run({ values, io }) {
    return withEngine(values, this.usage, (engine, _cfg, now) => {
      const r = engine.evaluate(now);
      if (values.json) io.out(`${JSON.stringify(evaluateJson(r))}\n`);
      else printEvaluation(io, r);
      return 0;
    });
  },
};

const STATUS_CHOICES = [...INTENT_STATUSES, 'OPEN', 'ALL'] as const;

function printIntents(io: Io, rows: IntentView[]): void {
  if (rows.length === 0) {
    io.out('no intents\n');
    return;
  }
  const table = rows.map((r) => [
    r.id,
    r.status,
    r.trading_date,
    r.symbol,
    r.classification,
    r.side,
    String(r.qty),
    r.order_type === 'LIMIT' ? f2(r.limit_price) : 'MKT',
    r.tick === null ? '-' : r.tick.toFixed(2),
    r.pnl_pct === null ? '-' : `${r.pnl_pct.toFixed(1)}%`,
    String(r.filled_qty),
    r.reason,
  ]);
  const head = ['id', 'status', 'date', 'symbol', 'classification', 'side', 'qty', 'limit', 'tick', 'pnl', 'filled', 'reason'];
  const w = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(w[i]))).join('  ');
  io.out(`${line(head)}\n`);
  for (const t of table) io.out(`${line(t)}\n`);
}

const intents: Command = {
  name: 'intents',
  usage: 'intents --db F [--status S] [--limit N] [--as-of ISO] [--json]',
  summary: `the intent queue (S: ${STATUS_CHOICES.join('|')}; default PENDING); what expired or ended by then is shown so`,
  options: { ...QUEUE_OPTIONS, status: { type: 'string' }, limit: { type: 'string' } },
  run({ values, io }) {
    const status = (optionalString(values, 'status') ?? 'PENDING').toUpperCase();
    if (!(STATUS_CHOICES as readonly string[]).includes(status)) {
      throw new UsageError(`--status must be one of ${STATUS_CHOICES.join(', ')}, got '${String(values.status)}'`);
    }
    const limit = intOption(values, 'limit', 10_000, 1);
    return withEngine(values, this.usage, (engine, _cfg, now) => {
      engine.sync(now);
      const rows = engine.listIntents(status as IntentStatus | 'OPEN' | 'ALL', limit, now);
      if (values.json) io.out(`${JSON.stringify(rows)}\n`);
      else printIntents(io, rows);
      return 0;
    });
  },
};

function printOutcomes(io: Io, outcomes: IntentOutcome[], json: boolean): number {
  if (json) io.out(`${JSON.stringify(outcomes)}\n`);
  let failed = 0;
  for (const o of outcomes) {
    if (o.ok) {
      if (!json) io.out(`${o.id}: ${o.status} - ${o.message}\n`);
    } else {
      failed++;
      io.err(`bandctl: ${o.id}: ${o.message}\n`);
    }
  }
  return failed ? 2 : 0;
}

const approve: Command = {
  name: 'approve',
  usage: 'approve --db F [--config C] [--as-of ISO] [--json] ID…',
  summary:
    'approve intents: each becomes an order (paper broker, or ev.intents when streams.redis_url is set), or before its session opens is STAGED until the open; idempotent',
  options: QUEUE_OPTIONS,
  positionals: [1, 100_000],
  run({ values, positionals, io }) {
    return withEngine(values, this.usage, (engine, _cfg, now) => {
      const outcomes = engine.approve(positionals, engine.actor, now);
      engine.sync(now); // the ledger takes the NEW/ACK events in
      return printOutcomes(io, outcomes, values.json === true);
    });
  },
};

const reject: Command = {
  name: 'reject',
  usage: 'reject --db F [--reason R] [--as-of ISO] [--json] ID…',
  summary: 'reject pending intents, with a reason in the audit trail',
  options: { ...QUEUE_OPTIONS, reason: { type: 'string' } },
  positionals: [1, 100_000],
  run({ values, positionals, io }) {
    const reason = reasonOption(values, 'rejected by trader');
    return withEngine(values, this.usage, (engine, _cfg, now) =>
      printOutcomes(io, engine.reject(positionals, engine.actor, reason, now), values.json === true),
    );
  },
};

async function readInput(path: string, io: Io): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const c of io.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

const prices: Command = {
  name: 'prices',
  usage: 'prices --db F [--config C] [--as-of ISO] FILE.csv|-',
  summary: 'set truth ticks from symbol,price[,ts]; the paper broker fills what they allow, the ledger applies it',
  options: { db: { type: 'string' }, config: { type: 'string' }, 'as-of': { type: 'string' } },
  positionals: [1, 1],
  async run({ values, positionals, io }) {
    requireString(values, 'db', this.usage);
    const text = await readInput(positionals[0], io);
    return withEngine(values, this.usage, (engine, _cfg, now) => {
      let rows;
      try {
        rows = parseTicksCsv(text, now);
      } catch (e) {
        if (e instanceof TickCsvError) throw new UsageError(`${positionals[0]}: ${e.message}`);
        throw e;
      }
      const r = engine.applyTicks(rows, now);
      io.out(`${JSON.stringify(r)}\n`);
      return 0;
    });
  },
};

const audit: Command = {
  name: 'audit',
  usage: 'audit --db F [ID] [--limit N] [--json]',
  summary: "the intents' append-only audit trail: every transition with its actor and reason (one intent, or the latest)",
  options: { db: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' } },
  positionals: [0, 1],
  run({ values, positionals, io }) {
    const limit = intOption(values, 'limit', 500, 1);
    return withEngine(values, this.usage, (engine) => {
      const rows = engine.audit(positionals[0], limit);
      if (values.json) io.out(`${JSON.stringify(rows)}\n`);
      else if (rows.length === 0) io.out(positionals[0] ? `no audit rows for ${positionals[0]}\n` : 'no audit rows\n');
      else {
        for (const r of rows) {
          io.out(`${new Date(r.at).toISOString()}  ${r.intent_id}  ${r.from ?? '-'} -> ${r.to}  ${r.actor}  ${r.reason}\n`);
        }
      }
      return 0;
    });
  },
};

const cancel: Command = {
  name: 'cancel',
  usage: 'cancel --db F [--reason R] [--as-of ISO] [--json] (ID… | --all)',
  summary: 'cancel working orders (APPROVED/WORKING intents) at the broker, or STAGED ones before their release, with a reason in the audit trail',
  options: { ...QUEUE_OPTIONS, reason: { type: 'string' }, all: { type: 'boolean' } },
  positionals: [0, 100_000],
  run({ values, positionals, io }) {
    const reason = reasonOption(values, 'canceled by trader');
    if (values.all && positionals.length) throw new UsageError('give intent ids or --all, not both');
    if (!values.all && positionals.length === 0) throw new UsageError(`give the intent ids to cancel, or --all; usage: bandctl ${this.usage}`);
    return withEngine(values, this.usage, (engine, _cfg, now) => {
      const outcomes = engine.cancel(values.all ? 'all' : positionals, engine.actor, reason, now);
      engine.sync(now);
      if (values.all && outcomes.length === 0 && !values.json) io.out('no working orders\n');
      return printOutcomes(io, outcomes, values.json === true);
    });
  },
};

const halt: Command = {
  name: 'halt',
  usage: 'halt --db F [--reason R] [--as-of ISO]',
  summary: 'the kill switch: nothing is proposed and no order is sent until resume (queued orders are held)',
  options: { db: { type: 'string' }, reason: { type: 'string' }, config: { type: 'string' }, 'as-of': { type: 'string' } },
  run({ values, io }) {
    return withEngine(values, this.usage, (engine, _cfg, now) => {
      const s = engine.halt(engine.actor, optionalString(values, 'reason') ?? '', now);
      io.out(`${JSON.stringify({ mode: s.mode })}\n`);
      return 0;
    });
  },
};

const resume: Command = {
  name: 'resume',
  usage: 'resume --db F [--as-of ISO]',
  summary: 'lift the kill switch; held orders go out only if still valid',
  options: { db: { type: 'string' }, config: { type: 'string' }, 'as-of': { type: 'string' } },
  run({ values, io }) {
    return withEngine(values, this.usage, (engine, _cfg, now) => {
      const s = engine.resume(engine.actor, now);
      io.out(`${JSON.stringify({ mode: s.mode })}\n`);
      return 0;
    });
  },
};

export const commands: Command[] = [evaluate, intents, approve, reject, cancel, audit, prices, halt, resume];
