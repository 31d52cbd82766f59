// The engine section of npm run bench (docs/spec.md §13): band_eval_10k_ms — one evaluation (band math, episode,
// candidates, sizing, cap, intents, history and cycle rows) over 10,000 LT positions, beside the raw SELECT of
// the same positions and ticks; approve_batch_1k_ms — one batch approval of 1,000 intents (audit, orders at the
// paper broker, NEW + ACK events in the ledger's log), beside the same rows written raw.
import { join } from 'node:path';
import { Engine } from '../src/main/services/engine/engine';
import { RiskConfigSchema } from '../src/main/services/config/schema';
import { openDb } from '../src/main/services/store/db';
import type { ConfigStateLike } from '../src/main/services/engine/config';
import { book, fmt, median, timeIt, type BenchSection } from './lib';

const N = 10_000;

export const section: BenchSection = {
  name: 'engine',
  async run({ quick, tmpDir, log }) {
    const db = openDb(join(tmpDir, 'engine.sqlite'));
    try {
      book(db);
      const cfg = RiskConfigSchema.parse({
        account: { equity: 5_000_000_000 },
        buckets: { LT: { band_drift: { tolerance_days: 0, max_intents_per_cycle: 3, max_open_intents: 5 } } },
      });
      const state: ConfigStateLike = { config: cfg, valid: true, messages: [], file: null };
      let now = Date.UTC(2024, 0, 8, 15);
      const engine = new Engine({ db, config: () => state, actor: 'bench', now: () => now });
      const reps = quick ? 20 : 100;
      // warm up (statements, JIT)
      for (let i = 0; i < 5; i++) engine.evaluate((now += 1000));
      const clear = db.prepare("UPDATE intents SET status = 'REJECTED' WHERE status = 'PENDING'");
      const selPos = db.prepare('SELECT bucket, symbol, qty, cost_micro FROM positions WHERE qty != 0').raw();
      const selTicks = db.prepare('SELECT symbol, price_micro FROM ticks').raw();
      const evalMs: number[] = [];
      const rawMs: number[] = [];
      let created = 0;
      for (let i = 0; i < reps; i++) {
        clear.run(); // every timed evaluation is CORRECTING with room: it ranks all candidates and creates 3
        const e = timeIt(() => engine.evaluate((now += 1000)));
        evalMs.push(e.ms);
        created += e.value.intents.length;
        rawMs.push(timeIt(() => [selPos.all().length, selTicks.all().length]).ms);
      }
      // cold: the in-memory book and ticks dropped before each evaluation (as after a fill or a tick)
      const coldMs: number[] = [];
      for (let i = 0; i < reps; i++) {
        clear.run();
        engine.invalidate();
        coldMs.push(timeIt(() => engine.evaluate((now += 1000))).ms);
      }
      const bandEval = median(evalMs);
      const bandCold = median(coldMs);
      const rawSel = median(rawMs);
      log(`  band eval over ${fmt(N)} LT positions: median ${bandEval.toFixed(2)} ms (${created / reps} intents each)`);

      // 1,000 PENDING intents, approved in one batch
      const big: ConfigStateLike = {
        ...state,
        config: RiskConfigSchema.parse({
          account: { equity: 5_000_000_000 },
          buckets: { LT: { band_drift: { tolerance_days: 0, max_intents_per_cycle: 1000, max_open_intents: 1000 } } },
        }),
      };
      const batchMs: number[] = [];
      const baseMs: number[] = [];
      const rounds = quick ? 2 : 5;
      for (let r = 0; r < rounds; r++) {
        db.prepare("UPDATE intents SET status = 'REJECTED' WHERE status IN ('PENDING','APPROVED','WORKING')").run();
        db.prepare("UPDATE paper_orders SET status = 'CANCELED' WHERE status = 'WORKING'").run();
        const e2 = new Engine({ db, config: () => big, actor: 'bench', now: () => now });
        const ids = e2.evaluate((now += 1000)).intents.map((i) => i.id);
        if (ids.length !== 1000) throw new Error(`expected 1000 intents, got ${ids.length}`);
        const t = timeIt(() => e2.approve(ids, 'bench', now));
        if (!t.value.every((o) => o.ok && o.status === 'WORKING')) throw new Error('approve batch failed');
        batchMs.push(t.ms);
        // baseline: the same row writes, raw, in one transaction
        const upd = db.prepare('UPDATE intents SET updated_at = ? WHERE id = ?');
        const aud = db.prepare(
          "INSERT INTO intent_audit (intent_id, from_status, to_status, actor, at, reason) VALUES (?, 'WORKING', 'WORKING', 'bench', ?, 'baseline')",
        );
        const ord = db.prepare('UPDATE paper_orders SET updated_at = ? WHERE intent_id = ?');
        const ev = db.prepare("INSERT INTO event_log (source, raw, at) VALUES ('bench-baseline', ?, ?)");
        baseMs.push(
          timeIt(() =>
            db.transaction(() => {
              for (const id of ids) {
                upd.run(now, id);
                upd.run(now, id);
                aud.run(id, now);
                aud.run(id, now);
                ord.run(now, id);
                ev.run(`{"event_id":"b-${id}-1"}`, now);
                ev.run(`{"event_id":"b-${id}-2"}`, now);
              }
            })(),
          ).ms,
        );
      }
      const approve = median(batchMs);
      const approveBase = median(baseMs);
      return {
        figures: {
          band_eval_10k_ms: Math.round(bandEval * 100) / 100,
          band_eval_10k_cold_ms: Math.round(bandCold * 100) / 100,
          band_eval_10k_raw_select_ms: Math.round(rawSel * 100) / 100,
          approve_batch_1k_ms: Math.round(approve * 10) / 10,
          approve_batch_1k_raw_writes_ms: Math.round(approveBase * 10) / 10,
        },
        rows: [
          ['band_eval_10k_ms', fmt(bandEval, 2), `median of ${reps}; target <= 5 ms; CORRECTING, ranks 10k candidates`],
          ['  cold (book and ticks re-read)', fmt(bandCold, 2), 'after a fill or a tick moved'],
          ['  baseline: raw SELECT positions+ticks', fmt(rawSel, 2), `ratio ${(bandEval / rawSel).toFixed(1)}x`],
          ['approve_batch_1k_ms', fmt(approve, 1), `median of ${rounds}; 1,000 intents -> WORKING, NEW+ACK events`],
          ['  baseline: same rows written raw', fmt(approveBase, 1), `ratio ${(approve / approveBase).toFixed(1)}x`],
        ],
      };
    } finally {
      db.close();
    }
  },
};
