// The Redis Streams bridge (issue 6): the ledger on `ev.orders`, approvals to `ev.intents`, ticks from a stream.
export {
  StreamConsumer,
  StreamResetError,
  FatalStreamError,
  type LedgerSink,
  type ApplyCounts,
  type ConsumerCounts,
  type DeadLetter,
  type StreamConsumerOptions,
} from './consumer';
export { connectRedis, waitReady, backoffMs, redactUrl, validateRedisUrl } from './connection';
export { decodeEntry, encodeFlatEntry, encodeJsonEntry, JSON_FIELDS } from './entry';
export { compareIds } from './ids';
export { RedisBroker, OutboxPublisher, enqueueOrders, outboxPending, outboxRetrying, idemKey, orderFields, IDEM_TTL_S } from './outbox';
export { xaddOnce, DEFAULT_PUBLISH_MAXLEN } from './publish';
export { databaseGroup, defaultConsumerName, positionKey, readPosition } from './positions';
export { RedisTickSource, parseTickEntry } from './ticks';
export {
  StreamsService,
  STREAMS_OFF,
  deadStreamOf,
  openConsoleStreams,
  type ConsoleStreams,
  type StreamsConfig,
  type StreamsServiceOptions,
} from './service';
