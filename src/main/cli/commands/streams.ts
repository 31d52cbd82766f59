// streams commands (docs/spec.md §10): `consume`, the ledger as a member of a Redis Streams consumer group, headless.
import { defaultConfig, formatConfigError, loadConfigFile } from '../../services/config/load';
import type { RiskConfig } from '../../services/config/schema';
import { LedgerConsumer } from '../../services/ledger/consumer';
import { bookZone } from '../../services/store/book-zone';
import { openDb } from '../../services/store/db';
import { connectRedis, redactUrl, validateRedisUrl, waitReady } from '../../services/streams/connection';
import { StreamConsumer } from '../../services/streams/consumer';
import { OutboxPublisher, outboxPending } from '../../services/streams/outbox';
import { databaseGroup, defaultConsumerName } from '../../services/streams/positions';
import { deadStreamOf } from '../../services/config/schema';
import { intOption, optionalString, requireString, UsageError, type Command } from '../framework';
import { errorMessage } from '../../../shared/errors';

const NAME_RE = /^[A-Za-z0-9_.:@/-]{1,200}$/;

function nameOption(values: Record<string, unknown>, name: string): string | undefined {
  const v = optionalString(values, name);
  if (v !== undefined && !NAME_RE.test(v)) {
    throw new UsageError(`--${name} must be 1-200 characters of A-Z a-z 0-9 _ . : @ / -, got '${v}'`);
  }
  return v;
}

/** Fault injection for the crash tests (BAND_STREAMS_FAULT=before-ack|before-apply): stop forever at the first batch. */
function faultsFromEnv(err: (t: string) => void) {
  const f = process.env.BAND_STREAMS_FAULT;
  if (f !== 'before-ack' && f !== 'before-apply') return undefined;
  const hang = (ids: string[]) => {
    err(`fault ${f}: holding ${ids.length} entries ${ids[0]}..${ids[ids.length - 1]}\n`);
    return new Promise<void>(() => {});
  };
  return f === 'before-ack' ? { beforeAck: hang } : { beforeApply: hang };
}

const consume: Command = {
  name: 'consume',
  usage: 'consume --db F --redis URL [--stream ev.orders] [--group G] [--consumer N] [--until-idle MS]',
  summary:
    'the ledger as a member of a Redis Streams consumer group (also --config C, --claim-idle MS, --count N, ' +
    '--accept-reset); with --until-idle it exits after MS ms without events and prints the counts',
  options: {
    db: { type: 'string' },
    redis: { type: 'string' },
    stream: { type: 'string' },
    group: { type: 'string' },
    consumer: { type: 'string' },
    'until-idle': { type: 'string' },
    config: { type: 'string' },
    'claim-idle': { type: 'string' },
    count: { type: 'string' },
    'accept-reset': { type: 'boolean' },
  },
  async run({ values, io }) {
    const file = requireString(values, 'db', this.usage);
    let config: RiskConfig = defaultConfig();
    const configFile = optionalString(values, 'config');
    if (configFile !== undefined) {
      const r = loadConfigFile(configFile);
      if (!r.ok) throw new UsageError(`config ${configFile}: ${r.errors.map(formatConfigError).join('; ')}`);
      config = r.config;
    }
    const url = optionalString(values, 'redis') ?? config.streams.redis_url ?? undefined;
    if (!url) throw new UsageError(`--redis is required (or streams.redis_url in --config); usage: bandctl ${this.usage}`);
    const badUrl = validateRedisUrl(url);
    if (badUrl) throw new UsageError(`--redis: ${badUrl}`);
    const stream = nameOption(values, 'stream') ?? config.streams.orders_stream;
    const untilIdle = values['until-idle'] === undefined ? undefined : intOption(values, 'until-idle', 0, 1);
    const claimIdle = intOption(values, 'claim-idle', 10_000, 1);
    const count = intOption(values, 'count', 500, 1);
    const groupOpt = nameOption(values, 'group') ?? config.streams.group ?? undefined;
    const consumerName = nameOption(values, 'consumer') ?? defaultConsumerName();

    // Fail fast with one clear line when Redis cannot be reached at all; later outages are waited out.
    const probe = connectRedis(url, { name: 'band:consume:probe', maxDelayMs: 500 });
    try {
      await waitReady(probe, 10_000);
    } catch {
      io.err(`bandctl: cannot reach Redis at ${redactUrl(url)} within 10 s\n`);
      return 1;
    } finally {
      probe.disconnect();
    }

    const db = openDb(file);
    const ledger = new LedgerConsumer(db, { timezone: bookZone(db, configFile ? config.account.timezone : null, `--config ${configFile}`) });
    const group = groupOpt ?? databaseGroup(db);
    const c = new StreamConsumer({
      db,
      ledger,
      url,
      stream,
      group,
      consumer: consumerName,
      count,
      claimIdleMs: claimIdle,
      deadStream: deadStreamOf(config.streams, stream),
      maxAttempts: config.streams.max_attempts,
      deadMaxlen: config.streams.publish_maxlen,
      acceptReset: values['accept-reset'] === true,
      log: (line) => io.err(`consume: ${line}\n`),
      onStatus: (s) => {
        if (s.state === 'down') io.err(`consume: ${s.detail}\n`);
      },
      faults: faultsFromEnv((t) => io.err(t)),
    });
    // Approved orders waiting in this database's outbox (approved by `bandctl approve` with the Redis broker, or
    // by a console that closed while Redis was down) are published by the worker too.
    const publisher = new OutboxPublisher({
      db,
      url,
      maxlen: config.streams.publish_maxlen,
      log: (line) => io.err(`consume: ${line}\n`),
    });
    publisher.start();
    const stop = () => void c.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    io.err(`consume: ${redactUrl(url)} stream ${stream} group ${group} consumer ${consumerName}\n`);
    try {
      try {
        await c.run(untilIdle);
      } catch (e) {
        // a reset stream, a key that is not a stream, a ledger that fails entry after entry: one line, exit 1 (2
        // for a key of the wrong type: the --stream / config is wrong)
        const msg = errorMessage(e);
        io.err(`bandctl: ${msg}\n`);
        return /WRONGTYPE/.test(msg) ? 2 : 1;
      }
      if (outboxPending(db) > 0) {
        await Promise.race([publisher.flush().catch(() => {}), new Promise((res) => setTimeout(res, 5000))]);
      }
    } finally {
      await publisher.stop();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      db.close();
    }
    // docs/spec.md §10: the counts as `ingest` prints them. A dead-lettered entry was not booked: it counts as rejected (its
    // quarantine row says why), and stderr says how many went to the dead-letter stream.
    const { accepted, duplicates, rejected, deadLettered } = c.counts;
    if (deadLettered > 0) {
      io.err(`consume: ${deadLettered} entr${deadLettered === 1 ? 'y' : 'ies'} dead-lettered to ${deadStreamOf(config.streams, stream)} (counted as rejected; see bandctl quarantine)\n`);
    }
    io.out(`${JSON.stringify({ accepted, duplicates, rejected: rejected + deadLettered })}\n`);
    return 0;
  },
};

export const commands: Command[] = [consume];
