import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_BOOK } from '../../src/main/services/demo';
import { bandctl } from '../support/bandctl';
import { tempDir } from '../support/tmp';

describe('bandctl spine', () => {
  it('--help lists the commands and exits 0', () => {
    const r = bandctl(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/init --db F \[--demo \[--no-history\]\] \[--config C\]/);
    expect(r.stdout).toMatch(/check-config C/);
  });

  it('no command is a usage error (exit 2)', () => {
    expect(bandctl([]).code).toBe(2);
  });

  it('an unknown command or option is one clear stderr line, exit 2', () => {
    const r = bandctl(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("bandctl: unknown command 'frobnicate'; see bandctl --help\n");
    const r2 = bandctl(['init', '--db', join(tempDir().dir, 'x.db'), '--bogus']);
    expect(r2.code).toBe(2);
    expect(r2.stderr.trim().split('\n')).toHaveLength(1);
    expect(r2.stderr).toMatch(/--bogus/);
    const r3 = bandctl(['init']);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/--db is required/);
  });

  it('init --demo creates a migrated database with the demo book; running it again is harmless', () => {
    const file = join(tempDir().dir, 'demo.db');
    const first = bandctl(['init', '--db', file, '--demo']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ demo_loaded: true });
    const snapshot = () => {
      const db = new Database(file, { readonly: true });
      const rows = db.prepare('SELECT bucket, symbol, qty, cost_micro FROM positions ORDER BY bucket, symbol').all();
      const ticks = db.prepare('SELECT symbol, price_micro FROM ticks ORDER BY symbol').all();
      db.close();
      return { rows, ticks };
    };
    const before = snapshot();
    expect(before.rows).toHaveLength(DEMO_BOOK.length);
    const buckets = new Set((before.rows as { bucket: string }[]).map((r) => r.bucket));
    expect(buckets).toEqual(new Set(['LT', 'MM']));
    // every symbol has a tick
    expect((before.ticks as unknown[]).length).toBe(new Set(DEMO_BOOK.map((p) => p.symbol)).size);

    // the LT bucket is out of band (long above 70%)
    let long = 0;
    let short = 0;
    for (const p of DEMO_BOOK.filter((x) => x.bucket === 'LT')) {
      if (p.qty > 0) long += p.qty * p.tick;
      else short += -p.qty * p.tick;
    }
    expect((100 * long) / (long + short)).toBeGreaterThan(70);

    const again = bandctl(['init', '--db', file, '--demo']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ demo_loaded: false });
    expect(snapshot()).toEqual(before);
  });
});
