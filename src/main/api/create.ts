// createServices(dbFile, configFile): opens the SQLite file, the ConfigWatcher, the Engine (with the price
// simulator and the paper broker) and the ledger worker once, for the Electron shell and `bandctl serve` alike.
// It also watches the database for commits by other processes (a `bandctl prices` or `ingest` beside the console)
// and turns them into push events, so every screen stays current whoever wrote the change.
import { dirname, join, resolve } from 'node:path';
import { defaultConfig } from '../services/config/load';
import { ConfigWatcher } from '../services/config/watcher';
import { ZonedConfig } from '../services/config/zoned';
import { bookZone, storedZone } from '../services/store/book-zone';
import { openConsoleStreams } from '../services/streams';
import { Engine } from '../services/engine/engine';
import { RandomWalkSimulator, staticPrices, type PriceSource } from '../services/prices';
import { startDailyBackups } from '../services/store/backup';
import { openDb, openInfo, type Db } from '../services/store/db';
import { checkIntegrityOffThread } from '../services/ledger/worker';
import { EventHub } from './events';
import type { ConsoleServices } from './services';
import { ledgerAccess } from './ledger';
import { replayAccess } from './replay';
import { errorMessage } from '../../shared/errors';
import { now as clockNow } from '../services/clock';

interface CreateOptions {
  /** better-sqlite3 addon built for Electron (env BAND_SQLITE_BINDING). */
  nativeBinding?: string;
  /** Where scheduled EOD reports go when the config says `output_dir: null` (default: reports/ beside the db). */
  reportsDir?: string;
  /** The ledger worker's entry file; null = apply the log on the main thread (see api/ledger.ts). */
  ledgerWorkerFile?: string | null;
  /**
   * The Policy lab's replay worker entry (the Electron build emits its own, out/main/replayWorker.js); omitted = the
   * worker module itself (tsx, vitest, the one-file CLI). A replay never runs on the main thread.
   */
  replayWorkerFile?: string;
  /** `simulator` (default: the seeded random walk) or `static` (ticks change only through bandctl prices / Redis). */
  prices?: 'simulator' | 'static';
  /** Take the automatic daily backup (default true). */
  backups?: boolean;
  /** Run the engine's timer (default true). */
  cycles?: boolean;
  /** How often to look for commits by other processes, ms (default 1000; 0 = never). */
  watchMs?: number;
  actor?: string;
  /**
   * The background database check after start: its delay in ms (default 3000), or false for none. It runs on a
   * worker thread from `ledgerWorkerFile`'s entry when there is one.
   */
  integrityCheck?: number | false;
  /** The engine's clock (tests pin it); Date.now by default. */
  now?: () => number;
  log?: (line: string) => void;
}

export interface Services extends ConsoleServices {
  db: Db;
  config: ZonedConfig;
  engine: Engine;
}

