// The thin Electron shell: app data in the OS's app-data folder, one hardened window that remembers its place, our
// own application menu, a rotated log file, the IPC contract wired to the shared services, native save dialogs for
// exports, a notification when new intents arrive, and a renderer that is reloaded when it crashes or hangs.
import { app, BrowserWindow, dialog, ipcMain, Menu, Notification, screen, shell, type IpcMainInvokeEvent } from 'electron';
import { writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { inspect } from 'node:util';
import { tradingDateOf } from '../../shared/calendar';
import type { ExportFormat, ScreenId } from '../../shared/contract';
import { createHandlers, exportFilename } from '../api/handlers';
import { createServices } from '../api/create';
import type { ConsoleServices } from '../api/services';
import { APP_DATA_NAME, ensureAppData, type AppData } from '../services/appdata';
import { RotatingLog } from '../services/log/rotating';
import { corruptionInfo, restoreBackup } from '../services/store/backup';
import { StoreError } from '../services/store/db';
import { forwardEvents, PUSH_CHANNEL_PREFIX, registerIpc } from './ipc';
import { aboutText, menuTemplate } from './menu';
import { APP_ORIGIN, createMainWindow, guardAllContents, hardenSession, registerScheme, serveRenderer, session, superviseRenderer } from './window';
import { loadWindowState, placeWindow, saveWindowState, type WindowState } from './window-state';
import { osUser } from '../services/os-user';
import { errorMessage } from '../../shared/errors';
import { REPORT_FORMATS } from '../../shared/report-formats';
import { initClock, now as clockNow } from '../services/clock';

function resourcesDir(): string {
  return app.isPackaged ? join(process.resourcesPath, 'resources') : join(__dirname, '../../resources');
}

/** Every console line of the main process also goes to the log file (libraries' warnings included). */
function teeConsole(log: RotatingLog): void {
  const text = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 4 }))).join(' ');
  for (const [method, level] of [
    ['log', 'info'],
    ['info', 'info'],
    ['warn', 'warn'],
    ['error', 'error'],
  ] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      log.write(level, text(args));
      original(...args);
    };
  }
  process.on('uncaughtException', (e) => log.error(`uncaught exception: ${(e as Error)?.stack ?? String(e)}`));
  process.on('unhandledRejection', (e) => log.error(`unhandled rejection: ${(e as Error)?.stack ?? String(e)}`));
}

/** The report format a save dialog's file name asks for, by its extension (shared/report-formats.ts). */
function formatOfFile(file: string): ExportFormat {
  const ext = extname(file).toLowerCase().slice(1);
  return REPORT_FORMATS.find((f) => f.extension === ext)?.id ?? 'text';
}

