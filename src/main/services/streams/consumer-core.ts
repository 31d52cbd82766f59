// A stream consumer's types, errors and shared state (consumer.ts is the consumer; consumer-group.ts,
// consumer-reads.ts and consumer-apply.ts are its parts, which share one ConsumerCore).
import type { Redis } from 'ioredis';
import type { StreamStatus } from '../../../shared/types';
import type { Db } from '../store/db';

export interface ApplyCounts {
  accepted: number;
  duplicates: number;
  rejected: number;
}

/** What the consumer needs of the ledger (LedgerConsumer satisfies it). */
export interface LedgerSink {
  applyBatch(events: Array<string | Record<string, unknown>>, source: string, inTx?: () => void): ApplyCounts;
}

export interface StreamConsumerOptions {
  db: Db;
  ledger: LedgerSink;
  /** redis://host:port[/db]; the consumer opens (and closes) its own connection. */
  url: string;
  stream: string;
  group: string;
  consumer: string;
  /** Entries per XREADGROUP and per transaction (default 500). */
  count?: number;
  /** XREADGROUP BLOCK in ms (default 1000). */
  blockMs?: number;
  /**
   * Pending entries idle this long belong to a dead consumer and are claimed (default 10000). Taking over from a
   * live but slow consumer is harmless: the position check stops a second apply.
   */
  claimIdleMs?: number;
  /** How often to run XAUTOCLAIM (default min(claimIdleMs / 2, 5000)). */
  claimEveryMs?: number;
  /** Where an entry goes once its apply failed maxAttempts times (default `<stream>.dead`). */
  deadStream?: string;
  /** Applies of one entry (alone) that may fail before it is dead-lettered (default 5). */
  maxAttempts?: number;
  /** `MAXLEN ~` on the dead-letter stream (default 100,000). */
  deadMaxlen?: number;
  /** First wait before an entry whose apply failed is tried again (default 100 ms), doubling up to retryMaxMs. */
  retryMinMs?: number;
  /** Longest wait between two attempts of one entry (default 5000 ms). */
  retryMaxMs?: number;
  /**
   * This many entries dead-lettered in a row (none applied between them) stop the consumer instead of a further
   * dead letter: the ledger, not the entries, is then likely at fault (default 10).
   */
  maxDeadInARow?: number;
  /** Forget this database's position in the stream and read it again from its start (after a reset). */
  acceptReset?: boolean;
  onStatus?: (s: StreamStatus) => void;
  onBatch?: (r: ApplyCounts & { entries: number; lastId: string; deadLettered?: number }) => void;
  onDeadLetter?: (d: DeadLetter) => void;
  log?: (line: string) => void;
  /** Fault injection for the crash tests: awaited after the commit, before XACK / before the apply. */
  faults?: {
    beforeApply?: (ids: string[]) => Promise<void>;
    beforeAck?: (ids: string[]) => Promise<void>;
  };
}

export interface ConsumerCounts extends ApplyCounts {
  /** Stream entries applied to this database (each once). */
  entries: number;
  /** Entries taken over from other consumers (XAUTOCLAIM / XCLAIM). */
  claimed: number;
  /** Entries at or before the position that arrived again (acknowledged, not applied). */
  redelivered: number;
  /** Entries whose apply failed maxAttempts times: sent to the dead-letter stream, quarantined, acknowledged. */
  deadLettered: number;
  /** Failed applies of an entry alone (each counts towards its maxAttempts). */
  failedAttempts: number;
}

export interface DeadLetter {
  /** The entry's id in the orders stream. */
  id: string;
  /** Its id in the dead-letter stream. */
  deadId: string;
  deadStream: string;
  attempts: number;
  reason: string;
}

/** The consumer stopped on purpose; run() rejects with it and it is not retried. */
export class FatalStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FatalStreamError';
  }
}

/**
 * The stream was reset under this database: its consumer group is gone, or it delivers an entry at or before the
 * position that this database never saw. Nothing was acknowledged.
 */
export class StreamResetError extends FatalStreamError {
  constructor(
    message: string,
    readonly stream: string,
    readonly position: string,
  ) {
    super(message);
    this.name = 'StreamResetError';
  }
}

export interface Held {
  id: string;
  fields: string[] | null;
  /** Id of the entry delivered just before it in the same XREADGROUP '>' reply (they are adjacent in the stream). */
  prev: string | null;
}

export type RawEntry = [string, string[] | null];

/** The options with their defaults filled in. */
export type ResolvedConsumerOptions = Required<
  Omit<StreamConsumerOptions, 'onStatus' | 'onBatch' | 'onDeadLetter' | 'log' | 'faults' | 'deadStream' | 'acceptReset'>
> &
  StreamConsumerOptions;

/** What a consumer's parts share: its options, its connection and running state, its counters. */
export class ConsumerCore {
  readonly counts: ConsumerCounts = {
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    entries: 0,
    claimed: 0,
    redelivered: 0,
    deadLettered: 0,
    failedAttempts: 0,
  };
  redis: Redis | null = null;
  stopped = false;
  private wakeSleep: (() => void) | null = null;

  constructor(
    readonly o: ResolvedConsumerOptions,
    /** This database's position row for the stream on this server. */
    readonly posKey: string,
  ) {}

  /** The connection of the running consumer. */
  get r(): Redis {
    if (!this.redis) throw new Error('consumer is not running');
    return this.redis;
  }

  log(line: string): void {
    this.o.log?.(line);
  }

  /** Waits ms, or less if the consumer is stopped meanwhile (wake()). */
  pause(ms: number): Promise<void> {
    return new Promise<void>((res) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        res();
      }
      this.wakeSleep = done;
    }).finally(() => {
      this.wakeSleep = null;
    });
  }

  /** Ends the current pause() at once. */
  wake(): void {
    this.wakeSleep?.();
  }
}
