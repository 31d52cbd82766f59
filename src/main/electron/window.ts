// The main window and its hardening (docs/spec.md §11): shown only when ready, contextIsolation + sandbox, no Node in the
// renderer, a strict CSP, content only from our own `app://band/` protocol (the built files), navigation and new
// windows refused, every permission request denied.
import { app, BrowserWindow, dialog, net, protocol, session, type Session } from 'electron';
import { randomBytes } from 'node:crypto';
import { join, normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hostCsp as electronCsp, withNonce } from '../../shared/csp';
import { MIN_SIZE } from './window-state';

const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://band`;


/** Must run before app 'ready'. */
export function registerScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves out/renderer under app://band/, refusing anything outside it. */
export function serveRenderer(ses: Session, rendererDir: string): void {
  const root = resolve(rendererDir);
  ses.protocol.handle(APP_SCHEME, async (req) => {
    const url = new URL(req.url);
    if (url.host !== 'band') return new Response('not found', { status: 404 });
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) return new Response('not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('X-Content-Type-Options', 'nosniff');
    if (rel === 'index.html' && res.ok) {
      // a fresh nonce per page load, in the CSP header and where the renderer hands it to AG Grid
      const nonce = randomBytes(16).toString('base64');
      headers.set('Content-Security-Policy', electronCsp(nonce));
      headers.set('Content-Type', 'text/html; charset=utf-8');
      const html = withNonce(await res.text(), nonce);
      return new Response(html, { status: 200, headers });
    }
    headers.set('Content-Security-Policy', electronCsp('none'));
    return new Response(res.body, { status: res.status, headers });
  });
}

export function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler?.(() => false);
  // No remote content at all: only our protocol and devtools.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const ok = details.url.startsWith(`${APP_ORIGIN}/`) || details.url.startsWith('devtools://') || details.url.startsWith('blob:') || details.url.startsWith('data:');
    callback({ cancel: !ok });
  });
}

export interface MainWindowOptions {
  bounds: { x: number; y: number; width: number; height: number };
  maximize?: boolean;
  icon?: string;
  /** DevTools only in development: a packaged app has no way to open them. */
  devTools?: boolean;
}

export function createMainWindow(preload: string, opts: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    ...opts.bounds,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    show: false,
    title: 'Band Console',
    icon: opts.icon,
    backgroundColor: '#0d1117',
    webPreferences: {
      preload, // eng-disable PRELOAD_JS_CHECK -- src/preload exposes only the contract's channels through contextBridge
      disableBlinkFeatures: 'Auxclick',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: opts.devTools ?? false,
    },
  });
  win.once('ready-to-show', () => {
    if (opts.maximize) win.maximize();
    win.show();
  });
  // No new windows of any kind (the console has no external links).
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  return win;
}

export interface SuperviseOptions {
  log: (level: 'info' | 'warn' | 'error', line: string) => void;
  logsDir: string;
  /** More crashes than this within a minute stop the automatic reloads (a crash loop). */
  maxCrashesPerMinute?: number;
  now?: () => number;
}

/**
 * A crashed renderer is reloaded, with a message saying so; a crash loop stops reloading and says where the log is.
 * A hung renderer asks the trader: wait, or reload (the view's state is only a cache of the main process's: approvals,
 * the ledger and the engine live there and in the database, so a reload loses nothing).
 */
export function superviseRenderer(win: BrowserWindow, opts: SuperviseOptions): void {
  const crashes: number[] = [];
  const now = opts.now ?? Date.now;
  const limit = opts.maxCrashesPerMinute ?? 3;
  let reloadAsked = false;
  win.webContents.on('render-process-gone', (_event, details) => {
    opts.log('error', `renderer process gone: ${details.reason} (exit code ${details.exitCode})`);
    if (details.reason === 'clean-exit' || win.isDestroyed()) return;
    const t = now();
    // A reload the trader asked for (a hung view ended) is not a crash.
    if (!reloadAsked) crashes.push(t);
    while (crashes.length && crashes[0] < t - 60_000) crashes.shift();
    if (crashes.length > limit) {
      opts.log('error', `renderer crashed ${crashes.length} times within a minute: not reloading again`);
      void dialog.showMessageBox(win, {
        type: 'error',
        title: 'Band Console',
        message: 'The console view keeps stopping',
        detail: `It stopped ${crashes.length} times within a minute (last: ${details.reason}), so it was not reloaded again. Use View ▸ Reload or restart the app; the log is in ${opts.logsDir}.`,
        buttons: ['OK'],
      });
      return;
    }
    const asked = reloadAsked;
    reloadAsked = false;
    win.webContents.reload();
    void dialog.showMessageBox(win, {
      type: asked ? 'info' : 'warning',
      title: 'Band Console',
      message: asked ? 'The console view was reloaded' : 'The console view stopped and was reloaded',
      detail: `${asked ? 'It had stopped responding.' : `Reason: ${details.reason}.`} Nothing was lost: approvals, orders and the ledger live in the main process and the database. Details are in the log (${opts.logsDir}).`,
      buttons: ['OK'],
    });
  });
  win.on('unresponsive', () => {
    opts.log('warn', 'renderer not responding');
    void dialog
      .showMessageBox(win, {
        type: 'warning',
        title: 'Band Console',
        message: 'The console view is not responding',
        detail: 'Wait for it, or reload it (nothing is lost: approvals and the ledger live in the main process).',
        buttons: ['Reload', 'Wait'],
        defaultId: 1,
        cancelId: 1,
      })
      .then((r) => {
        if (r.response !== 0 || win.isDestroyed()) return;
        opts.log('warn', 'reloading the unresponsive renderer as asked');
        reloadAsked = true;
        // Ends the hung process; render-process-gone then reloads the view.
        win.webContents.forcefullyCrashRenderer();
      });
  });
  win.on('responsive', () => opts.log('info', 'renderer responding again'));
}

/** Any web contents created later (devtools aside) gets the same refusals. */
export function guardAllContents(): void {
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
    });
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

export { session };
