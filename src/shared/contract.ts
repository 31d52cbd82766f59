// The IPC contract: one map of `domain:verb` channels to input/output schemas, and one map of push events.
// The main process validates every input with these schemas before any service runs (Electron IPC and the
// browser host alike); the preload exposes exactly these channels.
import { z } from 'zod';
import { INTENT_STATUSES, IsoDateSchema } from './domain';
import { REPORT_FORMAT_IDS, type ReportFormatId } from './report-formats';
import { APPROVE_POLICIES, type ReplayResult } from './replay';
import type { ScreenId } from './screens';
import type {
  AppStatus,
  AuditRow,
  BandPoint,
  BandPreview,
  CycleLogRow,
  IntentOutcome,
  IntentView,
  PositionView,
  QuarantinedEvent,
  ReportView,
} from './types';

const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'id has characters outside A-Z a-z 0-9 _ . : -');
const Ids = z.array(Id).min(1, 'at least one id').max(10_000, 'at most 10000 ids');
const Empty = z.strictObject({}).optional();
const out = <T>() => z.custom<T>(() => true);

/** A report format the console can export: one of shared/report-formats.ts. */
export type ExportFormat = ReportFormatId;

/** A config the Policy lab edits: YAML text, at most 64 KiB (the shipped file is ~3 KiB). */
const ConfigText = z.string().max(65_536, 'at most 64 KiB of YAML');

/** What the Policy lab opens on: the live config's text (editor A starts from it). */
export interface ReplaySetup {
  /** risk_rules.yaml as it is on disk; null when it cannot be read. */
  config_text: string | null;
  config_file: string;
}

/** An edited config, checked exactly like the file (services/config/load.ts): errors at a path and line. */
export type ConfigCheck = { ok: true } | { ok: false; errors: { path: string; line: number | null; message: string }[] };

/** replay:run's answer: the replay under config A and, when a config B was given, under B. */
export interface ReplayRun {
  a: ReplayResult;
  b: ReplayResult | null;
}

export const CHANNELS = {
  'app:status': { input: Empty, output: out<AppStatus>() },
  'engine:evaluate': { input: Empty, output: out<{ status: AppStatus; created: number }>() },
  'engine:halt': { input: z.strictObject({ reason: z.string().max(500).optional() }).optional(), output: out<AppStatus>() },
  'engine:resume': { input: Empty, output: out<AppStatus>() },
  'engine:cycles': { input: z.strictObject({ limit: z.int().min(1).max(1000).default(100) }).optional(), output: out<CycleLogRow[]>() },
  'intents:list': {
    input: z
      .strictObject({
        status: z.enum([...INTENT_STATUSES, 'OPEN', 'ALL']).default('PENDING'),
        limit: z.int().min(1).max(100_000).default(10_000),
      })
      .optional(),
    output: out<IntentView[]>(),
  },
  'intents:approve': { input: z.strictObject({ ids: Ids }), output: out<IntentOutcome[]>() },
  'intents:reject': {
    input: z.strictObject({ ids: Ids, reason: z.string().trim().min(1, 'a reason is required').max(500) }),
    output: out<IntentOutcome[]>(),
  },
  'intents:cancel': {
    input: z.union([
      z.strictObject({ ids: Ids, reason: z.string().trim().min(1, 'a reason is required').max(500) }),
      z.strictObject({ all: z.literal(true), reason: z.string().trim().min(1, 'a reason is required').max(500) }),
    ]),
    output: out<IntentOutcome[]>(),
  },
  'intents:audit': { input: z.strictObject({ id: Id.optional(), limit: z.int().min(1).max(10_000).default(500) }).optional(), output: out<AuditRow[]>() },
  'intents:preview': { input: z.strictObject({ ids: z.array(Id).max(10_000) }), output: out<BandPreview>() },
  'bands:history': {
    input: z.strictObject({ range: z.enum(['1D', '1W', '1M', 'ALL']), maxPoints: z.int().min(10).max(5000).default(1500) }),
    output: out<BandPoint[]>(),
  },
  'ledger:report': { input: z.strictObject({ date: IsoDateSchema }), output: out<ReportView>() },
  'ledger:positions': { input: Empty, output: out<PositionView[]>() },
  'ledger:quarantine': { input: z.strictObject({ limit: z.int().min(1).max(10_000).default(500) }).optional(), output: out<QuarantinedEvent[]>() },
  'reports:export': {
    input: z.strictObject({ date: IsoDateSchema, format: z.enum(REPORT_FORMAT_IDS) }),
    output: out<{ saved: boolean; path: string | null; filename: string; content: string }>(),
  },
  'replay:setup': { input: Empty, output: out<ReplaySetup>() },
  'replay:validate-config': { input: z.strictObject({ text: ConfigText }), output: out<ConfigCheck>() },
  'replay:run': {
    input: z.strictObject({
      from: IsoDateSchema,
      to: IsoDateSchema,
      at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)').optional(),
      approve: z.enum(APPROVE_POLICIES).optional(),
      /** YAML of an edited config; null = the live config. */
      configA: ConfigText.nullable(),
      /** A second config to compare; null = none. */
      configB: ConfigText.nullable(),
      /** Historical ticks as CSV text (symbol,price,ts); null or absent = the stored tick history, else the simulator. */
      pricesCsv: z.string().max(900_000, 'at most 900 KB of CSV').nullable().optional(),
      seed: z.int().min(0).max(2 ** 31 - 1).optional(),
    }),
    output: out<ReplayRun>(),
  },
  'replay:cancel': { input: Empty, output: out<{ cancelled: boolean }>() },
} as const;

