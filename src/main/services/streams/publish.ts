// What the bridge writes to Redis streams (approved orders on the intents stream, dead letters): one XADD, idempotent
// on a key, bounded with `MAXLEN ~`. A Lua script adds the entry only if `{<stream>}:idem:<key>` is not set yet and
// then sets it (kept IDEM_TTL_S), so a publish repeated after a crash or a lost reply never adds a second entry; the
// hash tag keeps the key in the stream's cluster slot. `MAXLEN ~ n` lets Redis drop whole old nodes once the stream
// holds more than n entries (cheap; the stream may hold a little more than n).
import type { Redis } from 'ioredis';

/** How long Redis remembers a published key (s): a re-publish within this window is a no-op. */
const IDEM_TTL_S = 7 * 24 * 3600;

/** Default `MAXLEN ~` of what the bridge publishes (config streams.publish_maxlen). */
export const DEFAULT_PUBLISH_MAXLEN = 100_000;

const XADD_ONCE = `
local prev = redis.call('GET', KEYS[2])
if prev then return prev end
local id
local maxlen = tonumber(ARGV[2])
if maxlen and maxlen > 0 then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', unpack(ARGV, 3))
else
  id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
end
redis.call('SET', KEYS[2], id, 'EX', tonumber(ARGV[1]))
return id`;

export function idemKey(stream: string, key: string): string {
  return `{${stream}}:idem:${key}`;
}

/**
 * XADD `fields` to `stream` unless `key` was published there within IDEM_TTL_S; trims with `MAXLEN ~ maxlen`
 * (0: no trimming). Returns the entry id (the first one's, for a repeat).
 */
export async function xaddOnce(
  r: Redis,
  stream: string,
  key: string,
  fields: readonly string[],
  maxlen: number,
): Promise<string> {
  if (fields.length === 0 || fields.length % 2 !== 0) throw new RangeError(`xaddOnce: ${fields.length} field values`);
  return (await r.call('EVAL', [
    XADD_ONCE, '2', stream, idemKey(stream, key), String(IDEM_TTL_S), String(Math.max(0, Math.floor(maxlen))), ...fields,
  ])) as string;
}
