// Desktop notifications in the browser host: when the engine proposes new intents, one Notification (the Notification
// API) once the trader has allowed it. Permission is asked only from a click (the header's "Notify me"); a mute
// switch is remembered in this browser. In Electron the main process notifies itself: nothing is done here.
import { readPref, writePref } from './prefs';

export type NotifyPermission = NotificationPermission | 'unsupported';

const MUTE_KEY = 'band.notify.muted';

export function notifyPermission(): NotifyPermission {
  return typeof Notification === 'function' ? Notification.permission : 'unsupported';
}

export function readMuted(): boolean {
  return readPref(MUTE_KEY) === '1';
}

export function writeMuted(muted: boolean): void {
  writePref(MUTE_KEY, muted ? '1' : null);
}

/** Asks for the permission (call it from a user gesture); resolves to the answer. */
export async function askPermission(): Promise<NotifyPermission> {
  if (typeof Notification !== 'function') return 'unsupported';
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

/** Shows one notification for new intents; a click brings the console forward on the approval queue. */
export function showIntentsNotification(count: number, pendingTotal: number): Notification | null {
  if (notifyPermission() !== 'granted' || readMuted()) return null;
  try {
    const n = new Notification(`${count} new intent${count === 1 ? '' : 's'} to approve`, {
      body: `Band Console: the band controller proposes ${count === 1 ? 'a corrective intent' : `${count} corrective intents`}; ${pendingTotal} pending in the queue.`,
      tag: 'band-console-intents',
    });
    n.onclick = () => {
      window.focus();
      window.location.hash = '#/approvals';
      n.close();
    };
    return n;
  } catch {
    // Some browsers allow notifications only from a service worker: the title's count still tells.
    return null;
  }
}
