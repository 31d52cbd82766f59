// The safety rules through the real bandctl (a subprocess) and the console's services: one time zone per book,
// `bandctl cancel`, and a console started on an invalid config.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/main/api/create';
import { bandctl, bandctlOk } from '../support/bandctl';
import { tempDir } from '../support/tmp';
import { SHIPPED_CONFIG } from '../support/config';

const CFG = SHIPPED_CONFIG;
let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('engine-safety-cli-');
});
afterAll(() => {
  tmp.cleanup();
});

function configIn(zone: string, name: string, edit: (y: string) => string = (y) => y): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, edit(readFileSync(CFG, 'utf8').replace('timezone: America/New_York', `timezone: ${zone}`)));
  return file;
}

const fill = (id: string, ts: string) =>
  `${JSON.stringify({ event_id: id, order_id: `o-${id}`, ts, symbol: 'AAPL', classification: 'LT_LONG_INCREASE', side: 'BUY', event_type: 'FILL', fill_qty: 10, fill_price: 100 })}\n`;

describe('one time zone per book', () => {
  it('init stores the zone; every process dates fills in it; one configured with another zone is refused (exit 2, one line)', () => {
    const db = join(tmp.dir, 'london.db');
    const london = configIn('Europe/London', 'london.yaml');
    expect(JSON.parse(bandctlOk(['init', '--db', db, '--config', london]))).toMatchObject({ timezone: 'Europe/London' });
    // 00:30 in London on the 16th is 19:30 in New York on the 15th: the book's zone decides the trading date
    expect(JSON.parse(bandctlOk(['ingest', '--db', db, '-'], fill('f1', '2024-01-16T00:30:00Z')))).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
    expect(JSON.parse(bandctlOk(['report', '--db', db, '--date', '2024-01-16', '--format', 'json'])).totals.total_count_fills).toBe(1);
    expect(JSON.parse(bandctlOk(['report', '--db', db, '--date', '2024-01-15', '--format', 'json'])).totals.total_count_fills).toBe(0);

    const ny = configIn('America/New_York', 'ny.yaml');
    for (const args of [
      ['ingest', '--db', db, '--config', ny, '-'],
      ['evaluate', '--db', db, '--config', ny],
      ['approve', '--db', db, '--config', ny, 'i-x'],
    ]) {
      const r = bandctl(args, fill('f2', '2024-01-16T00:31:00Z'));
      expect(r.code, args[0]).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toEqual([
        `bandctl: database ${db} keeps its book in account time zone Europe/London, but --config ${ny} says America/New_York: one book has one time zone (it dates every fill, trading day and expiry); set account.timezone: Europe/London or use another database`,
      ]);
    }
    // nothing of the refused ingest was applied
    expect(JSON.parse(bandctlOk(['report', '--db', db, '--date', '2024-01-16', '--format', 'json'])).totals.total_count_fills).toBe(1);
  });

  it('a book from before the rule takes the zone of the first process that opens it', () => {
    const db = join(tmp.dir, 'old.db');
    bandctlOk(['init', '--db', db]);
    const raw = new Database(db);
    raw.prepare("DELETE FROM app_state WHERE key = 'account.timezone'").run(); // as a book from an earlier version
    raw.close();
    bandctlOk(['ingest', '--db', db, '--config', configIn('Europe/London', 'first.yaml'), '-'], fill('g1', '2024-01-16T00:30:00Z'));
    expect(JSON.parse(bandctlOk(['init', '--db', db]))).toMatchObject({ timezone: 'Europe/London' });
  });

  it('the console on a config of another zone: suspended, with the reason, approvals refused; never a crash', async () => {
    const db = join(tmp.dir, 'console.db');
    bandctlOk(['init', '--db', db, '--demo', '--no-history']);
    const cfg = configIn('Asia/Tokyo', 'tokyo.yaml');
    const s = await createServices(db, cfg, { cycles: false, prices: 'static', watchMs: 0, ledgerWorkerFile: null, backups: false });
    try {
      const st = s.engine.status();
      expect(st.timezone).toBe('America/New_York');
      expect(st.status).toBe('SUSPENDED');
      expect(st.config).toMatchObject({ valid: false, in_force: 'none' });
      expect(st.config.messages[0]).toMatch(/^account\.timezone: database .* keeps its book in account time zone America\/New_York, but .*tokyo\.yaml says Asia\/Tokyo/);
    } finally {
      await s.close();
    }
  });
});

describe('bandctl cancel', () => {
  it('cancels working orders by id or --all, with the reason in the audit; a PENDING one is for reject', () => {
    const db = join(tmp.dir, 'cancel.db');
    const cfg = join(tmp.dir, 'fast.yaml');
    copyFileSync(CFG, cfg);
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('tolerance_days: 2', 'tolerance_days: 0'));
    bandctlOk(['init', '--db', db, '--demo', '--no-history', '--config', cfg]);
    const ev = JSON.parse(bandctlOk(['evaluate', '--db', db, '--config', cfg, '--as-of', '2024-01-10T10:00:00-05:00', '--json']));
    const [a, b, c] = ev.intents.map((i: { id: string }) => i.id);
    bandctlOk(['approve', '--db', db, '--as-of', '2024-01-10T10:01:00-05:00', a, b]);
    const r = bandctl(['cancel', '--db', db, '--as-of', '2024-01-10T10:02:00-05:00', '--reason', 'price moved', a, c]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(new RegExp(`^${a}: CANCELED - canceled by \\S+: price moved; filled 0 of \\d+\\n$`));
    expect(r.stderr).toBe(`bandctl: ${c}: intent ${c} is PENDING: no order to cancel (reject it instead)\n`);
    expect(bandctlOk(['cancel', '--db', db, '--as-of', '2024-01-10T10:03:00-05:00', '--all'])).toMatch(new RegExp(`^${b}: CANCELED - canceled by \\S+: canceled by trader; filled 0 of \\d+\\n$`));
    expect(bandctlOk(['cancel', '--db', db, '--as-of', '2024-01-10T10:04:00-05:00', '--all'])).toBe('no working orders\n');
    // the audit trail through the CLI
    const trail = JSON.parse(bandctlOk(['audit', '--db', db, a, '--json'])) as { from: string | null; to: string; reason: string }[];
    expect(trail.map((t) => [t.from, t.to])).toEqual([
      [null, 'PENDING'],
      ['PENDING', 'APPROVED'],
      ['APPROVED', 'WORKING'],
      ['WORKING', 'CANCELED'],
    ]);
    expect(trail[3].reason).toMatch(/: price moved; filled 0 of \d+$/);
    expect(bandctlOk(['audit', '--db', db, a])).toMatch(/^2024-01-10T15:00:00\.000Z {2}i-\S+ {2}- -> PENDING {2}engine {2}LT long/);
    const usage = bandctl(['cancel', '--db', db]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^bandctl: give the intent ids to cancel, or --all; usage: bandctl cancel /);
    const both = bandctl(['cancel', '--db', db, '--all', a]);
    expect(both.stderr).toBe('bandctl: give intent ids or --all, not both\n');
  });
});