export type Channel = keyof typeof CHANNELS;
export type ChannelInput<C extends Channel> = z.input<(typeof CHANNELS)[C]['input']>;
export type ChannelArgs<C extends Channel> = z.output<(typeof CHANNELS)[C]['input']>;
export type ChannelOutput<C extends Channel> = z.output<(typeof CHANNELS)[C]['output']>;

export const PUSH_EVENTS = {
  status: out<AppStatus>(),
  'intents:new': out<{ ids: string[]; count: number }>(),
  'intents:changed': out<{ ids: string[] }>(),
  fills: out<{ count: number; date: string }>(),
  'config:error': out<{ messages: string[] }>(),
  /** Desktop only: the application menu asks the renderer to show a screen. */
  'app:navigate': out<{ screen: ScreenId }>(),
  /** The Policy lab's replay: trading days evaluated so far of the run's total (both configs together). */
  'replay:progress': out<{ done: number; total: number }>(),
  /** Browser host: the events missed while the link was down cannot be replayed; refetch everything. */
  'app:resync': out<{ reason: string }>(),
} as const;

export type PushEvent = keyof typeof PUSH_EVENTS;
export type { ScreenId } from './screens';
export type PushPayload<E extends PushEvent> = z.output<(typeof PUSH_EVENTS)[E]>;

export interface IpcError {
  code: 'VALIDATION' | 'NOT_FOUND' | 'CONFLICT' | 'UNKNOWN_CHANNEL' | 'FORBIDDEN' | 'RATE_LIMITED' | 'INTERNAL';
  message: string;
}
export type IpcResult<T> = { ok: true; data: T } | { ok: false; error: IpcError };

/** The API the preload exposes (and the browser host's client implements). */
export interface BandApi {
  invoke<C extends Channel>(channel: C, input?: ChannelInput<C>): Promise<IpcResult<ChannelOutput<C>>>;
  listen<E extends PushEvent>(event: E, cb: (payload: PushPayload<E>) => void): () => void;
}

export function isChannel(c: unknown): c is Channel {
  return typeof c === 'string' && Object.prototype.hasOwnProperty.call(CHANNELS, c);
}

/** Validates a channel's input; a readable error names the field. */
export function validateInput<C extends Channel>(channel: C, input: unknown): IpcResult<ChannelArgs<C>> {
  const r = CHANNELS[channel].input.safeParse(input);
  if (r.success) return { ok: true, data: r.data as ChannelArgs<C> };
  const msg = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`)
    .join('; ');
  return { ok: false, error: { code: 'VALIDATION', message: `${channel}: ${msg}` } };
}
