// The browser host's caps and timeouts (server.ts applies them; startHost's `limits` overrides any of them).

/** The server's caps and timeouts (startHost's `limits` overrides any of them; tests shorten the timeouts). */
export interface HostLimits {
  /** Open push streams (/api/events), all tokens together; one more is answered 503. */
  maxPushStreams: number;
  /** Open push streams per token; one more is answered 429. */
  maxPushStreamsPerToken: number;
  /** Open sockets; Node closes any socket beyond it as soon as it is accepted. */
  maxConnections: number;
  /** Time to receive a request's whole head (request line and headers) from the first byte: 408 and cut. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, head and body: 408 and cut. */
  requestTimeoutMs: number;
  /** A socket with no traffic either way for this long is cut (a push stream's keep-alive keeps it busy). */
  idleTimeoutMs: number;
  /** The keep-alive comment on push streams; must be below idleTimeoutMs. */
  pushKeepAliveMs: number;
}

/**
 * Defaults. Each browser tab holds ONE push stream (and browsers allow only 6 HTTP/1.1 connections per host across all
 * tabs), so 8 per token is more than a trader's browser can open, while 2,000 (the probe) is refused; 32 in total
 * bounds the host whatever the tokens; 64 sockets leave room for 32 streams plus every tab's requests. Timeouts near
 * 10 s: a loopback client sends its request in milliseconds; the keep-alive every 5 s keeps a healthy stream inside
 * the idle timeout twice over.
 */
export const HOST_LIMITS: Readonly<HostLimits> = Object.freeze({
  maxPushStreams: 32,
  maxPushStreamsPerToken: 8,
  maxConnections: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  pushKeepAliveMs: 5_000,
});

/** Seconds a client refused a push stream is told to wait (Retry-After). */
export const PUSH_RETRY_AFTER_S = 5;

/** Request bodies above this many bytes are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;
