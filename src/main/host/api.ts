// The API route (POST /api/<channel>): the channel checked before the body is read, JSON only, the body capped, the
// state-changing channels rate-limited per token, then dispatch (the contract's schema before any service runs);
// an internal failure reaches the client as a reference, its details the log.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isChannel, validateInput, type IpcResult } from '../../shared/contract';
import { dispatch, fail, type CallContext, type HandlerMap } from '../api/dispatch';
import { cutForMessage, isJsonContentType, safeDecode } from './guards';
import { RATE_LIMITED_CHANNELS, type TokenBuckets } from './ratelimit';
import { newRef, sendJson } from './respond';

const STATUS_OF: Record<string, number> = {
  VALIDATION: 400,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  NOT_FOUND: 404,
  UNKNOWN_CHANNEL: 404,
  CONFLICT: 409,
  INTERNAL: 500,
};

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      if (!over) chunks.push(c);
      // Drained, not stored, so the client still reads the refusal; past 16x the limit the connection is cut.
      else if (size > limit * 16) {
        req.destroy();
        reject(new BodyTooLarge(`body larger than ${limit} bytes`));
      }
    });
    req.on('end', () => (over ? reject(new BodyTooLarge(`body larger than ${limit} bytes`)) : resolveBody(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

export interface ApiRoute {
  handlers: HandlerMap;
  ctx: CallContext;
  limiter: TokenBuckets;
  /** Largest request body accepted (bytes). */
  maxBody: number;
  /** The socket's idle timeout, restored once the services have answered. */
  idleTimeoutMs: number;
  log: (line: string) => void;
}

/** Answers a request to /api/<rawName> that carried the token whose key is `key`. */
export async function callApi(
  a: ApiRoute,
  req: IncomingMessage,
  res: ServerResponse,
  rawName: string,
  key: string,
): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, fail('VALIDATION', 'use POST with a JSON body'));
  // The channel before anything is read: an unknown name is answered at once, whatever body follows it, and
  // never echoed at length.
  const channel = safeDecode(rawName);
  if (channel === null) return sendJson(res, 404, fail('UNKNOWN_CHANNEL', `unknown channel '${cutForMessage(rawName)}' (bad percent-encoding)`));
  if (!isChannel(channel)) return sendJson(res, 404, fail('UNKNOWN_CHANNEL', `unknown channel '${cutForMessage(channel)}'`));
  // JSON only: a form, text/plain or a body with no type is refused before it is read, so no page can drive the
  // API with a "simple" cross-site request that carries the cookie.
  const type = req.headers['content-type'];
  if (!isJsonContentType(type)) {
    return sendJson(
      res,
      415,
      fail('VALIDATION', `${channel}: send the input as Content-Type: application/json (got ${type === undefined ? 'none' : `'${cutForMessage(type)}'`})`),
    );
  }
  let text: string;
  try {
    text = await readBody(req, a.maxBody);
  } catch (e) {
    if (e instanceof BodyTooLarge) return sendJson(res, 413, fail('VALIDATION', `${channel}: ${e.message}`));
    throw e;
  }
  let input: unknown = undefined;
  if (text.trim() !== '') {
    try {
      input = JSON.parse(text);
    } catch {
      return sendJson(res, 400, fail('VALIDATION', `${channel}: body is not valid JSON`));
    }
  }
  // Well-formed calls to a state-changing channel spend a token from the bucket of the token the request carried
  // (not of its source address: every 127.0.0.x is this machine); malformed ones were never going to reach a
  // service (dispatch refuses them with VALIDATION), so they cost no more than a read.
  if (RATE_LIMITED_CHANNELS.has(channel) && validateInput(channel, input).ok) {
    const took = a.limiter.take(key);
    if (!took.ok) {
      const seconds = Math.max(1, Math.ceil(took.retryAfterMs / 1000));
      const { perSecond, burst } = a.limiter.limit;
      return sendJson(
        res,
        429,
        fail('RATE_LIMITED', `${channel}: too many requests: at most ${perSecond}/s (bursts of ${burst}) per token; retry in ${seconds} s`),
        { 'Retry-After': String(seconds) },
      );
    }
  }
  let failure: { ref: string; e: unknown } | undefined;
  // The request is in: the services' own time is not the client's idleness.
  req.socket.setTimeout(0);
  const result: IpcResult<unknown> = await dispatch(a.handlers, channel, input, a.ctx, {
    onInternalError: (_c, e) => (failure = { ref: newRef(), e }),
  });
  req.socket.setTimeout(a.idleTimeoutMs);
  if (!result.ok && result.error.code === 'INTERNAL') {
    // The failure's own text (a file path, "database is locked", a stack) stays in the log.
    const ref = failure?.ref ?? newRef();
    const detail = failure ? ((failure.e as Error)?.stack ?? String(failure.e)) : result.error.message;
    a.log(`api ${channel}: internal error ref=${ref}: ${detail}`);
    return sendJson(res, 500, fail('INTERNAL', `${channel} failed: internal error (ref ${ref}); the details are in the host's log`));
  }
  return sendJson(res, result.ok ? 200 : (STATUS_OF[result.error.code] ?? 500), result);
}
