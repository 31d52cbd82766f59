// Ledger commands (docs/spec.md §10): ingest, compact, import-positions, positions, quarantine (report: report.ts).
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { groupThousands } from '../../../shared/money';
import { formatConfigError, loadConfigFile } from '../../services/config/load';
import type { RiskConfig } from '../../services/config/schema';
import { ingestFile, ingestStream, type IngestOptions } from '../../services/ledger/ingest';
import { compactLog } from '../../services/ledger/log';
import { importPositions, listPositions, listQuarantine } from '../../services/ledger/positions';
import { bookZone } from '../../services/store/book-zone';
import { openDb } from '../../services/store/db';
import { openExisting } from '../open-existing';
import { intOption, optionalString, requireString, UsageError, type Command } from '../framework';
import { errorMessage } from '../../../shared/errors';

function loadConfig(file: string | undefined): RiskConfig | null {
  if (!file) return null;
  const r = loadConfigFile(file);
  if (!r.ok) throw new UsageError(`config ${file}: ${r.errors.map(formatConfigError).join('; ')}`);
  return r.config;
}

const ingest: Command = {
  name: 'ingest',
  usage: 'ingest --db F [--config C] FILE.jsonl|-',
  summary: 'apply order events exactly once (run again after a crash, it applies only what it had not); prints the counts as JSON',
  options: { db: { type: 'string' }, config: { type: 'string' } },
  positionals: [1, 1],
  async run({ values, positionals, io }) {
    const dbFile = requireString(values, 'db', this.usage);
    const cfg = loadConfig(optionalString(values, 'config'));
    const file = positionals[0];
    if (file !== '-') {
      try {
        accessSync(file, constants.R_OK); // fail early and clearly on a missing or unreadable file
        if (!statSync(file).isFile()) throw new Error('EISDIR');
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
      }
    }
    const source = file === '-' ? 'stdin' : `file:${basename(file)}`;
    const db = openDb(dbFile);
    try {
      // Fills are dated in the book's own zone; a --config naming another zone is refused.
      const timezone = bookZone(db, cfg?.account.timezone, `--config ${optionalString(values, 'config')}`);
      // A bulk load's connection: a 32 MiB page cache (not the console's 64: the peak memory of a 1M-line ingest
      // stays under 300 MB), and few checkpoints of its own (a checkpointer thread copies the WAL: ingest.ts).
      db.pragma('cache_size = -32768');
      db.pragma('wal_autocheckpoint = 20000');
      const ingestOpts: IngestOptions = {
        timezone,
        source,
        onProgress: (read, t) =>
          io.err(
            `ingest: ${groupThousands(read)} lines read; accepted ${t.accepted}, duplicates ${t.duplicates}, rejected ${t.rejected}\n`,
          ),
        // BANDCTL_DEBUG set (as for stacks on errors): also say where the lines were parsed and validated
        onStats: process.env.BANDCTL_DEBUG
          ? (s) =>
              io.err(
                `ingest: ${groupThousands(s.lines)} lines: ${groupThousands(s.onThread)} validated on validator thread ` +
                  `${s.threadId ?? '-'}, ${groupThousands(s.inThread)} on the main thread; WAL checkpoints on their own ` +
                  `thread: ${s.checkpoints ?? 'none'}${s.checkpointError ? ` (stopped: ${s.checkpointError})` : ''}; peak RSS ` +
                  `${groupThousands(Math.round(process.resourceUsage().maxRSS / 1024))} MiB\n`,
              )
          : undefined,
      };
      // a file: its validator thread reads it; stdin: this thread reads it and hands its bytes over
      const total =
        file === '-'
          ? await ingestStream(db, io.stdin as AsyncIterable<string | Buffer>, ingestOpts)
          : await ingestFile(db, file, ingestOpts);
      db.pragma('wal_checkpoint(PASSIVE)');
      io.out(`${JSON.stringify(total)}\n`);
    } finally {
      db.close();
    }
    return 0;
  },
};

