// The one IPC registration helper: every contract channel is registered here, through the same dispatcher the
// browser host uses. It refuses any sender that is not our window's top frame on our own origin, validates the
// input with the channel's schema before any service runs, and answers {ok,data} / {ok:false,error}.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { ALL_CHANNELS, dispatch, fail, type CallContext, type HandlerMap } from '../api/dispatch';
import type { EventHub } from '../api/events';

export const PUSH_CHANNEL_PREFIX = 'push:';

export interface IpcOptions {
  ipcMain: IpcMain;
  handlers: HandlerMap;
  /** True when the sender is our renderer (our window, our origin, top frame). */
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  context: (event: IpcMainInvokeEvent) => CallContext;
  log?: (line: string) => void;
}

export function registerIpc(opts: IpcOptions): () => void {
  for (const channel of ALL_CHANNELS) {
    opts.ipcMain.handle(channel, async (event, input: unknown) => {
      if (!opts.isTrustedSender(event)) {
        opts.log?.(`ipc ${channel}: refused sender ${event.senderFrame?.url ?? '?'}`);
        return fail('FORBIDDEN', `${channel}: sender not allowed`);
      }
      return dispatch(opts.handlers, channel, input, opts.context(event), {
        onInternalError: (c, e) => opts.log?.(`ipc ${c}: ${(e as Error)?.stack ?? String(e)}`),
      });
    });
  }
  return () => {
    for (const channel of ALL_CHANNELS) opts.ipcMain.removeHandler(channel);
  };
}

/** Forwards every push event to one window as `push:<event>`. */
export function forwardEvents(events: EventHub, target: () => WebContents | null): () => void {
  return events.subscribe((event, payload) => {
    const wc = target();
    if (wc && !wc.isDestroyed()) wc.send(`${PUSH_CHANNEL_PREFIX}${event}`, payload);
  });
}
