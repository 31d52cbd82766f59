// risk_rules.yaml schema (docs/spec.md §3). Strict: an unknown key is an error, never silently ignored.
import { z } from 'zod';
import { isValidTimeZone } from '../../../shared/calendar';
import { IsoDateSchema } from '../../../shared/domain';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');

const pct = z.number().min(0, 'must be within 0-100').max(100, 'must be within 0-100');

const range = z
  .tuple([pct, pct], { error: 'must be a list [min, max] of two numbers' })
  .refine(([min, max]) => min < max, { message: 'min must be < max' });

const bandDrift = z.strictObject({
  enabled: z.boolean().default(true),
  long_pct_range: range.default([60.0, 70.0]),
  short_pct_range: range.default([30.0, 40.0]),
  tolerance_days: z.number().int('must be a whole number of days').min(0, 'must not be negative').default(2),
  corrective_intent_size_pct: z
    .number()
    .gt(0, 'must be in (0, 0.25]')
    .max(0.25, 'must be in (0, 0.25]')
    .default(0.02),
  use_limit_orders: z.boolean().default(true),
  prefer_positive_pnl: z.boolean().default(true),
  limit_offset_bps: z.number().min(0, 'must not be negative').max(10_000, 'must be at most 10000').default(5),
  max_intents_per_cycle: z.number().int('must be a whole number').min(1, 'must be at least 1').default(3),
  max_open_intents: z.number().int('must be a whole number').min(1, 'must be at least 1').default(5),
  acceptable_loss_pct: z.number().min(0, 'must not be negative').max(100, 'must be at most 100').default(0.0),
  lot_size: z.number().int('must be a whole number').min(1, 'must be at least 1').default(1),
  priority: z.number().int('must be a whole number').min(1, 'must be within 1-10').max(10, 'must be within 1-10').default(1),
});

const bucket = z.strictObject({ band_drift: bandDrift.prefault({}) });

/** The dead-letter stream of an orders stream: streams.dead_stream, or `<orders_stream>.dead`. */
export function deadStreamOf(
  c: { dead_stream: string | null; orders_stream: string },
  ordersStream = c.orders_stream,
): string {
  return c.dead_stream ?? `${ordersStream}.dead`;
}

const streams = z
  .strictObject({
    redis_url: z.string().min(1).nullable().default(null),
    orders_stream: z.string().min(1).default('ev.orders'),
    intents_stream: z.string().min(1).default('ev.intents'),
    ticks_stream: z.string().min(1).nullable().default(null),
    group: z.string().min(1).nullable().default(null),
    consumer: z.string().min(1).nullable().default(null),
    // Where an order entry goes once applying it has failed max_attempts times (null: <orders_stream>.dead).
    dead_stream: z.string().min(1).nullable().default(null),
    max_attempts: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be within 1-100')
      .max(100, 'must be within 1-100')
      .default(5),
    // `MAXLEN ~` on what the console publishes (the intents stream, the dead-letter stream).
    publish_maxlen: z
      .number()
      .int('must be a whole number')
      .min(100, 'must be within 100-1000000000')
      .max(1_000_000_000, 'must be within 100-1000000000')
      .default(100_000),
  })
  .superRefine((s, ctx) => {
    const dead = deadStreamOf(s);
    const others: [string, string | null][] = [
      ['orders_stream', s.orders_stream],
      ['intents_stream', s.intents_stream],
      ['ticks_stream', s.ticks_stream],
    ];
    for (const [k, v] of others) {
      if (v === dead) ctx.addIssue({ code: 'custom', path: ['dead_stream'], message: `must differ from ${k} (${v})` });
    }
  });

export const RiskConfigSchema = z.strictObject({
  account: z
    .strictObject({
      equity: z.number().positive('must be > 0').default(10_000_000),
      timezone: z
        .string()
        .refine(isValidTimeZone, { message: 'unknown IANA time zone' })
        .default('America/New_York'),
      holidays: z.array(IsoDateSchema).default([]),
      // The session's regular hours in the account time zone: intents proposed outside them are for the next
      // session, and orders approved for it are staged until its open; approved orders are DAY orders that end at
      // the close (or the date's early close).
      market_open: hhmm.default('09:30'),
      market_close: hhmm.default('16:00'),
      // With America/New_York the NYSE calendar applies (holidays, 13:00 early closes): dates it closes that the
      // desk trades anyway, and early closes to add or move.
      open_dates: z.array(IsoDateSchema).default([]),
      early_closes: z.record(IsoDateSchema, hhmm).default({}),
    })
    .superRefine((a, ctx) => {
      // HH:MM strings of the same width compare as times
      if (a.market_open >= a.market_close) {
        ctx.addIssue({ code: 'custom', path: ['market_open'], message: `must be before account.market_close (${a.market_close})` });
      }
      for (const [date, close] of Object.entries(a.early_closes)) {
        if (close <= a.market_open) {
          ctx.addIssue({ code: 'custom', path: ['early_closes', date], message: `must be after account.market_open (${a.market_open})` });
        }
      }
    })
    .prefault({}),
  global: z
    .strictObject({
      hard_cap_gross_pct: z.number().positive('must be > 0').max(1000, 'must be at most 1000').default(130.0),
    })
    .prefault({}),
  engine: z
    .strictObject({
      cycle_seconds: z.number().min(1, 'must be at least 1').max(86_400, 'must be at most 86400').default(60),
    })
    .prefault({}),
  buckets: z
    .strictObject({
      LT: bucket.prefault({}),
      MM: bucket.optional(),
    })
    .prefault({}),
  reports: z
    .strictObject({
      eod_time: hhmm.default('16:15'),
      output_dir: z.string().min(1).nullable().default(null),
    })
    .prefault({}),
  streams: streams.prefault({}),
  retention: z
    .strictObject({
      // Raw text of applied events is kept this many days (fills, aggregates and event ids stay for ever).
      raw_days: z.number().int('must be a whole number of days').min(1, 'must be at least 1').max(3650, 'must be at most 3650').default(30),
    })
    .prefault({}),
});

export type RiskConfig = z.infer<typeof RiskConfigSchema>;
export type BandDriftConfig = RiskConfig['buckets']['LT']['band_drift'];
