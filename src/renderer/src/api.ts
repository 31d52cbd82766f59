// The renderer's one way to the main process. In Electron the preload exposes `window.band`; in the browser host
// (`bandctl serve`) the same contract runs over HTTP (POST /api/<channel>) and Server-Sent Events (/api/events),
// with the token from the URL the host printed.
import type { BandApi, Channel, ChannelInput, ChannelOutput, IpcResult, PushEvent, PushPayload } from '../../shared/contract';

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

export function httpApi(token: string, onLink: (s: LinkState) => void): BandApi {
  let source: EventSource | null = null;
  const handlers = new Map<string, Set<(p: unknown) => void>>();

  function ensureSource(): EventSource {
    if (source) return source;
    const q = token ? `?token=${encodeURIComponent(token)}` : '';
    onLink('connecting');
    source = new EventSource(`/api/events${q}`);
    source.onopen = () => onLink('up');
    source.onerror = () => onLink(source?.readyState === EventSource.CLOSED ? 'down' : 'connecting');
    for (const [event, set] of handlers) attach(source, event, set);
    return source;
  }
  function attach(es: EventSource, event: string, set: Set<(p: unknown) => void>) {
    es.addEventListener(event, (m) => {
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
        onLink('up');
        return body;
      } catch (e) {
        onLink('down');
        return { ok: false, error: { code: 'INTERNAL', message: `the console host is unreachable (${(e as Error).message})` } };
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

export function pickApi(onLink: (s: LinkState) => void): { api: BandApi; transport: Transport } {
  if (window.band && typeof window.band.invoke === 'function') {
    onLink('up');
    return { api: window.band, transport: 'electron' };
  }
  return { api: httpApi(takeToken(), onLink), transport: 'browser' };
}

/** Unwraps a result or throws its message (the store turns it into a toast). */
export async function call<C extends Channel>(api: BandApi, channel: C, input?: ChannelInput<C>): Promise<ChannelOutput<C>> {
  const r = await api.invoke(channel, input);
  if (!r.ok) throw new ApiCallError(r.error.code, r.error.message);
  return r.data;
}

export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
