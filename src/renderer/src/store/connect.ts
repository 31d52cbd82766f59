// Slice: the link to the main process — push events wired to the other slices, the screens' refresh (from the screen
// registry), browser notifications, the clock (the process's time, ../clock.ts) and the status poll.
import { SCREEN_REGISTRY, screenRow, type ScreenData, type ScreenId } from '../../../shared/screens';
import { pickApi } from '../api';
import { processNow } from '../clock';
import { askPermission, notifyPermission, readMuted, showIntentsNotification, writeMuted } from '../notify';
import { get, set, toast } from './core';
import { engineActions, setStatus } from './engine';
import { labActions } from './lab';
import { viewActions } from './views';

/** How each kind of data a screen shows is fetched afresh. */
const LOADERS: Record<ScreenData, () => Promise<unknown>> = {
  status: () => engineActions.refreshStatus(),
  pending: () => engineActions.refreshPending(),
  working: () => engineActions.refreshWorking(),
  history: () => viewActions.refreshHistory(),
  cycles: () => viewActions.refreshCycles(),
  report: () => viewActions.refreshReport(),
  positions: () => viewActions.refreshPositions(),
  activity: () => viewActions.refreshActivity(),
};

/** What every resync fetches, whatever the screen on show. */
const RESYNC_LOADS: readonly ScreenData[] = ['status', 'pending', 'working'];

/** The resync on its way, if any. */
let resyncing: Promise<void> | null = null;

/** The screen on show (the hash route). */
export function currentScreen(): ScreenId {
  const h = window.location.hash.replace(/^#\/?/, '');
  return SCREEN_REGISTRY.find((s) => s.id === h)?.id ?? SCREEN_REGISTRY[0].id;
}

export const linkActions = {
  /** Asks the browser for notifications (from a click in the header) and unmutes them. */
  async enableNotifications() {
    const permission = await askPermission();
    writeMuted(false);
    set({ notify: { permission, muted: false } });
    if (permission === 'denied') toast('info', 'Notifications are blocked for this page: allow them in the browser\'s site settings');
  },
  setMuted(muted: boolean) {
    writeMuted(muted);
    set({ notify: { permission: notifyPermission(), muted } });
  },
  /** What a screen shows, fetched afresh (also its error boundary's "Try again"). */
  refreshScreen(screen: ScreenId): Promise<unknown> {
    return Promise.all(screenRow(screen).loads.map((d) => LOADERS[d]()));
  },
  /**
   * Everything afresh: the status, the queue, the working orders and the screen on show, each fetched once. After
   * app:resync (the host could not replay what this page missed) and whenever the push connection comes back; a
   * resync asked for while one is on its way joins it.
   */
  resync(): Promise<void> {
    resyncing ??= Promise.all([...new Set<ScreenData>([...RESYNC_LOADS, ...screenRow(currentScreen()).loads])].map((d) => LOADERS[d]()))
      .then(() => undefined)
      .finally(() => {
        resyncing = null;
      });
    return resyncing;
  },
};

/** Connects to the main process and keeps the state fresh. Returns a disposer. */
export function connect(): () => void {
  const { api: a, transport } = pickApi({
    onLink(link) {
      const st = get();
      if (st.link === link) return;
      // "down since" counts from the first moment the link was lost, through the reconnection attempts
      const linkDownSince = link === 'up' ? null : (st.linkDownSince ?? (st.link === 'up' ? processNow() : null));
      set({ link, linkDownSince });
    },
    onReopen() {
      void linkActions.resync();
    },
  });
  set({ api: a, transport, notify: { permission: notifyPermission(), muted: readMuted() } });
  const offs = [
    // pushed: maybe replayed after a reconnection (the clock takes it as a lower bound)
    a.listen('status', (status) => setStatus(status, false)),
    a.listen('intents:new', (p) => {
      toast('info', `${p.count} new corrective intent${p.count === 1 ? '' : 's'} awaiting approval`);
      void engineActions.refreshPending().then(() => {
        // In Electron the main process raises the desktop notification: never two.
        if (get().transport === 'browser') showIntentsNotification(p.count, get().pending.length);
      });
    }),
    // The host could not replay what this page missed (it restarted, or the page was away too long).
    a.listen('app:resync', () => void linkActions.resync()),
    a.listen('intents:changed', () => {
      void engineActions.refreshPending();
      void engineActions.refreshWorking();
    }),
    a.listen('fills', (p) => {
      toast('info', `${p.count} fill${p.count === 1 ? '' : 's'} booked for ${p.date}`);
      void viewActions.refreshPositions();
      void engineActions.refreshWorking();
      if (get().reportDate === p.date) void viewActions.refreshReport();
    }),
    a.listen('config:error', (p) => {
      if (p.messages.length) toast('error', `risk_rules.yaml is invalid, controller suspended: ${p.messages[0]}`);
    }),
    // The Policy lab's replay, trading day by trading day (the lab shows it while its own run is on its way).
    a.listen('replay:progress', (p) => labActions.progress(p)),
    // The desktop menu's screen items go where the keys go, and like them do nothing underneath an open dialog.
    a.listen('app:navigate', (p) => {
      if (!get().rejectDialog && !get().approveDialog && !get().cancelDialog) window.location.hash = `#/${p.screen}`;
    }),
    // The screen on show refetches what it shows on the push events its registry row names.
    ...[...new Set(SCREEN_REGISTRY.flatMap((s) => s.refreshOn))].map((event) =>
      a.listen(event, () => {
        const row = screenRow(currentScreen());
        if ((row.refreshOn as readonly string[]).includes(event)) void linkActions.refreshScreen(currentScreen());
      }),
    ),
  ];
  void engineActions.refreshStatus().then(() => viewActions.refreshReport());
  // the permission may have changed in the browser's site settings meanwhile
  const onFocus = () => {
    const permission = notifyPermission();
    if (permission !== get().notify.permission) set({ notify: { ...get().notify, permission } });
  };
  window.addEventListener('focus', onFocus);
  void engineActions.refreshPending();
  void engineActions.refreshWorking();
  void viewActions.refreshHistory();
  void viewActions.refreshPositions();
  // the header's clock: the process's time (clock.ts), once a second
  const clock = setInterval(() => set({ now: processNow() }), 1000);
  const poll = setInterval(() => void engineActions.refreshStatus(), 10_000);
  return () => {
    offs.forEach((off) => off());
    window.removeEventListener('focus', onFocus);
    clearInterval(clock);
    clearInterval(poll);
  };
}
