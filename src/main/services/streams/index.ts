// The Redis Streams bridge (issue 6): the ledger on `ev.orders`, approvals to `ev.intents`, ticks from a stream.
// What the app opens; the parts are imported from their own modules (consumer.ts, outbox.ts, ticks.ts, ...).
export { openConsoleStreams } from './service';
