// A test double of the `electron` module, as far as the main process and the preload use it, so the built main
// bundle (out/main/index.js) boots in Node against real services, a real SQLite file and the real renderer files.
// It keeps Electron's observable rules where the app relies on them: schemes are registered before `ready`, a
// channel has one handler, every new webContents is announced by app 'web-contents-created', app.quit() runs
// before-quit → will-quit (preventable) → quit and does not emit window-all-closed, ready-to-show follows loadURL.
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface DisplayDouble {
  id: number;
  bounds: Rect;
  workArea: Rect;
}
export interface FrameDouble {
  processId: number;
  routingId: number;
  url: string;
}

export interface DoubleOptions {
  userData: string;
  downloads: string;
  version?: string;
  isPackaged?: boolean;
  displays?: DisplayDouble[];
}

export interface MenuItemDouble {
  id?: string;
  label?: string;
  role?: string;
  type?: string;
  accelerator?: string;
  click?: (...args: unknown[]) => void;
  submenu?: MenuItemDouble[];
}

interface Calls {
  schemes: unknown[];
  schemesAfterReady: boolean;
  relaunch: number;
  quit: number;
  saveDialogs: unknown[];
  messageBoxes: { sync: boolean; options: Record<string, unknown> }[];
  errorBoxes: { title: string; content: string }[];
  notifications: NotificationDouble[];
  openedPaths: string[];
  menus: { template: MenuItemDouble[] }[];
}

interface Answers {
  save: { canceled: boolean; filePath?: string }[];
  messageBox: number[];
  messageBoxSync: number[];
}

/** State one double's classes share. */
class Ctx {
  calls: Calls = { schemes: [], schemesAfterReady: false, relaunch: 0, quit: 0, saveDialogs: [], messageBoxes: [], errorBoxes: [], notifications: [], openedPaths: [], menus: [] };
  answers: Answers = { save: [], messageBox: [], messageBoxSync: [] };
  windows: BrowserWindowDouble[] = [];
  nextContentsId = 1;
  nextProcessId = 100;
  app!: AppDouble;
  constructor(
    readonly paths: Map<string, string>,
    readonly displays: DisplayDouble[],
  ) {}
}

export interface Preventable {
  defaultPrevented: boolean;
  preventDefault(): void;
}

function preventable(): Preventable {
  return {
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
  };
}

export class AppDouble extends EventEmitter {
  isPackaged: boolean;
  ready = false;
  quitted = false;
  quitting = false;
  readonly readyPromise: Promise<void>;
  readonly quitResolvers: (() => void)[] = [];
  constructor(
    readonly ctx: Ctx,
    readonly version: string,
    isPackaged: boolean,
  ) {
    super();
    this.isPackaged = isPackaged;
    this.readyPromise = new Promise((ok) =>
      setImmediate(() => {
        this.ready = true;
        this.emit('ready');
        ok();
      }),
    );
  }
  whenReady(): Promise<void> {
    return this.readyPromise;
  }
  isReady(): boolean {
    return this.ready;
  }
  getPath(name: string): string {
    const p = this.ctx.paths.get(name);
    if (!p) throw new Error(`electron double: app.getPath('${name}') is not set up`);
    return p;
  }
  setPath(name: string, p: string): void {
    this.ctx.paths.set(name, p);
  }
  getVersion(): string {
    return this.version;
  }
  getName(): string {
    return 'band-console';
  }
  requestSingleInstanceLock(): boolean {
    return true;
  }
  relaunch(): void {
    this.ctx.calls.relaunch++;
  }
  quit(): void {
    this.ctx.calls.quit++;
    setImmediate(() => this.runQuit());
  }
  exit(): void {
    this.finish();
  }
  /** Resolves when the app has emitted 'quit'. */
  whenQuit(): Promise<void> {
    return this.quitted ? Promise.resolve() : new Promise((ok) => this.quitResolvers.push(ok));
  }
  runQuit(): void {
    if (this.quitted || this.quitting) return;
    this.quitting = true;
    try {
      const before = preventable();
      this.emit('before-quit', before);
      if (before.defaultPrevented) return;
      for (const w of [...this.ctx.windows]) if (!w.isDestroyed()) w.close(true);
      const will = preventable();
      this.emit('will-quit', will);
      if (will.defaultPrevented) return;
      this.finish();
    } finally {
      this.quitting = false;
    }
  }
  finish(): void {
    if (this.quitted) return;
    this.quitted = true;
    this.emit('quit');
    for (const r of this.quitResolvers.splice(0)) r();
  }
}

