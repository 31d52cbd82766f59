// `bandctl help <command>`: every option of every command, what it does, its default, and an example. A test
// (tests/spine/cli-build.test.ts) checks that each command's options are all described here, and nothing else.
import { REPORT_FORMAT_IDS } from '../../shared/report-formats';

/** `a, b or c`. */
export function orList(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

interface CommandHelp {
  /** option name (without --) → `ARG  what it does (default …)` */
  options: Record<string, string>;
  examples: string[];
}

const DB = 'F  the SQLite book (required)';
const CONFIG = 'C  a risk_rules.yaml (default: the config this book last ran on)';
const AS_OF = 'ISO  act as of this time: ISO-8601, a local time in the account zone, a date, or epoch ms (default: now)';
const JSON_OUT = '   print JSON instead of text';

export const HELP: Record<string, CommandHelp> = {
  init: {
    options: {
      db: 'F  the file to create or migrate (required)',
      demo: '   load the demo book (once per file)',
      'no-history': '   with --demo: the book and its ticks only, no history up to today',
      config: "C  the account time zone (and calendar) the book keeps (default: America/New_York)",
    },
    examples: ['bandctl init --db book.db --demo', 'bandctl init --db london.db --config london.yaml'],
  },
  'check-config': {
    options: {},
    examples: ['bandctl check-config resources/config/risk_rules.yaml'],
  },
  check: {
    options: { db: DB, full: '   integrity_check (indexes against their tables too) instead of quick_check', json: JSON_OUT },
    examples: ['bandctl check --db book.db', 'bandctl check --db book.db --full --json'],
  },
  ingest: {
    options: { db: DB, config: 'C  must name the book\'s time zone if given (default: the book\'s own)' },
    examples: ['bandctl ingest --db book.db events.jsonl', 'cat events.jsonl | bandctl ingest --db book.db -'],
  },
  report: {
    options: {
      db: DB,
      date: 'D  the trading date, YYYY-MM-DD (required)',
      format: `F  ${orList(REPORT_FORMAT_IDS)} (default text)`,
      out: 'P  write to P instead of stdout',
    },
    examples: ['bandctl report --db book.db --date 2024-01-15', 'bandctl report --db book.db --date 2024-01-15 --format csv --out eod.csv'],
  },
  'import-positions': {
    options: { db: DB },
    examples: ['bandctl import-positions --db book.db opening.csv   # bucket,symbol,qty,avg_cost'],
  },
  positions: {
    options: { db: DB, json: JSON_OUT },
    examples: ['bandctl positions --db book.db --json'],
  },
  quarantine: {
    options: { db: DB, limit: 'N  at most N events (default 100)', json: JSON_OUT },
    examples: ['bandctl quarantine --db book.db --limit 20'],
  },
  compact: {
    options: {
      db: DB,
      config: 'C  take retention.raw_days from it (default 30)',
      'raw-days': 'N  keep the raw text of applied events N days (default: retention.raw_days)',
      vacuum: '   rewrite the file to give the space back (takes as long as a copy)',
      json: JSON_OUT,
    },
    examples: ['bandctl compact --db book.db', 'bandctl compact --db book.db --raw-days 7 --vacuum'],
  },
  consume: {
    options: {
      db: DB,
      redis: 'URL  the Redis server (default: streams.redis_url of --config)',
      stream: 'NAME  the order stream (default ev.orders)',
      group: 'G  the consumer group (default: one per database)',
      consumer: 'N  this member\'s name in the group (default: host and pid)',
      'until-idle': 'MS  exit after MS ms without a new event, printing the counts (default: run until stopped)',
      config: 'C  a risk_rules.yaml for the streams: section and the time zone',
      'claim-idle': 'MS  take over entries another member left unacknowledged this long (default 10000)',
      count: 'N  entries per read (default 500)',
      'accept-reset': '   after a "stream ... was reset" error: forget this database\'s position and read the stream again from its start',
    },
    examples: [
      'bandctl consume --db book.db --redis redis://127.0.0.1:6379 --until-idle 2000',
      'bandctl consume --db book.db --redis redis://127.0.0.1:6379 --accept-reset --until-idle 2000',
    ],
  },
  evaluate: {
    options: { db: DB, config: 'C  the risk rules to evaluate with (required the first time)', 'as-of': AS_OF, json: JSON_OUT },
    examples: ['bandctl evaluate --db book.db --config risk_rules.yaml --json', 'bandctl evaluate --db book.db --as-of 2024-01-10T10:00:00-05:00'],
  },
  intents: {
    options: {
      db: DB,
      config: CONFIG,
      'as-of': AS_OF,
      json: JSON_OUT,
      status: 'S  PENDING, APPROVED, WORKING, FILLED, CANCELED, REJECTED, EXPIRED, SUPERSEDED, OPEN or ALL (default PENDING)',
      limit: 'N  at most N intents, newest first (default 10000)',
    },
    examples: ['bandctl intents --db book.db', 'bandctl intents --db book.db --status ALL --json'],
  },
  approve: {
    options: { db: DB, config: CONFIG, 'as-of': AS_OF, json: JSON_OUT },
    examples: ['bandctl approve --db book.db i-0lr7wq5c000 i-0lr7wq5c001'],
  },
  reject: {
    options: { db: DB, config: CONFIG, 'as-of': AS_OF, json: JSON_OUT, reason: 'R  recorded in the audit trail (default "rejected by trader")' },
    examples: ['bandctl reject --db book.db --reason "earnings tomorrow" i-0lr7wq5c002'],
  },
  cancel: {
    options: {
      db: DB,
      config: CONFIG,
      'as-of': AS_OF,
      json: JSON_OUT,
      reason: 'R  recorded in the audit trail (default "canceled by trader")',
      all: '   every working order (instead of IDs)',
    },
    examples: ['bandctl cancel --db book.db --reason "price moved" i-0lr7wq5c000', 'bandctl cancel --db book.db --all'],
  },
  audit: {
    options: { db: DB, config: CONFIG, limit: 'N  at most N rows (default 500)', json: JSON_OUT },
    examples: ['bandctl audit --db book.db i-0lr7wq5c000', 'bandctl audit --db book.db --limit 50 --json'],
  },
  replay: {
    options: {
      db: 'F  the SQLite book to replay from (required; only read: the replay runs on a copy)',
      config: 'C  the risk_rules.yaml to replay under (required; invalid: every error with its path and line, exit 2)',
      compare: 'C2  a second config over the same days: the JSON becomes {"a":…,"b":…}, the text shows both',
      from: 'D1  first date, YYYY-MM-DD in the account zone (required); the book is taken as it was at its 00:00',
      to: 'D2  last date, YYYY-MM-DD (required); the period must hold at least one trading day',
      prices: 'FILE.csv  historical ticks symbol,price,ts (ts required); every held symbol needs a tick by the first evaluation (default: the stored tick history, else the simulator)',
      at: 'HH:MM  the evaluation time of each trading day, account zone, before the close (default 10:00; before the open, approvals are staged and released at it)',
      approve: 'P  which proposed intents are approved: all, none or pnl-positive (estimated PnL > 0) (default all)',
      seed: 'N  seed of the price simulator when neither --prices nor the tick history covers the period (default 42)',
      json: '   print {"from","to","config","days","totals"} as JSON instead of the text table',
    },
    examples: [
      'bandctl replay --db book.db --config risk_rules.yaml --from 2024-01-02 --to 2024-01-31',
      'bandctl replay --db book.db --config risk_rules.yaml --compare tolerance2.yaml --from 2024-01-02 --to 2024-01-31 --json',
      'bandctl replay --db book.db --config risk_rules.yaml --from 2024-01-02 --to 2024-03-28 --prices ticks.csv --at 15:30 --approve pnl-positive',
    ],
  },
  prices: {
    options: { db: DB, config: CONFIG, 'as-of': 'ISO  the time of ticks given without a ts column (default: now)' },
    examples: ['printf "symbol,price,ts\\nAAPL,190.25,2024-01-10T11:00:00-05:00\\n" | bandctl prices --db book.db -'],
  },
  halt: {
    options: { db: DB, config: CONFIG, 'as-of': AS_OF, reason: 'R  recorded in the cycle log' },
    examples: ['bandctl halt --db book.db --reason "desk review"'],
  },
  resume: {
    options: { db: DB, config: CONFIG, 'as-of': AS_OF },
    examples: ['bandctl resume --db book.db'],
  },
  serve: {
    options: {
      db: DB,
      config: 'C  the risk_rules.yaml to watch (default: the shipped default)',
      port: 'P  the port (default 0: any free one; the first line says which)',
      'token-file': 'F  read the access token from F, which holds it alone (a final newline is fine) and must be private to you (chmod 600) (default: $BAND_TOKEN, else a random one)',
      token: 'T  the access token on the command line: other users can see it in ps, so bandctl warns; prefer --token-file or $BAND_TOKEN',
      prices: 'S  simulator or static (default simulator)',
      host: 'H  the address to listen on (default 127.0.0.1)',
      'allow-remote': '   allow a non-loopback --host (dangerous: anyone on that network who has the token can trade)',
    },
    examples: ['bandctl serve --db book.db --port 8080', 'BAND_TOKEN=$(cat ~/.band-token) bandctl serve --db book.db', 'bandctl serve --db book.db --token-file ~/.band-token'],
  },
  web: {
    options: {
      port: 'P  the port (default 0: any free one)',
      'token-file': 'F  read the access token from F, which holds it alone (a final newline is fine) and must be private to you (chmod 600) (default: $BAND_TOKEN, else a random one)',
      token: 'T  the access token on the command line: other users can see it in ps, so bandctl warns; prefer --token-file or $BAND_TOKEN',
    },
    examples: ['bandctl web', 'bandctl web --token-file ~/.band-token'],
  },
  backup: {
    options: { db: DB },
    examples: ['bandctl backup --db book.db'],
  },
  restore: {
    options: { db: DB, from: 'B  the backup file to restore (default: the newest beside the book)' },
    examples: ['bandctl restore --db book.db'],
  },
};
