// The preload: exposes the typed contract API to the renderer, nothing else. Only the contract's channels can be
// invoked, only its push events can be listened to; callbacks never see the IPC event object, and each listen()
// returns its unsubscribe function.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { BandApi, Channel, PushEvent } from '../shared/contract';
import { PRELOAD_CHANNELS, PRELOAD_EVENTS } from './channels';

const channels = new Set<string>(PRELOAD_CHANNELS);
const events = new Set<string>(PRELOAD_EVENTS);

const api: BandApi = {
  invoke(channel: Channel, input?: unknown) {
    if (!channels.has(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `unknown channel '${String(channel)}'` } });
    }
    return ipcRenderer.invoke(channel, input);
  },
  listen(event: PushEvent, cb: (payload: never) => void) {
    if (!events.has(event) || typeof cb !== 'function') return () => undefined;
    const wrapped = (_e: IpcRendererEvent, payload: unknown) => cb(payload as never);
    ipcRenderer.on(`push:${event}`, wrapped);
    return () => void ipcRenderer.removeListener(`push:${event}`, wrapped);
  },
} as BandApi;

contextBridge.exposeInMainWorld('band', Object.freeze(api));
