// Slice: the Policy lab (issue #16) — the period and the approval policy, the two config editors (each checked by the
// main process exactly like risk_rules.yaml, a moment after the trader stops typing), the replay with its progress and
// cancel, and the comparison's exports (a download: CSV of the days, JSON of the whole comparison).
import { previousTradingDay, shiftTradingDays } from '../../../shared/calendar';
import type { ChannelInput } from '../../../shared/contract';
import { reportFormat } from '../../../shared/report-formats';
import type { ReplayResult } from '../../../shared/replay';
import type { AppStatus } from '../../../shared/types';
import { call } from '../api';
import { calendarOf } from '../calendar';
import { download } from '../download';
import { dateIn } from '../format';
import { api, get, guarded, set, toast, type LabEditor, type LabState } from './core';

/** How long the editors wait after the last key before they ask for a check. */
const CHECK_DELAY_MS = 300;
/** The default period's length: about a month of sessions. */
const DEFAULT_DAYS = 21;

type Which = 'a' | 'b';
const timers: Record<Which, ReturnType<typeof setTimeout> | null> = { a: null, b: null };

function patch(p: Partial<LabState>): void {
  set((s) => ({ lab: { ...s.lab, ...p } }));
}

function patchEditor(which: Which, p: Partial<LabEditor>): void {
  set((s) => ({ lab: { ...s.lab, [which]: { ...s.lab[which], ...p } } }));
}

/** The last month of trading days: the 21 sessions up to the last complete one (the one before today). */
function defaultPeriod(status: AppStatus): { from: string; to: string } {
  const cal = calendarOf(status);
  const to = previousTradingDay(dateIn(status.now, status.timezone), cal);
  return { from: shiftTradingDays(to, -(DEFAULT_DAYS - 1), cal), to };
}

/** Is the editor's text known to be valid (checked, and no error)? */
function editorValid(e: LabEditor): boolean {
  return e.checked === e.text && e.check?.ok === true;
}

const CSV_COLUMNS = ['date', 'status', 'long_pct', 'short_pct', 'gross_pct', 'days_in_violation', 'intents', 'fills', 'turnover_notional'] as const;

/** The comparison's days as CSV: one line per (config, date), the numbers as they are (no separators). */
function comparisonCsv(a: ReplayResult, b: ReplayResult | null): string {
  const lines = [`config,${CSV_COLUMNS.join(',')}`];
  for (const [name, r] of [['A', a], ['B', b]] as const) {
    if (!r) continue;
    for (const d of r.days) lines.push(`${name},${CSV_COLUMNS.map((c) => (d[c] === null ? '' : String(d[c]))).join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The comparison as `bandctl replay --json` prints it: `{a, b}` with a config B, else the one result. */
function comparisonJson(a: ReplayResult, b: ReplayResult | null): string {
  return `${JSON.stringify(b ? { a, b } : a, null, 2)}\n`;
}

export const labActions = {
  /** On show: the default period once the status is known, and the live config in both editors the first time. */
  async openLab() {
    const { lab, status } = get();
    if (!lab.from && status) patch(defaultPeriod(status));
    if (lab.loaded) return;
    const setup = await guarded('Policy lab', () => call(api(), 'replay:setup'));
    if (!setup || get().lab.loaded) return;
    const text = setup.config_text ?? '';
    patch({ loaded: true, liveText: setup.config_text, a: { text, check: null, checked: null }, b: { text, check: null, checked: null } });
    await Promise.all([labActions.checkConfig('a'), labActions.checkConfig('b')]);
  },
  setInputs(p: Partial<Pick<LabState, 'from' | 'to' | 'at' | 'approve' | 'compare'>>) {
    patch(p);
  },
  /** An edit: the text now, its check a moment after the last key. */
  editConfig(which: Which, text: string) {
    patchEditor(which, { text });
    if (timers[which]) clearTimeout(timers[which]);
    timers[which] = setTimeout(() => {
      timers[which] = null;
      void labActions.checkConfig(which);
    }, CHECK_DELAY_MS);
  },
  /** The editor back to the live config. */
  resetConfig(which: Which) {
    labActions.editConfig(which, get().lab.liveText ?? '');
  },
  async checkConfig(which: Which) {
    const text = get().lab[which].text;
    const check = await guarded('Config check', () => call(api(), 'replay:validate-config', { text }));
    // a newer edit asks for its own check
    if (check && get().lab[which].text === text) patchEditor(which, { check, checked: text });
  },
  setPrices(prices: LabState['prices']) {
    patch({ prices });
  },
  progress(p: { done: number; total: number }) {
    if (get().lab.running) patch({ progress: p });
  },
  async run() {
    const lab = get().lab;
    if (lab.running) return;
    // a check still on its way for an edit: ask now rather than run on an unchecked text
    for (const w of ['a', 'b'] as const) if (lab[w].checked !== lab[w].text) await labActions.checkConfig(w);
    const { a, b, compare } = get().lab;
    const bad = [!editorValid(a) ? 'A' : null, compare && !editorValid(b) ? 'B' : null].filter(Boolean);
    if (bad.length) {
      toast('error', `Fix config ${bad.join(' and ')} first: its errors are shown under the editor`);
      return;
    }
    const input: ChannelInput<'replay:run'> = {
      from: lab.from,
      to: lab.to,
      at: lab.at,
      approve: lab.approve,
      // the live config unedited goes as null: the config in force, exactly as the engine holds it
      configA: lab.liveText !== null && a.text === lab.liveText ? null : a.text,
      configB: compare ? b.text : null,
      pricesCsv: lab.prices?.text ?? null,
    };
    patch({ running: true, progress: null, error: null });
    const r = await api().invoke('replay:run', input);
    patch({ running: false, progress: null });
    if (r.ok) {
      patch({ result: r.data, ran: { from: input.from, to: input.to, at: lab.at, approve: lab.approve }, error: null });
      return;
    }
    if (r.error.code === 'CONFLICT' && /cancel/i.test(r.error.message)) {
      toast('info', 'Replay cancelled');
      return;
    }
    patch({ error: r.error.message.replace(/^replay:run: /, '') });
  },
  async cancel() {
    await guarded('Cancel', () => call(api(), 'replay:cancel'));
  },
  export(format: 'csv' | 'json') {
    const { result, ran } = get().lab;
    if (!result || !ran) return;
    const name = `replay_${ran.from}_${ran.to}.${format}`;
    const content = format === 'csv' ? comparisonCsv(result.a, result.b) : comparisonJson(result.a, result.b);
    download(name, content, reportFormat(format).mime);
    toast('ok', `Downloaded ${name}`);
  },
};
