// createServices(dbFile, configFile): the main-process services the console needs, opened once and shared by the
// Electron shell and the browser host (`bandctl serve`): the SQLite file, the ConfigWatcher, the Engine (band
// controller, prices, paper broker) and the ledger worker, plus the push-event hub that feeds both transports.
import type { ExportFormat } from '../../shared/contract';
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
  ReportBundle,
  ReportView,
} from '../../shared/types';
import type { IntentStatus } from '../../shared/domain';
import { EventHub } from './events';
import type { ReplayAccess } from './replay';

/** The engine surface the console calls (the engine service's class satisfies it). */
export interface EngineApi {
  evaluate(): { intents: unknown[] };
  now(): number;
  status(): AppStatus;
  halt(actor: string, reason?: string): unknown;
  resume(actor: string): unknown;
  approve(ids: string[], actor: string): IntentOutcome[];
  reject(ids: string[], actor: string, reason: string): IntentOutcome[];
  cancel(ids: readonly string[] | 'all', actor: string, reason: string): IntentOutcome[];
  listIntents(status: IntentStatus | 'OPEN' | 'ALL', limit: number): IntentView[];
  audit(id: string | undefined, limit: number): AuditRow[];
  preview(ids: string[]): BandPreview;
  bandHistory(range: '1D' | '1W' | '1M' | 'ALL', maxPoints: number, now: number): BandPoint[];
  cycles(limit: number): CycleLogRow[];
}

export interface ConsoleServices {
  engine: EngineApi | null;
  events: EventHub;
  positions(): PositionView[];
  quarantine(limit: number): QuarantinedEvent[];
  reportBundle(date: string): ReportBundle;
  /** The day's report with its (symbol, classification) rows (ledger:report). */
  reportView(date: string): ReportView;
  /** Exactly the bytes `bandctl report --date D --format F` prints. */
  renderReport(bundle: ReportBundle, format: ExportFormat): string;
  /** The Policy lab: replays of past periods under edited configs, on a worker thread. */
  replay: ReplayAccess;
  close(): Promise<void>;
}