export class WebContentsDouble extends EventEmitter {
  readonly id: number;
  readonly mainFrame: FrameDouble;
  sent: { channel: string; payload: unknown }[] = [];
  reloads = 0;
  forcedCrashes = 0;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  destroyed = false;
  constructor(readonly ctx: Ctx) {
    super();
    this.id = ctx.nextContentsId++;
    this.mainFrame = { processId: ctx.nextProcessId++, routingId: 1, url: '' };
    ctx.app.emit('web-contents-created', preventable(), this);
  }
  setWindowOpenHandler(h: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = h;
  }
  send(channel: string, payload: unknown): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push({ channel, payload });
  }
  reload(): void {
    this.reloads++;
  }
  forcefullyCrashRenderer(): void {
    this.forcedCrashes++;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** A frame of this contents: the top frame, or a sub-frame (another routing id), at some url. */
  frame(kind: 'main' | 'sub', url = this.mainFrame.url): FrameDouble {
    return kind === 'main' ? { ...this.mainFrame, url } : { processId: this.mainFrame.processId, routingId: this.mainFrame.routingId + 7, url };
  }
}

export class BrowserWindowDouble extends EventEmitter {
  readonly options: Record<string, unknown> & { webPreferences?: Record<string, unknown> };
  readonly webContents: WebContentsDouble;
  bounds: Rect;
  maximized = false;
  shown = false;
  loaded: string[] = [];
  destroyed = false;
  constructor(
    readonly ctx: Ctx,
    options: Record<string, unknown>,
  ) {
    super();
    this.options = options;
    this.bounds = {
      x: (options.x as number) ?? 0,
      y: (options.y as number) ?? 0,
      width: (options.width as number) ?? 800,
      height: (options.height as number) ?? 600,
    };
    this.webContents = new WebContentsDouble(ctx);
    ctx.windows.push(this);
  }
  loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    this.webContents.mainFrame.url = url;
    setImmediate(() => this.emit('ready-to-show'));
    return Promise.resolve();
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return false;
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  isVisible(): boolean {
    return this.shown;
  }
  restore(): void {}
  focus(): void {}
  show(): void {
    this.shown = true;
  }
  maximize(): void {
    this.maximized = true;
    this.shown = true;
    this.emit('maximize');
  }
  getBounds(): Rect {
    return { ...this.bounds };
  }
  getNormalBounds(): Rect {
    return { ...this.bounds };
  }
  setBounds(b: Partial<Rect>): void {
    this.bounds = { ...this.bounds, ...b };
    this.emit('resize');
    this.emit('move');
  }
  /** `fromQuit`: closing as part of app.quit(), which emits no window-all-closed. */
  close(fromQuit = false): void {
    if (this.destroyed) return;
    const ev = preventable();
    this.emit('close', ev);
    if (ev.defaultPrevented) return;
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
    if (!fromQuit && this.ctx.windows.every((w) => w.isDestroyed())) this.ctx.app.emit('window-all-closed');
  }
}

class NotificationDouble extends EventEmitter {
  static isSupported(): boolean {
    return true;
  }
  shown = false;
  constructor(readonly options: { title: string; body: string }) {
    super();
  }
  show(): void {
    this.shown = true;
  }
}

type Handler = (event: unknown, ...args: unknown[]) => unknown;
type ProtocolHandler = (req: Request) => Promise<Response> | Response;

