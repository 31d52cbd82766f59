// Slice: what the screens show beyond the queue — the band history, the EOD report (and its export), the positions,
// the activity log (intents, audit trail, quarantine, engine cycles).
import { shiftTradingDays } from '../../../shared/calendar';
import { reportFormat, type ReportFormatId } from '../../../shared/report-formats';
import { call } from '../api';
import { calendarOf } from '../calendar';
import { download } from '../download';
import { writePref } from '../prefs';
import { api, get, guarded, RANGE_KEY, set, toast, type Range } from './core';

export const viewActions = {
  async setRange(range: Range) {
    set({ range });
    writePref(RANGE_KEY, range);
    await viewActions.refreshHistory();
  },
  async refreshHistory() {
    const range = get().range;
    const history = await guarded('Band history', () => call(api(), 'bands:history', { range, maxPoints: 1200 }));
    if (history && get().range === range) set({ history });
  },
  async setReportDate(date: string) {
    set({ reportDate: date });
    await viewActions.refreshReport();
  },
  /** The report date `n` trading days away, in the account calendar (weekends and exchange holidays skipped). */
  async stepReportDate(n: number) {
    const { reportDate, status } = get();
    if (!reportDate || !status) return;
    await viewActions.setReportDate(shiftTradingDays(reportDate, n, calendarOf(status)));
  },
  async refreshReport() {
    const date = get().reportDate;
    if (!date) return;
    const r = await api().invoke('ledger:report', { date });
    if (get().reportDate !== date) return;
    if (r.ok) set({ report: r.data, reportError: null });
    else set({ report: null, reportError: r.error.message });
  },
  /** The report in a format of shared/report-formats: saved by Electron's dialog, or downloaded in a browser. */
  async exportReport(format: ReportFormatId) {
    const date = get().reportDate;
    if (!date) return;
    const r = await guarded('Export', () => call(api(), 'reports:export', { date, format }));
    if (!r) return;
    if (r.saved) {
      toast('ok', `Saved ${r.path ?? r.filename}`);
      return;
    }
    if (get().transport === 'electron') return; // the save dialog was cancelled
    download(r.filename, r.content, reportFormat(format).mime);
    toast('ok', `Downloaded ${r.filename}`);
  },
  async refreshPositions() {
    const positions = await guarded('Positions', () => call(api(), 'ledger:positions'));
    if (positions) set({ positions, positionsLoaded: true });
  },
  async refreshActivity() {
    const a = api();
    const auditFor = get().auditFor;
    const [allIntents, audit, quarantine, cycles] = await Promise.all([
      guarded('Intent history', () => call(a, 'intents:list', { status: 'ALL', limit: 5000 })),
      guarded('Audit', () => call(a, 'intents:audit', auditFor ? { id: auditFor, limit: 500 } : { limit: 500 })),
      guarded('Quarantine', () => call(a, 'ledger:quarantine', { limit: 500 })),
      guarded('Cycles', () => call(a, 'engine:cycles', { limit: 200 })),
    ]);
    set({
      ...(allIntents ? { allIntents } : {}),
      ...(audit ? { audit } : {}),
      ...(quarantine ? { quarantine } : {}),
      ...(cycles ? { cycles } : {}),
    });
  },
  async refreshCycles() {
    const cycles = await guarded('Cycles', () => call(api(), 'engine:cycles', { limit: 200 }));
    if (cycles) set({ cycles });
  },
  async showAuditFor(id: string | null) {
    set({ auditFor: id });
    const audit = await guarded('Audit', () => call(api(), 'intents:audit', id ? { id, limit: 500 } : { limit: 500 }));
    if (audit && get().auditFor === id) set({ audit });
  },
};
