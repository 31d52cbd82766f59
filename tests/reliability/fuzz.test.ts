// The ingest fuzzer, fast (5,000 mutations): nothing crashes, every event is applied or quarantined, the counts add
// up, positions equal an independent recomputation. `npm run soak` runs 100,000.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LedgerConsumer } from '../../src/main/services/ledger/consumer';
import { appendEvents } from '../../src/main/services/ledger/log';
import { openDb } from '../../src/main/services/store/db';
import { checkFuzz, generateLines, mutationCount, runFuzz } from '../../soak/fuzz';
import { bandctl } from '../support/bandctl';
import { tempDir } from '../support/tmp';

const FILL = {
  event_id: 'e-1',
  order_id: 'o-1',
  ts: '2024-01-15T14:31:02.123-05:00',
  symbol: 'AAPL',
  classification: 'LT_LONG_INCREASE',
  side: 'BUY',
  event_type: 'FILL',
  fill_qty: 100,
  fill_price: 150.25,
};

describe('ingest fuzzer', () => {
  it('5,000 mutations into the ingest path: no crash, all accounted for, positions equal the recomputation', () => {
    const db = openDb(join(tempDir().dir, 'fuzz.db'));
    try {
      const lines = generateLines(5_000, 20261125, { objects: true });
      expect(mutationCount(lines)).toBeGreaterThanOrEqual(5_000);
      const r = runFuzz(db, lines, { chunk: 1_500 });
      expect(r.violations).toEqual([]);
      expect(r.applied + r.quarantined + r.duplicates).toBe(r.lines);
      // The mix really exercises all three outcomes.
      expect(r.applied).toBeGreaterThan(500);
      expect(r.quarantined).toBeGreaterThan(1_000);
      expect(r.duplicates).toBeGreaterThan(100);
      expect(Object.keys(r.byMutation).length).toBeGreaterThan(35);
    } finally {
      db.close();
    }
  });

  it('the checker is not blind: a fill applied behind its back is caught', () => {
    const db = openDb(join(tempDir().dir, 'fuzz-blind.db'));
    try {
      // (lone-surrogate ids left out: this test is about the checker, not that ledger case)
      const lines = generateLines(300, 7).filter((l) => typeof l.payload !== 'string' || !/\\ud[89a-f]/i.test(l.payload));
      const r = runFuzz(db, lines);
      expect(r.violations).toEqual([]);
      db.prepare('UPDATE positions SET qty = qty + 1 WHERE (bucket, symbol) IN (SELECT bucket, symbol FROM positions LIMIT 1)').run();
      const again = checkFuzz(db, lines, { accepted: r.applied, duplicates: r.duplicates, rejected: r.quarantined });
      expect(again.violations.join('\n')).toMatch(/position .*: ledger qty/);
    } finally {
      db.close();
    }
  });

  it('a redelivered fill whose event_id holds a lone surrogate is not applied twice', () => {
    const db = openDb(join(tempDir().dir, 'surrogate.db'));
    try {
      const c = new LedgerConsumer(db, { timezone: 'America/New_York' });
      const line = JSON.stringify({ ...FILL, event_id: '\ud800e-1' });
      // Redelivered later (another batch, as after a reconnect), and twice in one batch.
      const counts = { accepted: 0, duplicates: 0, rejected: 0 };
      for (const batch of [[line], [line], [line, line]]) {
        appendEvents(db, batch, 'test');
        const r = c.runToEnd();
        counts.accepted += r.accepted;
        counts.duplicates += r.duplicates;
        counts.rejected += r.rejected;
      }
      // Applied once (or refused as a whole, which the spec (docs/spec.md) also allows): never twice.
      expect(counts.accepted).toBeLessThanOrEqual(1);
      expect(counts.accepted + counts.duplicates + counts.rejected).toBe(4);
      expect((db.prepare('SELECT qty FROM positions').pluck().get() as number | undefined) ?? 0).toBeLessThanOrEqual(100);
    } finally {
      db.close();
    }
  });

  it('an event object that cannot be serialized is quarantined with its content, never thrown', () => {
    const db = openDb(join(tempDir().dir, 'objects.db'));
    try {
      const c = new LedgerConsumer(db, { timezone: 'America/New_York' });
      const circular: Record<string, unknown> = { ...FILL, event_id: 'e-circ', fill_qty: -1 };
      circular.self = circular;
      const big = { ...FILL, event_id: 'e-big', fill_qty: 10n, toString: 'x' };
      const counts = c.applyBatch([circular, big], 'bridge');
      expect(counts).toEqual({ accepted: 0, duplicates: 0, rejected: 2 });
      const raws = db.prepare('SELECT raw FROM ledger_quarantine ORDER BY id').pluck().all() as string[];
      expect(raws[0]).toContain('e-circ');
      expect(raws[1]).toContain('e-big');
    } finally {
      db.close();
    }
  });

  it('bandctl ingest (the real CLI) on a fuzzed JSONL file: same guarantees', () => {
    const { dir } = tempDir();
    const file = join(dir, 'cli.db');
    const lines = generateLines(2_000, 99, { fileSafe: true }).filter((l) => typeof l.payload === 'string' && l.payload.trim() !== '');
    const jsonl = join(dir, 'fuzz.jsonl');
    writeFileSync(jsonl, `${lines.map((l) => l.payload as string).join('\n')}\n`);
    expect(bandctl(['init', '--db', file]).code).toBe(0);
    const r = bandctl(['ingest', '--db', file, jsonl]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const counts = JSON.parse(r.stdout) as { accepted: number; duplicates: number; rejected: number };
    expect(counts.accepted + counts.duplicates + counts.rejected).toBe(lines.length);
    const db = openDb(file);
    try {
      expect(checkFuzz(db, lines, counts).violations).toEqual([]);
    } finally {
      db.close();
    }
  });
});
