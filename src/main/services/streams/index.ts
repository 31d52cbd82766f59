// The Redis Streams bridge (issue 6): the ledger on `ev.orders`, approvals to `ev.intents`, ticks from a stream.
export { StreamConsumer, type LedgerSink, type ApplyCounts, type ConsumerCounts, type StreamConsumerOptions } from './consumer';
export { connectRedis, waitReady, backoffMs, redactUrl, validateRedisUrl } from './connection';
export { decodeEntry, encodeFlatEntry, encodeJsonEntry, JSON_FIELDS } from './entry';
export { compareIds } from './ids';
export { RedisBroker, OutboxPublisher, enqueueOrders, outboxPending, idemKey, orderFields, IDEM_TTL_S } from './outbox';
export { databaseGroup, defaultConsumerName, positionKey, readPosition } from './positions';
export { RedisTickSource, parseTickEntry } from './ticks';
export {
  StreamsService,
  STREAMS_OFF,
  openConsoleStreams,
  type ConsoleStreams,
  type StreamsConfig,
  type StreamsServiceOptions,
} from './service';
