// The thin Electron shell: app data in the OS's app-data folder, one hardened window, the IPC contract wired to the
// shared services, native save dialogs for exports and a notification when new intents arrive.
import { app, BrowserWindow, dialog, ipcMain, Notification, type IpcMainInvokeEvent } from 'electron';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createHandlers } from '../api/handlers';
import { createServices } from '../api/create';
import { corruptionInfo, restoreBackup } from '../services/store/backup';
import { StoreError } from '../services/store/db';
import type { ConsoleServices } from '../api/services';
import { forwardEvents, registerIpc } from './ipc';
import { APP_ORIGIN, createMainWindow, guardAllContents, hardenSession, registerScheme, serveRenderer, session } from './window';

function osUser(): string {
  try {
    return userInfo().username || 'trader';
  } catch {
    return 'trader';
  }
}

function resourcesDir(): string {
  return app.isPackaged ? join(process.resourcesPath, 'resources') : join(__dirname, '../../resources');
}

/** The user's data: band.db, risk_rules.yaml (seeded from the default on first start) and reports/. */
export function appDataPaths(): { dir: string; db: string; config: string; reports: string } {
  const dir = app.getPath('userData');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'risk_rules.yaml');
  if (!existsSync(config)) copyFileSync(join(resourcesDir(), 'config', 'risk_rules.yaml'), config);
  const reports = join(dir, 'reports');
  mkdirSync(reports, { recursive: true });
  return { dir, db: join(dir, 'band.db'), config, reports };
}

export function runElectronApp(): void {
  registerScheme();
  guardAllContents();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  let win: BrowserWindow | null = null;
  let services: ConsoleServices | null = null;
  const actor = osUser();

  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  // Tests and portable installs may point the app at another data folder.
  if (process.env.BAND_USER_DATA) app.setPath('userData', process.env.BAND_USER_DATA);

  void app.whenReady().then(async () => {
    const paths = appDataPaths();
    // The Electron build of better-sqlite3: from `npm start` (env), or shipped under resources/native when packaged.
    const nativeBinding =
      process.env.BAND_SQLITE_BINDING ||
      (app.isPackaged ? join(process.resourcesPath, 'native', 'better_sqlite3.node') : undefined);
    try {
      services = await createServices(paths.db, paths.config, {
        nativeBinding,
        reportsDir: paths.reports,
        actor,
        // The ledger consumer runs on a worker thread when the build emits its entry (out/main/ledgerWorker.js);
        // otherwise the engine applies the log on the main process's thread at every cycle and external commit.
        ledgerWorkerFile: join(__dirname, 'ledgerWorker.js'),
        log: (l: string) => console.log(l),
      });
    } catch (e) {
      if (e instanceof StoreError && e.code === 'CORRUPT') {
        // A damaged book: say so, and offer the newest automatic backup (the damaged file is kept aside).
        const info = corruptionInfo(paths.db, e);
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
            restoreBackup(paths.db, undefined, { nativeBinding });
            app.relaunch();
          } catch (err) {
            dialog.showErrorBox('Band Console: restore failed', (err as Error).message);
          }
        }
        app.quit();
        return;
      }
      dialog.showErrorBox('Band Console cannot start', (e as Error).message);
      app.quit();
      return;
    }
    const ses = session.defaultSession;
    hardenSession(ses);
    serveRenderer(ses, join(__dirname, '../renderer'));

    const svc = services;
    const handlers = createHandlers(svc);
    const saveFile = async (filename: string, content: string): Promise<string | null> => {
      const auto = process.env.BAND_EXPORT_DIR;
      if (auto) {
        const path = join(auto, filename);
        await writeFile(path, content, 'utf8');
        return path;
      }
      const ext = filename.slice(filename.lastIndexOf('.') + 1);
      const options = {
        title: 'Export report',
        defaultPath: join(app.getPath('downloads'), filename),
        filters: [{ name: ext.toUpperCase(), extensions: [ext] }],
      };
      const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      if (r.canceled || !r.filePath) return null;
      await writeFile(r.filePath, content, 'utf8');
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

    win = createMainWindow(join(__dirname, '../preload/index.js'));
    forwardEvents(svc.events, () => win?.webContents ?? null);
    svc.events.subscribe((event, payload) => {
      if (event !== 'intents:new' || !Notification.isSupported()) return;
      const { count } = payload as { count: number };
      const n = new Notification({
        title: 'Band Console',
        body: `${count} new corrective intent${count === 1 ? '' : 's'} awaiting approval`,
        silent: false,
      });
      n.on('click', () => win?.focus());
      n.show();
    });
    win.on('closed', () => {
      win = null;
    });
    await win.loadURL(`${APP_ORIGIN}/index.html`);
  });

  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', (e) => {
    if (!services) return;
    const s = services;
    services = null;
    e.preventDefault();
    void s.close().finally(() => app.quit());
  });
}
