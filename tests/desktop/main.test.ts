// The Electron main process and preload, booted in Node against a test double of `electron`: the built bundles
// (out/main/index.js, out/preload/index.js of a project copy), with real services on a real SQLite file in a
// temporary data folder, the real renderer files behind app://, and the real bandctl as the reference for exports.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, PUSH_EVENTS } from '../../src/shared/contract';
import { buildProject, requireWithElectron, until } from './boot';
import { createElectronDouble, createPreloadDouble, type DisplayDouble, type ElectronDouble } from './electron-double';
import { projectCopy, type ProjectCopy } from './project';
import { ROOT as REPO } from '../support/paths';
import { bandctl } from '../support/bandctl';
import { tempDir } from '../support/tmp';

const APP_URL = 'app://band/index.html';
const PRIMARY: DisplayDouble = { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
const SECOND: DisplayDouble = { id: 2, bounds: { x: 1920, y: 0, width: 2560, height: 1440 }, workArea: { x: 1920, y: 0, width: 2560, height: 1400 } };

let project: ProjectCopy;
let version: string;

beforeAll(() => {
  process.env.BAND_NOW = PINNED;
  delete process.env.BAND_CLOCK_ANCHOR;
  project = projectCopy('band-main-');
  buildProject(project.dir);
  version = (JSON.parse(readFileSync(join(project.dir, 'package.json'), 'utf8')) as { version: string }).version;
}, 120_000);
afterAll(() => project?.remove());

interface Booted {
  d: ElectronDouble;
  dir: string;
  downloads: string;
}

const booted: Booted[] = [];
const savedConsole = { log: console.log, info: console.info, warn: console.warn, error: console.error };
const savedListeners = { ue: process.listeners('uncaughtException'), ur: process.listeners('unhandledRejection') };

afterEach(async () => {
  for (const b of booted.splice(0)) {
    if (!b.d.app.quitted) {
      b.d.app.quit();
      await b.d.app.whenQuit();
    }
  }
  // The main process tees console and listens for uncaught errors: undo that between boots.
  Object.assign(console, savedConsole);
  for (const l of process.listeners('uncaughtException')) if (!savedListeners.ue.includes(l)) process.off('uncaughtException', l);
  for (const l of process.listeners('unhandledRejection')) if (!savedListeners.ur.includes(l)) process.off('unhandledRejection', l);
  delete process.env.BAND_USER_DATA;
});

/** Boots the main bundle; resolves once the window has loaded the console (or the app quit, or an error box). */
async function boot(o: { dir?: string; isPackaged?: boolean; displays?: DisplayDouble[]; prepare?: (d: ElectronDouble) => void } = {}): Promise<Booted> {
  const dir = o.dir ?? tempDir('band-userdata-').dir;
  const downloads = tempDir('band-downloads-').dir;
  const d = createElectronDouble({ userData: join(tmpdir(), 'not-used'), downloads, version, isPackaged: o.isPackaged, displays: o.displays });
  process.env.BAND_USER_DATA = dir;
  delete process.env.BAND_EXPORT_DIR;
  delete process.env.BAND_SQLITE_BINDING;
  o.prepare?.(d);
  const b = { d, dir, downloads };
  booted.push(b);
  requireWithElectron(join(project.dir, 'out/main/index.js'), d.electron);
  await until(() => (d.windows[0]?.loaded.length ?? 0) > 0 || d.app.quitted || d.calls.errorBoxes.length > 0, 'the main window to load');
  return b;
}

function mainWindow(d: ElectronDouble) {
  const w = d.windows[0];
  expect(w, 'a main window').toBeTruthy();
  return w;
}

/** ipcRenderer.invoke from our own window's top frame on our origin. */
function invoke(d: ElectronDouble, channel: string, input?: unknown): Promise<{ ok: boolean; data?: unknown; error?: { code: string; message: string } }> {
  const wc = mainWindow(d).webContents;
  return d.ipcMain.invoke(wc, wc.frame('main', APP_URL), channel, input) as Promise<{ ok: boolean; data?: unknown; error?: { code: string; message: string } }>;
}

// The console runs at a pinned instant (BAND_NOW, set below for this process and the bandctl it starts): Tuesday
// 8 December 2026, 10:30 in New York, in the session.
const PINNED = '2026-12-08T10:30:00-05:00';
const PINNED_DATE = '2026-12-08';

describe('main process (built bundle, electron double)', () => {
  it('boots: the hardened window, the preload, exactly the contract channels, the demo book on first start, the log file', async () => {
    const { d, dir } = await boot();
    expect(d.calls.errorBoxes).toEqual([]);
    expect(d.calls.schemes).toContainEqual(expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }));
    expect(d.calls.schemesAfterReady).toBe(false);

    const w = mainWindow(d);
    expect(w.loaded).toEqual([APP_URL]);
    const wp = w.options.webPreferences!;
    expect(wp).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: true,
    });
    expect(wp.preload).toBe(join(project.dir, 'out/preload/index.js'));
    expect(existsSync(wp.preload as string)).toBe(true);
    expect(w.options.show).toBe(false);
    expect(w.options.icon).toBe(join(project.dir, 'resources/icon.png'));
    expect(existsSync(w.options.icon as string)).toBe(true);
    await until(() => w.shown, 'ready-to-show to show the window');

    expect([...d.ipcMain.handlers.keys()].sort()).toEqual(Object.keys(CHANNELS).sort());

    // The first start created the book with the demo positions, in the data folder.
    expect(existsSync(join(dir, 'band.db'))).toBe(true);
    expect(existsSync(join(dir, 'risk_rules.yaml'))).toBe(true);
    const st = await invoke(d, 'app:status');
    expect(st.ok).toBe(true);
    expect((st.data as { equity: number }).equity).toBe(10_000_000);
    const positions = await invoke(d, 'ledger:positions');
    expect((positions.data as unknown[]).length).toBeGreaterThan(5);

    // The main process's log lines go to logs/main.log.
    const log = readFileSync(join(dir, 'logs/main.log'), 'utf8');
    expect(log).toMatch(new RegExp(`INFO  Band Console ${version.replace(/\./g, '\\.')} starting .*data folder ${dir}`));
    expect(log).toContain(`created ${join(dir, 'band.db')} with the demo book`);
  });

  it('refuses a call from any other sender before any service runs', async () => {
    const { d } = await boot();
    const w = mainWindow(d);
    const wc = w.webContents;
    const other = d.foreignContents();
    const senders = [
      { name: 'another webContents on our origin', sender: other, frame: other.frame('main', APP_URL) },
      { name: 'a sub-frame of our window', sender: wc, frame: wc.frame('sub', APP_URL) },
      { name: 'our top frame showing another origin', sender: wc, frame: wc.frame('main', 'https://evil.example/') },
      { name: 'a file: page in our window', sender: wc, frame: wc.frame('main', 'file:///tmp/x.html') },
      { name: 'no frame (disposed)', sender: wc, frame: null },
    ];
    for (const s of senders) {
      const r = (await d.ipcMain.invoke(s.sender, s.frame, 'engine:halt', { reason: 'from a foreign frame' })) as { ok: boolean; error: { code: string } };
      expect(r, s.name).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'engine:halt: sender not allowed' } });
      // Refused before validation too: a bad payload from a foreign sender is FORBIDDEN, not VALIDATION.
      const bad = (await d.ipcMain.invoke(s.sender, s.frame, 'intents:approve', { ids: [] })) as { error: { code: string } };
      expect(bad.error.code, s.name).toBe('FORBIDDEN');
    }
    // Nothing ran: the engine is not halted, and the audit holds no halt.
    const st = (await invoke(d, 'app:status')).data as { mode: string };
    expect(st.mode).not.toBe('HALTED');
    // Our own frame: a bad payload is refused by the schema (before any SQL), a good one runs.
    const bad = await invoke(d, 'intents:approve', { ids: [], extra: 1 });
    expect(bad.ok).toBe(false);
    expect(bad.error!.code).toBe('VALIDATION');
    const halted = await invoke(d, 'engine:halt', { reason: 'test' });
    expect(halted.ok).toBe(true);
    expect((halted.data as { mode: string }).mode).toBe('HALTED');
    // An unknown channel has no handler at all (Electron rejects the invoke).
    await expect(d.ipcMain.invoke(wc, wc.frame('main', APP_URL), 'fs:readFile', {})).rejects.toThrow(/No handler registered/);
  });

  it('app:// serves the built renderer with a fresh-nonce CSP, and nothing outside it; remote requests and permissions are refused', async () => {
    const { d } = await boot();
    const handle = d.session.protocolHandlers.get('app')!;
    expect(handle).toBeTypeOf('function');
    const page1 = await handle(new Request(APP_URL));
    const page2 = await handle(new Request(APP_URL));
    expect(page1.status).toBe(200);
    const csp1 = page1.headers.get('content-security-policy')!;
    const csp2 = page2.headers.get('content-security-policy')!;
    const nonce1 = /'nonce-([^']+)'/.exec(csp1)![1];
    const nonce2 = /'nonce-([^']+)'/.exec(csp2)![1];
    expect(nonce1).not.toBe(nonce2);
    expect(csp1).toContain("object-src 'none'");
    expect(csp1).not.toContain('unsafe-inline');
    const html = await page1.text();
    const scripts = [...html.matchAll(/<script[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s).toContain(`nonce="${nonce1}"`);
    expect(page1.headers.get('x-content-type-options')).toBe('nosniff');

    const asset = /src="\.?\/?(assets\/[^"]+\.js)"/.exec(html)![1];
    const js = await handle(new Request(`app://band/${asset}`));
    expect(js.status).toBe(200);
    expect(js.headers.get('content-security-policy')).toContain("'nonce-none'");
    expect((await js.text()).length).toBeGreaterThan(1000);

    expect((await handle(new Request('app://band/%2e%2e/%2e%2e/package.json'))).status).toBe(404);
    expect((await handle(new Request('app://band/..%2f..%2fpackage.json'))).status).toBe(404);
    expect((await handle(new Request('app://elsewhere/index.html'))).status).toBe(404);

    const cancelled = (url: string) =>
      new Promise<boolean>((ok) => d.session.beforeRequest!({ url }, (r) => ok(r.cancel)));
    expect(await cancelled('https://example.com/x.js')).toBe(true);
    expect(await cancelled('http://127.0.0.1:8080/api')).toBe(true);
    expect(await cancelled('file:///etc/passwd')).toBe(true);
    expect(await cancelled(`app://band/${asset}`)).toBe(false);
    const granted = await new Promise<boolean>((ok) => d.session.permissionRequestHandler!(null, 'notifications', ok));
    expect(granted).toBe(false);
    expect(d.session.permissionCheckHandler!(null, 'clipboard-read')).toBe(false);
  });

  it('refuses navigation, new windows and webviews, in our window and in any contents created later', async () => {
    const { d } = await boot();
    const wc = mainWindow(d).webContents;
    const nav = (target: { emit(e: string, ...a: unknown[]): boolean }, event: string, url: string) => {
      const ev = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
      target.emit(event, ev, url);
      return ev.defaultPrevented;
    };
    expect(nav(wc, 'will-navigate', 'https://example.com/')).toBe(true);
    expect(nav(wc, 'will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(nav(wc, 'will-redirect', 'https://example.com/')).toBe(true);
    expect(nav(wc, 'will-navigate', 'app://band/index.html#/reports')).toBe(false);
    expect(nav(wc, 'will-attach-webview', 'https://example.com/')).toBe(true);
    expect(wc.windowOpenHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler!({ url: APP_URL })).toEqual({ action: 'deny' });
    const later = d.foreignContents();
    expect(nav(later, 'will-navigate', 'https://example.com/')).toBe(true);
    expect(later.windowOpenHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });

  it("exports write to the save dialog's path, byte-equal to bandctl report; a cancelled dialog writes nothing", async () => {
    const { d, dir, downloads } = await boot();
    const date = PINNED_DATE;
    const target = join(tempDir('band-export-').dir, 'chosen name.csv');
    d.answers.save.push({ canceled: false, filePath: target });
    const r = await invoke(d, 'reports:export', { date, format: 'csv' });
    expect(r.ok).toBe(true);
    expect(r.data).toMatchObject({ saved: true, path: target, filename: `eod_report_${date}.csv` });
    const cli = bandctl(['report', '--db', join(dir, 'band.db'), '--date', date, '--format', 'csv']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe(cli.stdout);
    expect(d.calls.saveDialogs.at(-1)).toMatchObject({ defaultPath: join(downloads, `eod_report_${date}.csv`), filters: [{ extensions: ['csv'] }] });

    d.answers.save.push({ canceled: true });
    const before = readdirSync(downloads);
    const c = await invoke(d, 'reports:export', { date, format: 'json' });
    expect(c.ok).toBe(true);
    expect(c.data).toMatchObject({ saved: false, path: null });
    expect(readdirSync(downloads)).toEqual(before);

    // File ▸ Export report…: today's report, in the format of the extension chosen in the dialog.
    const viaMenu = join(tempDir('band-export-').dir, 'today.json');
    d.answers.save.push({ canceled: false, filePath: viaMenu });
    d.menuItem('export-report')!.click!();
    await until(() => existsSync(viaMenu), 'the menu export to be written');
    const json = bandctl(['report', '--db', join(dir, 'band.db'), '--date', date, '--format', 'json']);
    await until(() => readFileSync(viaMenu, 'utf8') === json.stdout, 'the menu export to equal bandctl report --format json');
  });

  it('our own application menu: File, Edit, View with the six screens, Help with About and the logs folder', async () => {
    const { d, dir } = await boot();
    const menu = d.calls.menus.at(-1)!.template;
    expect(menu.map((m) => m.label?.replace('&', ''))).toEqual(['File', 'Edit', 'View', 'Help']);
    const [file, edit, view, help] = menu;
    expect(file.submenu!.filter((i) => i.type !== 'separator').map((i) => i.id)).toEqual(['export-report', 'open-data-folder', 'quit']);
    expect(file.submenu!.find((i) => i.id === 'quit')!.role).toBe('quit');
    expect(edit.submenu!.filter((i) => i.role).map((i) => i.role)).toEqual(['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll']);
    const screens = view.submenu!.filter((i) => i.id?.startsWith('screen-'));
    expect(screens.map((i) => [i.label, i.accelerator])).toEqual([
      ['Overview', 'CmdOrCtrl+1'],
      ['Approvals', 'CmdOrCtrl+2'],
      ['Reports', 'CmdOrCtrl+3'],
      ['Positions', 'CmdOrCtrl+4'],
      ['Activity', 'CmdOrCtrl+5'],
      ['Policy lab', 'CmdOrCtrl+6'],
    ]);
    expect(view.submenu!.map((i) => i.role)).toEqual(expect.arrayContaining(['reload', 'toggleDevTools']));
    expect(help.submenu!.map((i) => i.id)).toEqual(['about', 'open-logs-folder']);

    const wc = mainWindow(d).webContents;
    d.menuItem('screen-reports')!.click!();
    expect(wc.sent.at(-1)).toEqual({ channel: 'push:app:navigate', payload: { screen: 'reports' } });

    d.menuItem('about')!.click!();
    const about = d.calls.messageBoxes.at(-1)!.options as { message: string; detail: string; title: string };
    expect(about.title).toBe('About Band Console');
    expect(about.message).toBe(`Band Console ${version}`);
    expect(about.detail).toContain(`Node ${process.versions.node}`);
    expect(about.detail).toMatch(/^Electron .+\nChromium .+\nNode /);
    expect(about.detail).toContain(`Data folder: ${dir}`);
    expect(about.detail).toContain(`Logs: ${join(dir, 'logs')}`);

    d.menuItem('open-logs-folder')!.click!();
    d.menuItem('open-data-folder')!.click!();
    expect(d.calls.openedPaths).toEqual([join(dir, 'logs'), dir]);
  });

  it('packaged: no Reload or DevTools, and the native addon and resources come from resourcesPath', async () => {
    const res = tempDir('band-resources-').dir;
    mkdirSync(join(res, 'resources/config'), { recursive: true });
    mkdirSync(join(res, 'native'));
    copyFileSync(join(REPO, 'resources/config/risk_rules.yaml'), join(res, 'resources/config/risk_rules.yaml'));
    copyFileSync(join(REPO, 'resources/icon.png'), join(res, 'resources/icon.png'));
    // Node's build stands in for the Electron one: the point is that it is loaded from there.
    copyFileSync(join(REPO, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'), join(res, 'native/better_sqlite3.node'));
    const saved = (process as { resourcesPath?: string }).resourcesPath;
    (process as { resourcesPath?: string }).resourcesPath = res;
    try {
      const { d } = await boot({ isPackaged: true });
      expect(d.calls.errorBoxes).toEqual([]);
      const view = d.calls.menus.at(-1)!.template.find((m) => m.label === '&View')!;
      expect(view.submenu!.map((i) => i.role)).not.toEqual(expect.arrayContaining(['reload']));
      expect(view.submenu!.map((i) => i.role).filter((r) => r === 'toggleDevTools' || r === 'reload' || r === 'forceReload')).toEqual([]);
      const w = mainWindow(d);
      expect(w.options.webPreferences!.devTools).toBe(false);
      expect(w.options.icon).toBe(join(res, 'resources/icon.png'));
      const fds = openFiles();
      expect(fds.some((f) => f === join(res, 'native/better_sqlite3.node')) || mappedFiles().includes(join(res, 'native/better_sqlite3.node'))).toBe(true);
    } finally {
      (process as { resourcesPath?: string }).resourcesPath = saved;
    }
  });

  it('new intents raise a notification; clicking it opens the approval queue', async () => {
    const dir = tempDir('band-userdata-').dir;
    // The demo book is out of band (LT long ≈ 77%); with no tolerance the first cycle proposes intents.
    writeFileSync(join(dir, 'risk_rules.yaml'), readFileSync(join(REPO, 'resources/config/risk_rules.yaml'), 'utf8').replace('tolerance_days: 2', 'tolerance_days: 0'));
    const { d } = await boot({ dir });
    await until(() => d.calls.notifications.length > 0, 'a notification', 20_000);
    const pending = (await invoke(d, 'intents:list', { status: 'PENDING' })).data as unknown[];
    expect(pending.length).toBeGreaterThan(0);
    const n = d.calls.notifications[0];
    expect(n.shown).toBe(true);
    expect(n.options.title).toBe('Band Console');
    expect(n.options.body).toBe(`${pending.length} new corrective intent${pending.length === 1 ? '' : 's'} awaiting approval`);
    n.emit('click');
    expect(mainWindow(d).webContents.sent.at(-1)).toEqual({ channel: 'push:app:navigate', payload: { screen: 'approvals' } });
  });

  it('a damaged database shows the restore dialog; Restore restores the backup and relaunches, Quit leaves it', async () => {
    const make = () => {
      const dir = tempDir('band-userdata-').dir;
      const db = join(dir, 'band.db');
      expect(bandctl(['init', '--db', db, '--demo']).code).toBe(0);
      const b = bandctl(['backup', '--db', db]);
      expect(b.code, b.stderr).toBe(0);
      // Scribble over the middle of the file (past the header): SQLite's check finds it.
      const buf = readFileSync(db);
      buf.fill(0x5a, 4096, Math.min(buf.length, 4096 * 4));
      writeFileSync(db, buf);
      return { dir, db };
    };

    const quit = make();
    const damaged = readFileSync(quit.db);
    const q = await boot({ dir: quit.dir, prepare: (d) => d.answers.messageBoxSync.push(1) });
    await q.d.app.whenQuit();
    const box = q.d.calls.messageBoxes[0];
    expect(box.sync).toBe(true);
    expect(box.options.buttons).toEqual(['Restore backup and restart', 'Quit']);
    expect(String(box.options.message)).toMatch(/band\.db is damaged .*a backup from .* is available/);
    expect(q.d.calls.relaunch).toBe(0);
    expect(readFileSync(quit.db)).toEqual(damaged);
    expect(q.d.windows).toHaveLength(0);

    const restore = make();
    const r = await boot({ dir: restore.dir, prepare: (d) => d.answers.messageBoxSync.push(0) });
    await r.d.app.whenQuit();
    expect(r.d.calls.relaunch).toBe(1);
    const db = new Database(restore.db, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((db.prepare('SELECT COUNT(*) AS n FROM positions').get() as { n: number }).n).toBeGreaterThan(5);
    } finally {
      db.close();
    }
    expect(readFileSync(join(restore.dir, 'logs/main.log'), 'utf8')).toMatch(/restored .*band\.db from .*backups/);
  });

  it('quitting closes the database', async () => {
    const { d, dir } = await boot();
    const dbFile = join(dir, 'band.db');
    expect(openFiles()).toContain(dbFile);
    d.app.quit();
    await d.app.whenQuit();
    expect(openFiles().filter((f) => f.startsWith(dbFile))).toEqual([]);
    expect(readFileSync(join(dir, 'logs/main.log'), 'utf8')).toContain('database closed; quitting');
  });

  it('remembers the window place and restores it onto a display that still exists', async () => {
    const dir = tempDir('band-userdata-').dir;
    const first = await boot({ dir, displays: [PRIMARY, SECOND] });
    const w1 = mainWindow(first.d);
    // Default: 1440×900 centred on the primary display's work area.
    expect(w1.options).toMatchObject({ x: 240, y: 70, width: 1440, height: 900 });
    w1.setBounds({ x: 2100, y: 150, width: 1300, height: 820 });
    first.d.app.quit();
    await first.d.app.whenQuit();
    expect(JSON.parse(readFileSync(join(dir, 'window-state.json'), 'utf8'))).toEqual({ x: 2100, y: 150, width: 1300, height: 820, maximized: false });

    const again = await boot({ dir, displays: [PRIMARY, SECOND] });
    expect(mainWindow(again.d).options).toMatchObject({ x: 2100, y: 150, width: 1300, height: 820 });
    mainWindow(again.d).maximize();
    again.d.app.quit();
    await again.d.app.whenQuit();

    // The second monitor is gone: same size, centred on the primary; still maximised.
    const undocked = await boot({ dir, displays: [PRIMARY] });
    const w3 = mainWindow(undocked.d);
    expect(w3.options).toMatchObject({ x: 310, y: 110, width: 1300, height: 820 });
    await until(() => w3.shown, 'the window to show');
    expect(w3.maximized).toBe(true);
  });

  it('a crashed renderer is reloaded with a message; a crash loop stops; a hung one asks to wait or reload', async () => {
    const { d, dir } = await boot();
    const w = mainWindow(d);
    const wc = w.webContents;
    wc.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });
    expect(wc.reloads).toBe(1);
    const msg = d.calls.messageBoxes.at(-1)!.options as { message: string; detail: string };
    expect(msg.message).toBe('The console view stopped and was reloaded');
    expect(msg.detail).toContain('Reason: crashed.');
    expect(readFileSync(join(dir, 'logs/main.log'), 'utf8')).toContain('renderer process gone: crashed (exit code 139)');

    // A clean exit (the window closing) is not a crash.
    wc.emit('render-process-gone', {}, { reason: 'clean-exit', exitCode: 0 });
    expect(wc.reloads).toBe(1);

    // Hung: the trader chooses Wait, then Reload.
    d.answers.messageBox.push(1);
    w.emit('unresponsive');
    await until(() => d.calls.messageBoxes.at(-1)!.options.message === 'The console view is not responding', 'the hang dialog');
    expect(d.calls.messageBoxes.at(-1)!.options.buttons).toEqual(['Reload', 'Wait']);
    await new Promise((r) => setTimeout(r, 20));
    expect(wc.forcedCrashes).toBe(0);
    d.answers.messageBox.push(0);
    w.emit('unresponsive');
    await until(() => wc.forcedCrashes === 1, 'the hung renderer to be ended');
    wc.emit('render-process-gone', {}, { reason: 'killed', exitCode: 9 });
    expect(wc.reloads).toBe(2);
    expect(d.calls.messageBoxes.at(-1)!.options.message).toBe('The console view was reloaded');

    // Crash loop: a fourth crash within a minute (the reload asked for does not count) is not reloaded.
    wc.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });
    wc.emit('render-process-gone', {}, { reason: 'oom', exitCode: 0 });
    expect(wc.reloads).toBe(4);
    wc.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });
    expect(wc.reloads).toBe(4);
    expect(d.calls.messageBoxes.at(-1)!.options.message).toBe('The console view keeps stopping');
  });
});

