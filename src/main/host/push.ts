// Push streams (GET /api/events): Server-Sent Events carrying the EventHub's events, capped in total (503) and per
// token (429), replaying what a returning browser missed (Last-Event-ID) or telling it to resync, kept alive by a
// comment well within the idle timeout, and dropped when their client stops reading.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PUSH_EVENTS } from '../../shared/contract';
import { fail } from '../api/dispatch';
import type { EventHub } from '../api/events';
import { PUSH_RETRY_AFTER_S, type HostLimits } from './limits';
import { sendJson } from './respond';

const frameOf = (id: string, event: string, payload: unknown) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
/** A stream whose client stopped reading is dropped once this much is queued for it, not buffered forever. */
const MAX_STREAM_BACKLOG = 1024 * 1024;
const push = (res: ServerResponse, text: string) => {
  if (res.writableLength > MAX_STREAM_BACKLOG) res.destroy();
  else res.write(text);
};

export class PushStreams {
  /** Open push streams and the token each was opened with. */
  private readonly sse = new Map<ServerResponse, string>();
  private readonly streamsOf = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private readonly keepAlive: NodeJS.Timeout;

  /** Subscribes to the hub and starts the keep-alive at once (stop() ends both). */
  constructor(
    private readonly events: EventHub,
    private readonly limits: Readonly<HostLimits>,
  ) {
    this.unsubscribe = events.subscribe((event, payload, id) => {
      const frame = frameOf(id, event, payload);
      for (const res of this.sse.keys()) push(res, frame);
    });
    this.keepAlive = setInterval(() => {
      for (const res of this.sse.keys()) push(res, ': keep-alive\n\n');
    }, limits.pushKeepAliveMs);
    this.keepAlive.unref();
  }

  /** Opens a push stream for a request that carried the token whose key is `key`, or refuses it (503, 429). */
  open(req: IncomingMessage, res: ServerResponse, url: URL, key: string): void {
    if (this.sse.size >= this.limits.maxPushStreams) {
      return sendJson(
        res,
        503,
        fail('RATE_LIMITED', `too many push streams open: at most ${this.limits.maxPushStreams} in all; retry in ${PUSH_RETRY_AFTER_S} s`),
        { 'Retry-After': String(PUSH_RETRY_AFTER_S) },
      );
    }
    const mine = this.streamsOf.get(key) ?? 0;
    if (mine >= this.limits.maxPushStreamsPerToken) {
      return sendJson(
        res,
        429,
        fail('RATE_LIMITED', `too many push streams open with this token: at most ${this.limits.maxPushStreamsPerToken}; close a tab or retry in ${PUSH_RETRY_AFTER_S} s`),
        { 'Retry-After': String(PUSH_RETRY_AFTER_S) },
      );
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: 2000\n: events ${Object.keys(PUSH_EVENTS).join(' ')}\n\n`);
    // A browser coming back sends the id of the last event it saw: it gets what it missed, in order, or, when
    // that is gone (another run of the host, too long away), one app:resync to refetch its state.
    // (the header when the browser retries by itself; the query when the page opens a new EventSource)
    const last = req.headers['last-event-id'] ?? url.searchParams.get('lastEventId') ?? undefined;
    if (typeof last === 'string' && last.length <= 64) {
      const missed = this.events.since(last);
      if (missed) for (const r of missed) res.write(frameOf(r.id, r.event, r.payload));
      else res.write(frameOf(this.events.lastId, 'app:resync', { reason: 'events missed while the link was down' }));
    } else if (last !== undefined) {
      res.write(frameOf(this.events.lastId, 'app:resync', { reason: 'unknown last event id' }));
    }
    this.sse.set(res, key);
    this.streamsOf.set(key, mine + 1);
    res.on('close', () => {
      if (!this.sse.delete(res)) return;
      const n = (this.streamsOf.get(key) ?? 1) - 1;
      if (n > 0) this.streamsOf.set(key, n);
      else this.streamsOf.delete(key);
    });
  }

  /** Stops the keep-alive and the subscription to the hub. */
  stop(): void {
    clearInterval(this.keepAlive);
    this.unsubscribe();
  }

  /** Ends every open stream. */
  endAll(): void {
    for (const res of this.sse.keys()) res.end();
    this.sse.clear();
    this.streamsOf.clear();
  }
}
