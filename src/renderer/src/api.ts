// The renderer's one way to the main process. In Electron the preload exposes `window.band`; in the browser host
// (`bandctl serve`) the same contract runs over HTTP (POST /api/<channel>) and Server-Sent Events (/api/events),
// with the token from the URL the host printed.
import type { BandApi, Channel, ChannelInput, ChannelOutput, IpcResult, PushEvent, PushPayload } from '../../shared/contract';
import { errorMessage } from '../../shared/errors';

export type Transport = 'electron' | 'browser';
export type LinkState = 'up' | 'connecting' | 'down';

const TOKEN_KEY = 'band.token';

function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    try {
      sessionStorage.setItem(TOKEN_KEY, fromUrl);
    } catch {
      /* storage may be disabled: the cookie still authenticates */
    }
    // Keep the token out of the address bar (screenshots, screen shares); the HttpOnly cookie keeps the session.
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

/** What the transport tells the store about its link to the main process. */
export interface LinkHooks {
  /** The link's state changed (the push connection and the last request, together). */
  onLink(s: LinkState): void;
  /**
   * The push connection opened again after it was lost. The host replays what was missed (or sends app:resync),
   * and the store refetches anyway: belt and braces.
   */
  onReopen(): void;
}

/** The message of a request that never reached the host (the store keeps such errors off the toasts: the header says so). */
export const UNREACHABLE = 'the console host is unreachable';

const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 30_000;

function httpApi(token: string, hooks: LinkHooks): BandApi {
  let source: EventSource | null = null;
  const handlers = new Map<string, Set<(p: unknown) => void>>();
  // The link is up while the push connection is open and the last request reached the host.
  let sseOpen = false;
  let httpDown = false;
  let lost = false;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** The id of the last push event seen: a new connection asks the host to replay what came after it. */
  let lastEventId = '';

  function report(): void {
    if (httpDown) hooks.onLink('down');
    else if (sseOpen) hooks.onLink('up');
    else hooks.onLink(source && source.readyState !== EventSource.CLOSED ? 'connecting' : 'down');
  }

  function open(): EventSource {
    const params = new URLSearchParams();
    if (token) params.set('token', token);
    if (lastEventId) params.set('lastEventId', lastEventId);
    const q = params.size ? `?${params.toString()}` : '';
    const es = new EventSource(`/api/events${q}`);
    source = es;
    es.onopen = () => {
      sseOpen = true;
      retryMs = RETRY_MIN_MS;
      report();
      if (lost) {
        lost = false;
        hooks.onReopen();
      }
    };
    es.onerror = () => {
      sseOpen = false;
      lost = true;
      // CONNECTING: the browser retries by itself (with Last-Event-ID, so the host can replay). CLOSED: it gave up
      // (the host answered with an error while restarting): a new connection, later; the store refetches on open.
      if (es.readyState === EventSource.CLOSED && !retryTimer) {
        retryTimer = setTimeout(() => {
          retryTimer = null;
          if (source === es) open();
        }, retryMs);
        retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
      }
      report();
    };
    for (const [event, set] of handlers) attach(es, event, set);
    return es;
  }
  function ensureSource(): EventSource {
    if (source) return source;
    const es = open();
    report();
    return es;
  }
  function attach(es: EventSource, event: string, set: Set<(p: unknown) => void>) {
    es.addEventListener(event, (m) => {
      const id = (m as MessageEvent<string>).lastEventId;
      if (id) lastEventId = id;
      let payload: unknown;
      try {
        payload = JSON.parse((m as MessageEvent<string>).data);
      } catch {
        return;
      }
      for (const cb of set) cb(payload);
    });
  }

  return {
    async invoke<C extends Channel>(channel: C, input?: ChannelInput<C>): Promise<IpcResult<ChannelOutput<C>>> {
      try {
        const res = await fetch(`/api/${channel}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...(token ? { 'X-Band-Token': token } : {}) },
          body: input === undefined ? '' : JSON.stringify(input),
          credentials: 'same-origin',
        });
        const body = (await res.json()) as IpcResult<ChannelOutput<C>>;
        if (httpDown) {
          httpDown = false;
          report();
        }
        return body;
      } catch (e) {
        if (!httpDown) {
          httpDown = true;
          report();
        }
        return { ok: false, error: { code: 'INTERNAL', message: `${UNREACHABLE} (${errorMessage(e)})` } };
      }
    },
    listen<E extends PushEvent>(event: E, cb: (payload: PushPayload<E>) => void): () => void {
      let set = handlers.get(event);
      if (!set) {
        set = new Set();
        handlers.set(event, set);
        if (source) attach(source, event, set);
      }
      const fn = cb as (p: unknown) => void;
      set.add(fn);
      ensureSource();
      return () => void set.delete(fn);
    },
  };
}

export function pickApi(hooks: LinkHooks): { api: BandApi; transport: Transport } {
  if (window.band && typeof window.band.invoke === 'function') {
    hooks.onLink('up');
    return { api: window.band, transport: 'electron' };
  }
  return { api: httpApi(takeToken(), hooks), transport: 'browser' };
}

/** Unwraps a result or throws its message (the store turns it into a toast). */
export async function call<C extends Channel>(api: BandApi, channel: C, input?: ChannelInput<C>): Promise<ChannelOutput<C>> {
  const r = await api.invoke(channel, input);
  if (!r.ok) throw new ApiCallError(r.error.code, r.error.message);
  return r.data;
}

class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
