// The main window and its hardening (SPEC §11): shown only when ready, contextIsolation + sandbox, no Node in the
// renderer, a strict CSP, content only from our own `app://band/` protocol (the built files), navigation and new
// windows refused, every permission request denied.
import { app, BrowserWindow, net, protocol, session, type Session } from 'electron';
import { randomBytes } from 'node:crypto';
import { join, normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hostCsp as electronCsp, withNonce } from '../host/csp';

export const APP_SCHEME = 'app';
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

export function createMainWindow(preload: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1100,
    minHeight: 700,
    show: false,
    title: 'Band Console',
    backgroundColor: '#0d1117',
    autoHideMenuBar: true,
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
    },
  });
  win.once('ready-to-show', () => win.show());
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