export async function createServices(dbFile: string, configFile: string, opts: CreateOptions = {}): Promise<Services> {
  const log = opts.log ?? (() => undefined);
  const db = openDb(dbFile, { nativeBinding: opts.nativeBinding });
  const watcher = new ConfigWatcher(configFile);
  // One time zone per book: a config naming another zone than the book's is an invalid config for this book (the
  // controller stays suspended with the reason on screen), never a crash and never a second zone.
  const first = watcher.current();
  const zone = bookZone(db, storedZone(db) === null && first.valid ? first.config?.account.timezone : null);
  const config = new ZonedConfig(watcher, db, zone);
  const events = new EventHub();
  // With streams.redis_url set, the ledger also consumes ev.orders as a consumer group, approvals go out on
  // ev.intents through the SQLite outbox, and ticks may come from a stream. The streams: section is read at start.
  const streams = openConsoleStreams({
    db,
    dbFile,
    config: config.current().config ?? defaultConfig(),
    openDb: (f) => openDb(f, { nativeBinding: opts.nativeBinding }),
    log,
  });
  const prices: PriceSource = streams.prices ?? (opts.prices === 'static' ? staticPrices : new RandomWalkSimulator());
  const engine = new Engine({
    db,
    timezone: zone,
    config: () => config.current(),
    prices,
    broker: streams.broker,
    actor: opts.actor,
    now: opts.now,
  });
  streams.start(engine);
  const ledger = ledgerAccess(db, {
    dbFile,
    reportsDir: opts.reportsDir ?? join(dirname(resolve(dbFile)), 'reports'),
    config: () => config.current().config,
    timezone: zone,
    now: () => engine.now(),
    workerFile: opts.ledgerWorkerFile,
    nativeBinding: opts.nativeBinding,
    log,
  });

  const replay = replayAccess({ dbFile, configFile, live: () => config.current().config, zone, workerFile: opts.replayWorkerFile, nativeBinding: opts.nativeBinding });

  const offs: (() => void)[] = [
    engine.on('status', (s) => events.emit('status', s)),
    engine.on('intents:new', (p) => events.emit('intents:new', p)),
    engine.on('intents:changed', (p) => events.emit('intents:changed', p)),
    engine.on('fills', (p) => events.emit('fills', p)),
  ];
  let lastConfigValid = config.current().valid;
  offs.push(
    config.onChange((st) => {
      if (!st.valid) events.emit('config:error', { messages: st.messages });
      if (st.valid !== lastConfigValid || !st.valid) {
        lastConfigValid = st.valid;
        try {
          events.emit('status', engine.status());
        } catch (e) {
          log(`status after config change: ${errorMessage(e)}`);
        }
      }
    }),
  );

  // Commits by other connections (the ledger worker, a bandctl beside the console) bump PRAGMA data_version:
  // apply what they appended, sync intent fills, and tell the screens.
  let dataVersion = db.pragma('data_version', { simple: true }) as number;
  let fillMark = ledger.fillMark();
  const refresh = () => {
    try {
      const v = db.pragma('data_version', { simple: true }) as number;
      if (v === dataVersion) return;
      dataVersion = v;
      const changed = engine.sync();
      dataVersion = db.pragma('data_version', { simple: true }) as number;
      const mark = ledger.fillMark();
      if (mark.count !== fillMark.count && mark.lastDate) {
        events.emit('fills', { count: Math.max(1, mark.count - fillMark.count), date: mark.lastDate });
      }
      fillMark = mark;
      // Intents another process proposed (a bandctl evaluate beside the console) are new to the trader too: the same
      // intents:new (and so the same notification) as the console's own cycle.
      const fresh = newPending.all(intentMark) as { id: string; rowid: number }[];
      if (fresh.length) {
        intentMark = fresh[fresh.length - 1].rowid;
        events.emit('intents:new', { ids: fresh.map((r) => r.id), count: fresh.length });
      }
      if (!changed.length) events.emit('intents:changed', { ids: [] });
      events.emit('status', engine.status());
    } catch (e) {
      log(`watch: ${errorMessage(e)}`);
    }
  };
  // Intents are announced once: the mark follows the engine's own announcements too.
  const newPending = db.prepare("SELECT id, rowid FROM intents WHERE rowid > ? AND status = 'PENDING' ORDER BY rowid");
  const lastIntent = db.prepare('SELECT COALESCE(MAX(rowid), 0) FROM intents').pluck();
  let intentMark = lastIntent.get() as number;
  offs.push(engine.on('intents:new', () => void (intentMark = lastIntent.get() as number)));
  // Fills the engine's own broker booked are announced by the engine; keep the mark in step so they are not repeated.
  offs.push(engine.on('fills', () => void (fillMark = ledger.fillMark())));
  const watch = opts.watchMs === 0 ? null : setInterval(refresh, opts.watchMs ?? 1000);
  watch?.unref();

  // The automatic daily backup (SQLite online backup into backups/ beside the database, last 7 kept): the copy
  // a damaged book is restored from.
  const backups = dbFile === ':memory:' || opts.backups === false ? null : startDailyBackups(db, dbFile, { nativeBinding: opts.nativeBinding, onError: (e) => log(`backup: ${e.message}`) });

  // The database check: what open found (a check after an unclean shutdown), then a full quick_check in the
  // background once the console is up: the result in the header (status) and the log.
  const info = openInfo(db);
  engine.setIntegrity({
    state: opts.integrityCheck === false ? 'off' : 'pending',
    detail: info.uncleanShutdown ? 'the previous session did not close cleanly; checked at open: ok' : 'checking in the background',
    at: null,
    ms: info.check?.ms ?? null,
    unclean_shutdown: info.uncleanShutdown,
  });
  if (info.uncleanShutdown) log(`database: the previous session did not close cleanly; quick_check at open: ${info.check?.detail ?? 'not run'}`);
  let checkTimer: NodeJS.Timeout | null = null;
  let checking: Promise<void> | null = null;
  if (opts.integrityCheck !== false && dbFile !== ':memory:') {
    checkTimer = setTimeout(() => {
      checkTimer = null;
      checking = checkIntegrityOffThread(dbFile, { workerFile: opts.ledgerWorkerFile, nativeBinding: opts.nativeBinding }).then((r) => {
        log(`database check (${r.kind}_check, ${Math.round(r.ms)} ms): ${r.detail}`);
        if (closed) return;
        engine.setIntegrity({ state: r.ok ? 'ok' : 'failed', detail: r.detail, at: clockNow(), ms: Math.round(r.ms), unclean_shutdown: info.uncleanShutdown });
      });
    }, opts.integrityCheck ?? 3_000);
    checkTimer.unref();
  }

  if (opts.cycles !== false) engine.start();
  ledger.start(refresh);

  let closed = false;
  return {
    db,
    config,
    engine,
    events,
    positions: () => ledger.positions(),
    quarantine: (limit) => ledger.quarantine(limit),
    reportBundle: (date) => ledger.reportBundle(date),
    reportView: (date) => ledger.reportView(date),
    renderReport: (bundle, format) => ledger.render(bundle, format),
    replay,
    async close() {
      if (closed) return;
      closed = true;
      await replay.stop();
      if (checkTimer) clearTimeout(checkTimer);
      await checking;
      if (watch) clearInterval(watch);
      engine.stop();
      offs.forEach((off) => off());
      await streams.stop();
      if (backups) {
        backups.stop();
        await backups.idle();
      }
      await ledger.stop();
      db.close();
    },
  };
}