export interface SessionDouble {
  protocolHandlers: Map<string, ProtocolHandler>;
  permissionRequestHandler: null | ((...a: unknown[]) => void);
  permissionCheckHandler: null | ((...a: unknown[]) => boolean);
  beforeRequest: null | ((details: { url: string }, cb: (r: { cancel: boolean }) => void) => void);
}

export interface IpcMainDouble {
  handlers: Map<string, Handler>;
  /** What `ipcRenderer.invoke(channel, input)` from `sender`'s `frame` gets back. */
  invoke(sender: WebContentsDouble, frame: FrameDouble | null, channel: string, input?: unknown): Promise<unknown>;
}

export interface ElectronDouble {
  /** What `require('electron')` returns in the main process. */
  electron: Record<string, unknown>;
  app: AppDouble;
  calls: Calls;
  answers: Answers;
  ipcMain: IpcMainDouble;
  session: SessionDouble;
  windows: BrowserWindowDouble[];
  /** The item of the application menu with this id (searched through every submenu). */
  menuItem(id: string): MenuItemDouble | undefined;
  /** Another webContents (a second window, devtools, a stray webview): never a trusted sender. */
  foreignContents(): WebContentsDouble;
}

export function createElectronDouble(opts: DoubleOptions): ElectronDouble {
  const paths = new Map<string, string>([
    ['userData', opts.userData],
    ['appData', opts.userData],
    ['downloads', opts.downloads],
    ['home', opts.downloads],
    ['temp', opts.downloads],
  ]);
  const displays: DisplayDouble[] = opts.displays ?? [{ id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } }];
  const ctx = new Ctx(paths, displays);
  const app = new AppDouble(ctx, opts.version ?? '0.0.0', opts.isPackaged ?? false);
  ctx.app = app;
  const { calls, answers } = ctx;

  class BrowserWindow extends BrowserWindowDouble {
    constructor(options: Record<string, unknown>) {
      super(ctx, options);
    }
    static getAllWindows(): BrowserWindowDouble[] {
      return ctx.windows.filter((w) => !w.isDestroyed());
    }
  }
  class Notification extends NotificationDouble {
    constructor(options: { title: string; body: string }) {
      super(options);
      calls.notifications.push(this);
    }
  }

  const ipcHandlers = new Map<string, Handler>();
  const ipcMain = {
    handle(channel: string, fn: Handler): void {
      if (ipcHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      ipcHandlers.set(channel, fn);
    },
    removeHandler(channel: string): void {
      ipcHandlers.delete(channel);
    },
    on(): void {
      throw new Error('electron double: the app uses ipcMain.handle only');
    },
    handlers: ipcHandlers,
    async invoke(sender: WebContentsDouble, frame: FrameDouble | null, channel: string, input?: unknown): Promise<unknown> {
      const h = ipcHandlers.get(channel);
      if (!h) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
      return h({ sender, senderFrame: frame, processId: frame?.processId, frameId: frame?.routingId }, input);
    },
  };

  const session: SessionDouble & Record<string, unknown> = {
    protocolHandlers: new Map<string, ProtocolHandler>(),
    permissionRequestHandler: null,
    permissionCheckHandler: null,
    beforeRequest: null,
    protocol: {
      handle(scheme: string, fn: ProtocolHandler): void {
        session.protocolHandlers.set(scheme, fn);
      },
    },
    setPermissionRequestHandler(fn: (...a: unknown[]) => void): void {
      session.permissionRequestHandler = fn;
    },
    setPermissionCheckHandler(fn: (...a: unknown[]) => boolean): void {
      session.permissionCheckHandler = fn;
    },
    setDevicePermissionHandler(): void {},
    webRequest: {
      onBeforeRequest(fn: (details: { url: string }, cb: (r: { cancel: boolean }) => void) => void): void {
        session.beforeRequest = fn;
      },
    },
  };

  const dialog = {
    showSaveDialog(a: unknown, b?: unknown): Promise<{ canceled: boolean; filePath?: string }> {
      calls.saveDialogs.push(b ?? a);
      return Promise.resolve(answers.save.shift() ?? { canceled: true });
    },
    showMessageBoxSync(a: unknown, b?: unknown): number {
      const options = (b ?? a) as Record<string, unknown>;
      calls.messageBoxes.push({ sync: true, options });
      return answers.messageBoxSync.shift() ?? ((options.cancelId as number) ?? 0);
    },
    showMessageBox(a: unknown, b?: unknown): Promise<{ response: number; checkboxChecked: boolean }> {
      const options = (b ?? a) as Record<string, unknown>;
      calls.messageBoxes.push({ sync: false, options });
      return Promise.resolve({ response: answers.messageBox.shift() ?? ((options.cancelId as number) ?? 0), checkboxChecked: false });
    },
    showErrorBox(title: string, content: string): void {
      calls.errorBoxes.push({ title, content });
    },
  };

  let applicationMenu: { template: MenuItemDouble[] } | null = null;
  const Menu = {
    buildFromTemplate(template: MenuItemDouble[]) {
      return { template };
    },
    setApplicationMenu(m: { template: MenuItemDouble[] } | null): void {
      applicationMenu = m;
      if (m) calls.menus.push(m);
    },
    getApplicationMenu() {
      return applicationMenu;
    },
  };

  const net = {
    async fetch(url: string): Promise<Response> {
      const u = new URL(url);
      if (u.protocol !== 'file:') throw new Error(`electron double: net.fetch only serves file: URLs, not ${url}`);
      try {
        return new Response(await readFile(fileURLToPath(u)), { status: 200 });
      } catch {
        return new Response('not found', { status: 404 });
      }
    },
  };

  const electron = {
    app,
    BrowserWindow,
    ipcMain,
    dialog,
    Notification,
    Menu,
    net,
    session: { defaultSession: session },
    protocol: {
      registerSchemesAsPrivileged(list: unknown[]): void {
        if (app.ready) calls.schemesAfterReady = true;
        calls.schemes.push(...list);
      },
    },
    screen: {
      getAllDisplays: () => displays,
      getPrimaryDisplay: () => displays[0],
    },
    shell: {
      openPath(p: string): Promise<string> {
        calls.openedPaths.push(p);
        return Promise.resolve('');
      },
    },
  };

  function menuItem(id: string): MenuItemDouble | undefined {
    const find = (items: MenuItemDouble[] | undefined): MenuItemDouble | undefined => {
      for (const it of items ?? []) {
        if (it.id === id) return it;
        const inner = find(it.submenu);
        if (inner) return inner;
      }
      return undefined;
    };
    return find(applicationMenu?.template);
  }

  return { electron, app, calls, answers, ipcMain, session, windows: ctx.windows, menuItem, foreignContents: () => new WebContentsDouble(ctx) };
}

/** A double of the preload's side: contextBridge and ipcRenderer. */
export function createPreloadDouble() {
  const exposed: { key: string; api: unknown }[] = [];
  const invoked: { channel: string; input: unknown }[] = [];
  const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
  const electron = {
    contextBridge: {
      exposeInMainWorld(key: string, api: unknown): void {
        exposed.push({ key, api });
      },
    },
    ipcRenderer: {
      invoke(channel: string, input: unknown): Promise<unknown> {
        invoked.push({ channel, input });
        return Promise.resolve({ ok: true, data: { echoed: channel } });
      },
      on(channel: string, fn: (...a: unknown[]) => void): void {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(fn);
      },
      removeListener(channel: string, fn: (...a: unknown[]) => void): void {
        listeners.get(channel)?.delete(fn);
      },
      send(): void {
        throw new Error('electron double: the preload must not use ipcRenderer.send');
      },
    },
  };
  /** What the main process's webContents.send(channel, payload) does on this side. */
  function push(channel: string, payload: unknown): void {
    for (const fn of listeners.get(channel) ?? []) fn({ sender: 'ipc-event-object' }, payload);
  }
  return { electron, exposed, invoked, listeners, push };
}