const compact: Command = {
  name: 'compact',
  usage: 'compact --db F [--config C] [--raw-days N] [--vacuum] [--json]',
  summary: 'drop the raw text of applied events older than retention.raw_days (default 30); --vacuum also gives the space back to the file system',
  options: { db: { type: 'string' }, config: { type: 'string' }, 'raw-days': { type: 'string' }, vacuum: { type: 'boolean' }, json: { type: 'boolean' } },
  run({ values, io }) {
    const dbFile = requireString(values, 'db', this.usage);
    const cfg = loadConfig(optionalString(values, 'config'));
    const rawDays = intOption(values, 'raw-days', cfg?.retention.raw_days ?? 30, 1);
    const db = openExisting(dbFile);
    let out: { removed: number; raw_days: number; bytes_before: number; bytes_after: number };
    try {
      const bytes = () => (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
      const before = bytes();
      const r = compactLog(db, { rawDays });
      db.pragma('wal_checkpoint(TRUNCATE)');
      if (values.vacuum) db.exec('VACUUM');
      out = { removed: r.removed, raw_days: rawDays, bytes_before: before, bytes_after: bytes() };
    } finally {
      db.close();
    }
    if (values.json) io.out(`${JSON.stringify(out)}\n`);
    else io.out(`removed the raw text of ${groupThousands(out.removed)} applied events older than ${rawDays} days; ${groupThousands(out.bytes_before)} -> ${groupThousands(out.bytes_after)} bytes${values.vacuum ? '' : ' (free pages are reused; --vacuum shrinks the file)'}\n`);
    return 0;
  },
};

const importPositionsCmd: Command = {
  name: 'import-positions',
  usage: 'import-positions --db F FILE.csv',
  summary: 'import an opening book (bucket,symbol,qty,avg_cost); nothing is applied if any line is bad',
  options: { db: { type: 'string' } },
  positionals: [1, 1],
  run({ values, positionals, io }) {
    const dbFile = requireString(values, 'db', this.usage);
    const file = positionals[0];
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
    }
    const db = openDb(dbFile);
    try {
      const r = importPositions(db, text, `file:${basename(file)}`);
      if (r.errors.length > 0) throw new UsageError(`${file}: ${r.errors.join('; ')} (nothing imported)`);
      io.out(`${JSON.stringify({ imported: r.rows })}\n`);
    } finally {
      db.close();
    }
    return 0;
  },
};

function pad(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i <= 1 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
}

const positions: Command = {
  name: 'positions',
  usage: 'positions --db F [--json]',
  summary: 'the current book: qty, average cost, tick and unrealized PnL per (bucket, symbol)',
  options: { db: { type: 'string' }, json: { type: 'boolean' } },
  run({ values, io }) {
    const db = openExisting(requireString(values, 'db', this.usage));
    try {
      const ps = listPositions(db);
      if (values.json) {
        const out = ps.map((p) => ({
          bucket: p.bucket,
          symbol: p.symbol,
          qty: p.qty,
          avg_cost: p.avg_cost,
          tick: p.tick,
          unrealized_pnl: p.unrealized_pnl,
        }));
        io.out(`${JSON.stringify(out)}\n`);
        return 0;
      }
      const rows = [['BUCKET', 'SYMBOL', 'QTY', 'AVG_COST', 'TICK', 'UNREALIZED_PNL', 'REALIZED_PNL']];
      for (const p of ps) {
        rows.push([
          p.bucket,
          p.symbol,
          groupThousands(p.qty),
          p.avg_cost.toFixed(4),
          p.tick === null ? '-' : p.tick.toFixed(2),
          p.unrealized_pnl === null ? '-' : p.unrealized_pnl.toFixed(2),
          p.realized_pnl.toFixed(2),
        ]);
      }
      io.out(ps.length === 0 ? 'no positions\n' : `${pad(rows)}\n`);
    } finally {
      db.close();
    }
    return 0;
  },
};

const quarantine: Command = {
  name: 'quarantine',
  usage: 'quarantine --db F [--limit N] [--json]',
  summary: 'quarantined (invalid) order events, latest first, with their reasons',
  options: { db: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  run({ values, io }) {
    const limit = intOption(values, 'limit', 100, 1);
    const db = openExisting(requireString(values, 'db', this.usage));
    try {
      const q = listQuarantine(db, limit);
      if (values.json) io.out(`${JSON.stringify(q)}\n`);
      else for (const e of q) io.out(`#${e.id} ${new Date(e.at).toISOString()} ${e.source}: ${e.reason}\n  ${e.raw}\n`);
    } finally {
      db.close();
    }
    return 0;
  },
};

export const commands: Command[] = [ingest, importPositionsCmd, positions, quarantine, compact];

