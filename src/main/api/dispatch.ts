// One dispatcher for every transport (Electron IPC and the browser host): it checks the channel, validates the
// input with the contract's schema BEFORE any service runs, calls the handler and answers {ok,data} or
// {ok:false,error:{code,message}}. Nothing a renderer sends reaches a service unvalidated.
import { CHANNELS, isChannel, validateInput, type Channel, type ChannelArgs, type ChannelOutput, type IpcError, type IpcResult } from '../../shared/contract';

/** Who is calling, as the transport established it. */
export interface CallContext {
  /** Recorded in the audit trail (docs/spec.md §6): the OS user. */
  actor: string;
  transport: 'ipc' | 'http' | 'test';
  /** Saves an export where the platform can (Electron: a native save dialog). Returns the path or null if cancelled. */
  saveFile?: (filename: string, content: string) => Promise<string | null>;
}

export type Handler<C extends Channel> = (args: ChannelArgs<C>, ctx: CallContext) => Promise<ChannelOutput<C>> | ChannelOutput<C>;
/** The one typed handler map: every contract channel must have exactly one handler (the compiler checks it). */
export type HandlerMap = { [C in Channel]: Handler<C> };
/** The handlers of one domain's channels (`<domain>:<verb>`): one file per domain in handlers/, combined there. */
export type DomainHandlers<D extends string> = { [C in Channel as C extends `${D}:${string}` ? C : never]: Handler<C> };

/** A failure a handler raises on purpose, with the code the renderer shows. */
export class ApiError extends Error {
  constructor(
    readonly code: IpcError['code'],
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface DispatchOptions {
  /** Called with unexpected errors (stack traces stay in the main process, never go to the renderer). */
  onInternalError?: (channel: string, e: unknown) => void;
}

export function fail(code: IpcError['code'], message: string): { ok: false; error: IpcError } {
  return { ok: false, error: { code, message } };
}

function safeChannelName(c: unknown): string {
  const s = typeof c === 'string' ? c : typeof c;
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

export async function dispatch(
  handlers: HandlerMap,
  channel: unknown,
  input: unknown,
  ctx: CallContext,
  opts: DispatchOptions = {},
): Promise<IpcResult<unknown>> {
  if (!isChannel(channel)) return fail('UNKNOWN_CHANNEL', `unknown channel '${safeChannelName(channel)}'`);
  const v = validateInput(channel, input);
  if (!v.ok) return v;
  try {
    const data = await (handlers[channel] as Handler<typeof channel>)(v.data as never, ctx);
    return { ok: true, data };
  } catch (e) {
    if (e instanceof ApiError) return fail(e.code, e.message);
    opts.onInternalError?.(channel, e);
    const msg = e instanceof Error ? e.message : String(e);
    return fail('INTERNAL', `${channel} failed: ${msg.split('\n')[0].slice(0, 300)}`);
  }
}

export const ALL_CHANNELS = Object.keys(CHANNELS) as Channel[];