describe('preload (built bundle, contextBridge/ipcRenderer double)', () => {
  it('exposes only the contract: every channel forwarded, anything else refused, push events without the IPC event', async () => {
    const p = createPreloadDouble();
    requireWithElectron(join(project.dir, 'out/preload/index.js'), p.electron);
    expect(p.exposed.map((e) => e.key)).toEqual(['band']);
    const api = p.exposed[0].api as { invoke(c: string, i?: unknown): Promise<unknown>; listen(e: string, cb: (x: unknown) => void): () => void };
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'listen']);

    for (const channel of Object.keys(CHANNELS)) await api.invoke(channel, { probe: channel });
    expect(p.invoked.map((i) => i.channel)).toEqual(Object.keys(CHANNELS));
    expect(p.invoked[0].input).toEqual({ probe: Object.keys(CHANNELS)[0] });

    const n = p.invoked.length;
    for (const bad of ['fs:readFile', 'push:status', '__proto__', 'constructor', 'app:status ']) {
      expect(await api.invoke(bad)).toEqual({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `unknown channel '${bad}'` } });
    }
    expect(p.invoked.length).toBe(n);

    const got: unknown[] = [];
    const offs = Object.keys(PUSH_EVENTS).map((e) => api.listen(e, (x) => got.push([e, x])));
    expect([...p.listeners.keys()].sort()).toEqual(Object.keys(PUSH_EVENTS).map((e) => `push:${e}`).sort());
    p.push('push:app:navigate', { screen: 'reports' });
    expect(got).toEqual([['app:navigate', { screen: 'reports' }]]);
    offs.forEach((off) => off());
    p.push('push:app:navigate', { screen: 'overview' });
    expect(got).toHaveLength(1);
    expect([...p.listeners.values()].every((s) => s.size === 0)).toBe(true);

    const off = api.listen('not-an-event', () => got.push('x'));
    expect(off).toBeTypeOf('function');
    expect(p.listeners.has('push:not-an-event')).toBe(false);
  });
});

/** Paths this process has open (Linux /proc). */
function openFiles(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

/** Files mapped into this process (a loaded native addon shows here, not among the fds). */
function mappedFiles(): string[] {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((l) => l.split(/\s+/).slice(5).join(' '))
    .filter(Boolean);
}
