// The policy lab section of npm run bench (docs/spec.md §13, §16): replay_250d_10k_ms — a replay of 250 trading days
// over a book of 10,000 LT positions (copy of the book, a simulator step of every tick each day, one evaluation a
// day, approvals, paper fills, day-order ends) — beside its baseline, band_eval_10k_ms × 250 measured in the same
// run as bench/engine.ts measures it (one warm evaluation over the same book).
import { join } from 'node:path';
import { accountCalendar, shiftTradingDays } from '../src/shared/calendar';
import { RiskConfigSchema } from '../src/main/services/config/schema';
import type { ConfigStateLike } from '../src/main/services/engine/config';
import { Engine } from '../src/main/services/engine/engine';
import { replay } from '../src/main/services/replay';
import { openDb } from '../src/main/services/store/db';
import { book, fmt, median, timeIt, type BenchSection } from './lib';

const N = 10_000;
const DAYS = 250;

export const section: BenchSection = {
  name: 'replay',
  async run({ quick, tmpDir, log }) {
    const cfg = RiskConfigSchema.parse({
      account: { equity: 5_000_000_000 },
      buckets: { LT: { band_drift: { tolerance_days: 0, max_intents_per_cycle: 3, max_open_intents: 5 } } },
    });
    // the baseline: one warm evaluation over the same book, as bench/engine.ts measures band_eval_10k_ms
    const evalFile = join(tmpDir, 'eval.sqlite');
    const edb = openDb(evalFile);
    let bandEval: number;
    try {
      book(edb);
      const state: ConfigStateLike = { config: cfg, valid: true, messages: [], file: null };
      let now = Date.UTC(2024, 0, 8, 15);
      const engine = new Engine({ db: edb, config: () => state, actor: 'bench', now: () => now, timezone: 'America/New_York' });
      for (let i = 0; i < 5; i++) engine.evaluate((now += 1000));
      const clear = edb.prepare("UPDATE intents SET status = 'REJECTED' WHERE status = 'PENDING'");
      const ms: number[] = [];
      for (let i = 0; i < (quick ? 20 : 100); i++) {
        clear.run();
        ms.push(timeIt(() => engine.evaluate((now += 1000))).ms);
      }
      bandEval = median(ms);
    } finally {
      edb.close();
    }

    const file = join(tmpDir, 'replay.sqlite');
    const db = openDb(file);
    try {
      book(db);
    } finally {
      db.close();
    }
    const from = '2024-01-02';
    const to = shiftTradingDays(from, DAYS - 1, accountCalendar('America/New_York', cfg.account));
    const runs = quick ? 1 : 3;
    const ms: number[] = [];
    let totals = '';
    for (let i = 0; i < runs; i++) {
      const r = timeIt(() => replay(file, cfg, { from, to, seed: 7 }));
      ms.push(r.ms);
      const t = r.value.totals;
      totals = `${t.trading_days} days, ${t.intents} intents, ${t.fills} fills, ${t.days_out_of_band} out of band`;
    }
    const replayMs = median(ms);
    const baseline = bandEval * DAYS;
    log(`  replay ${from}..${to} over ${fmt(N)} positions: median ${fmt(replayMs)} ms (${totals})`);
    return {
      figures: {
        replay_250d_10k_ms: Math.round(replayMs),
        replay_250d_10k_baseline_ms: Math.round(baseline),
      },
      rows: [
        ['replay_250d_10k_ms', fmt(replayMs), `median of ${runs}; target <= 5,000 ms; ${totals}`],
        ['  baseline: band_eval_10k_ms x 250', fmt(baseline), `band_eval_10k_ms ${fmt(bandEval, 2)}; ratio ${(replayMs / baseline).toFixed(1)}x`],
      ],
    };
  },
};