export function runElectronApp(): void {
  registerScheme();
  guardAllContents();
  // The data folder is <OS app-data>/band-console whatever the product name, so `npm start`, the packaged app and
  // `npm run web` open the same book. BAND_USER_DATA (tests, portable installs) or BAND_APP_DATA (also read by bandctl)
  // points it elsewhere. It is set before the single-instance lock, which is held per data folder.
  app.setPath('userData', process.env.BAND_USER_DATA || process.env.BAND_APP_DATA || join(app.getPath('appData'), APP_DATA_NAME));
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const log = new RotatingLog(join(app.getPath('userData'), 'logs'));
  teeConsole(log);
  let win: BrowserWindow | null = null;
  let services: ConsoleServices | null = null;
  const actor = osUser();

  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  async function start(): Promise<void> {
    // BAND_NOW is read once, first: a bad value stops the start with its reason in the error box
    const clock = initClock();
    // The Electron build of better-sqlite3: from `npm start` (env), or shipped under resources/native when packaged.
    const nativeBinding =
      process.env.BAND_SQLITE_BINDING || (app.isPackaged ? join(process.resourcesPath, 'native', 'better_sqlite3.node') : undefined);
    const paths = ensureAppData(app.getPath('userData'), join(resourcesDir(), 'config', 'risk_rules.yaml'), { nativeBinding });
    console.log(`Band Console ${app.getVersion()} starting (Electron ${process.versions.electron ?? '?'}, data folder ${paths.dir}, user ${actor})`);
    if (paths.createdDemo) console.log(`created ${paths.db} with the demo book`);
    if (clock.source === 'BAND_NOW') console.log(`clock: BAND_NOW=${clock.spec} (${clock.frozen ? 'frozen' : 'time flows on from there'})`);
    try {
      services = await createServices(paths.db, paths.config, {
        nativeBinding,
        reportsDir: paths.reports,
        actor,
        // The ledger consumer runs on a worker thread when the build emits its entry (out/main/ledgerWorker.js);
        // otherwise the engine applies the log on the main process's thread at every cycle and external commit.
        ledgerWorkerFile: join(__dirname, 'ledgerWorker.js'),
        // The Policy lab's replays run on a worker thread of their own entry (out/main/replayWorker.js).
        replayWorkerFile: join(__dirname, 'replayWorker.js'),
        log: (l: string) => console.log(l),
      });
    } catch (e) {
      if (e instanceof StoreError && e.code === 'CORRUPT') {
        offerRestore(paths, e, nativeBinding);
        return;
      }
      throw e;
    }
    const svc = services;
    const ses = session.defaultSession;
    hardenSession(ses);
    serveRenderer(ses, join(__dirname, '../renderer'));

    const handlers = createHandlers(svc);
    const saveFile = async (filename: string, content: string): Promise<string | null> => {
      const auto = process.env.BAND_EXPORT_DIR;
      if (auto) {
        const path = join(auto, filename);
        await writeFile(path, content, 'utf8');
        return path;
      }
      const ext = extname(filename).slice(1);
      const options = {
        title: 'Export report',
        defaultPath: join(app.getPath('downloads'), filename),
        filters: [{ name: ext.toUpperCase(), extensions: [ext] }],
      };
      const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      if (r.canceled || !r.filePath) return null;
      await writeFile(r.filePath, content, 'utf8');
      console.log(`exported ${filename} to ${r.filePath}`);
      return r.filePath;
    };
    const isTrustedSender = (event: IpcMainInvokeEvent): boolean => {
      const frame = event.senderFrame;
      if (!win || win.isDestroyed() || event.sender !== win.webContents || !frame) return false;
      const main = win.webContents.mainFrame;
      // our window's top frame (not an iframe), showing our own origin
      return frame.processId === main.processId && frame.routingId === main.routingId && frame.url.startsWith(`${APP_ORIGIN}/`);
    };
    registerIpc({
      ipcMain,
      handlers,
      isTrustedSender,
      context: () => ({ actor, transport: 'ipc', saveFile }),
      log: (l) => console.error(l),
    });

    // Where the window was, on a display that still exists.
    const placed = placeWindow(
      loadWindowState(paths.windowState),
      screen.getAllDisplays().map((d) => d.workArea),
      screen.getPrimaryDisplay().workArea,
    );
    const w = createMainWindow(join(__dirname, '../preload/index.js'), {
      bounds: placed,
      maximize: placed.maximized,
      icon: join(resourcesDir(), 'icon.png'),
      devTools: !app.isPackaged,
    });
    win = w;
    rememberPlace(w, paths.windowState);
    superviseRenderer(w, { log: (level, line) => log.write(level, line), logsDir: paths.logs });

    const exportReport = async (): Promise<void> => {
      const st = svc.engine?.status();
      const date = tradingDateOf(st?.now ?? clockNow(), st?.timezone ?? 'America/New_York');
      const r = await dialog.showSaveDialog(w, {
        title: `Export the EOD report of ${date}`,
        defaultPath: join(app.getPath('downloads'), exportFilename(date, 'text')),
        filters: REPORT_FORMATS.map((f) => ({ name: `${f.label} report`, extensions: [f.extension] })),
      });
      if (r.canceled || !r.filePath) return;
      const format = formatOfFile(r.filePath);
      await writeFile(r.filePath, svc.renderReport(svc.reportBundle(date), format), 'utf8');
      console.log(`exported the ${format} report of ${date} to ${r.filePath}`);
    };
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate(
          {
            exportReport: () =>
              void exportReport().catch((e: unknown) => {
                console.error(`export failed: ${(e as Error)?.stack ?? String(e)}`);
                dialog.showErrorBox('Export failed', errorMessage(e));
              }),
            openDataFolder: () => void shell.openPath(paths.dir),
            openLogsFolder: () => void shell.openPath(paths.logs),
            showAbout: () => {
              const t = aboutText({
                app: app.getVersion(),
                electron: process.versions.electron,
                chrome: process.versions.chrome,
                node: process.versions.node,
                dataDir: paths.dir,
                logsDir: paths.logs,
              });
              void dialog.showMessageBox(w, { type: 'info', title: 'About Band Console', message: t.message, detail: t.detail, buttons: ['OK'], noLink: true });
            },
            navigate: (screenId: ScreenId) => {
              if (!w.isDestroyed()) w.webContents.send(`${PUSH_CHANNEL_PREFIX}app:navigate`, { screen: screenId });
            },
          },
          { isPackaged: app.isPackaged, platform: process.platform },
        ),
      ),
    );

    forwardEvents(svc.events, () => win?.webContents ?? null);
    svc.events.subscribe((event, payload) => {
      if (event !== 'intents:new' || !Notification.isSupported()) return;
      const { count } = payload as { count: number };
      const n = new Notification({
        title: 'Band Console',
        body: `${count} new corrective intent${count === 1 ? '' : 's'} awaiting approval`,
        silent: false,
      });
      n.on('click', () => {
        win?.show();
        win?.focus();
        win?.webContents.send(`${PUSH_CHANNEL_PREFIX}app:navigate`, { screen: 'approvals' });
      });
      n.show();
    });
    w.on('closed', () => {
      win = null;
    });
    await w.loadURL(`${APP_ORIGIN}/index.html`);
  }

  /** A damaged book: say so, and offer the newest automatic backup (the damaged file is kept aside). */
  function offerRestore(paths: AppData, e: StoreError, nativeBinding: string | undefined): void {
    const info = corruptionInfo(paths.db, e);
    console.error(`database damaged: ${info.message}`);
    const choice = info.backup
      ? dialog.showMessageBoxSync({
          type: 'error',
          title: 'Band Console: database damaged',
          message: info.message,
          buttons: ['Restore backup and restart', 'Quit'],
          defaultId: 0,
          cancelId: 1,
        })
      : (dialog.showErrorBox('Band Console: database damaged', info.message), 1);
    if (choice === 0) {
      try {
        const r = restoreBackup(paths.db, undefined, { nativeBinding });
        console.log(`restored ${paths.db} from ${r.from}; the damaged file was kept as ${r.keptAs ?? '(none)'}`);
        app.relaunch();
      } catch (err) {
        console.error(`restore failed: ${errorMessage(err)}`);
        dialog.showErrorBox('Band Console: restore failed', errorMessage(err));
      }
    }
    app.quit();
  }

  void app.whenReady().then(() =>
    start().catch((e: unknown) => {
      console.error(`cannot start: ${(e as Error)?.stack ?? String(e)}`);
      dialog.showErrorBox('Band Console cannot start', errorMessage(e));
      app.quit();
    }),
  );

  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', (e) => {
    if (!services) return;
    const s = services;
    services = null;
    e.preventDefault();
    void s
      .close()
      .then(() => console.log('database closed; quitting'))
      .catch((err: unknown) => console.error(`closing the services failed: ${(err as Error)?.stack ?? String(err)}`))
      .finally(() => app.quit());
  });
}

/** Saves the window's normal bounds and maximised state when it moves, resizes or closes. */
function rememberPlace(win: BrowserWindow, file: string): void {
  let timer: NodeJS.Timeout | null = null;
  const save = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (win.isDestroyed()) return;
    const b = win.getNormalBounds();
    const state: WindowState = { x: b.x, y: b.y, width: b.width, height: b.height, maximized: win.isMaximized() };
    try {
      saveWindowState(file, state);
    } catch (e) {
      console.warn(`window state not saved: ${errorMessage(e)}`);
    }
  };
  const later = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  for (const ev of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(ev as 'resize', later);
  win.on('close', save);
}
