// The console's window on the Daily Ledger: positions, quarantine, report bundles and their export bytes, the
// background ledger worker (the consumer on its own thread), the scheduled EOD files with catch-up at start, and a
// cheap "did a fill land?" mark for push events.
import { existsSync } from 'node:fs';
import type { ExportFormat } from '../../shared/contract';
import type { PositionView, QuarantinedEvent, ReportBundle, ReportView } from '../../shared/types';
import type { RiskConfig } from '../services/config/schema';
import { listPositions, listQuarantine } from '../services/ledger/positions';
import { startLedgerWorker, type LedgerWorkerHandle } from '../services/ledger/worker';
import { renderReport, reportBundle, reportView, writeDueReports } from '../services/reports';
import { getState, setState, type Db } from '../services/store/db';
import { compactLog } from '../services/ledger/log';
import { tradingDateOf } from '../../shared/calendar';
import { errorMessage } from '../../shared/errors';

interface LedgerAccess {
  positions(): PositionView[];
  quarantine(limit: number): QuarantinedEvent[];
  reportBundle(date: string): ReportBundle;
  reportView(date: string): ReportView;
  render(bundle: ReportBundle, format: ExportFormat): string;
  /** Highest fill id and its trading date: changes whenever a fill is recorded, by anyone. */
  fillMark(): { count: number; lastDate: string | null };
  /** Starts the worker and the EOD schedule; `onApplied` runs on the main thread after the worker applied events. */
  start(onApplied: () => void): void;
  stop(): Promise<void>;
}

interface LedgerAccessOptions {
  dbFile: string;
  /** Where EOD files go when the config says `output_dir: null`. */
  reportsDir: string;
  config: () => RiskConfig | null;
  /** The book's account time zone: the worker dates fills in it. */
  timezone: string;
  now: () => number;
  /**
   * The ledger worker's entry: omitted = the worker module itself (tsx, vitest); null = no worker thread (the
   * engine then applies the log on the main thread at every cycle and every external commit).
   */
  workerFile?: string | null;
  /** The better-sqlite3 addon the worker's own connection loads (Electron's build; BAND_SQLITE_BINDING). */
  nativeBinding?: string;
  log: (l: string) => void;
}

const EOD_CHECK_MS = 60_000;

export function ledgerAccess(db: Db, opts: LedgerAccessOptions): LedgerAccess {
  const mark = db.prepare('SELECT id, trading_date FROM fills ORDER BY id DESC LIMIT 1');
  let worker: LedgerWorkerHandle | null = null;
  let eod: NodeJS.Timeout | null = null;

  const writeEod = () => {
    const cfg = opts.config();
    if (!cfg) return;
    try {
      const files = writeDueReports(db, cfg, opts.now(), cfg.reports.output_dir ?? opts.reportsDir, opts.timezone);
      if (files.length) opts.log(`EOD reports written: ${files.join(', ')}`);
    } catch (e) {
      opts.log(`EOD reports: ${errorMessage(e)}`);
    }
    // Bounded growth: once a day, the raw text of applied events older than retention.raw_days goes.
    try {
      const today = tradingDateOf(opts.now(), opts.timezone);
      if (getState(db, 'log_compacted_on') !== today) {
        const r = compactLog(db, { rawDays: cfg.retention.raw_days, now: opts.now() });
        setState(db, 'log_compacted_on', today);
        if (r.removed) opts.log(`event log: removed the raw text of ${r.removed} applied events older than ${cfg.retention.raw_days} days`);
      }
    } catch (e) {
      opts.log(`event log compaction: ${errorMessage(e)}`);
    }
  };

  return {
    positions: () => listPositions(db),
    quarantine: (limit) => listQuarantine(db, limit),
    reportBundle: (date) => reportBundle(db, date),
    reportView: (date) => reportView(db, date),
    // Exactly what `bandctl report --format F` prints and the scheduled files hold.
    render: (bundle, format) => renderReport(bundle, format),
    fillMark() {
      const r = mark.get() as { id: number; trading_date: string } | undefined;
      return { count: r?.id ?? 0, lastDate: r?.trading_date ?? null };
    },
    start(onApplied) {
      if (opts.workerFile !== null && opts.dbFile !== ':memory:' && (opts.workerFile === undefined || existsSync(opts.workerFile))) {
        try {
          worker = startLedgerWorker(opts.dbFile, {
            timezone: opts.timezone,
            workerFile: opts.workerFile ?? undefined,
            nativeBinding: opts.nativeBinding,
          });
          worker.onApplied((m) => {
            if (m.accepted + m.rejected > 0) onApplied();
          });
          worker.onError((e) => opts.log(`ledger worker: ${e.message}`));
        } catch (e) {
          opts.log(`ledger worker not started (${errorMessage(e)}); the engine applies the log on the main thread`);
          worker = null;
        }
      }
      writeEod();
      eod = setInterval(writeEod, EOD_CHECK_MS);
      eod.unref();
    },
    async stop() {
      if (eod) clearInterval(eod);
      eod = null;
      const w = worker;
      worker = null;
      await w?.stop();
    },
  };
}
