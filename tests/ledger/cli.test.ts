// The ledger commands through the real CLI subprocess: byte-exact report formats against hand-written fixtures,
// counts, exit codes 0/2/1 and one-line errors on stderr.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/main/services/store/db';
import { jsonText, reportBundle, reportCsv } from '../../src/main/services/reports';
import { bandctl } from '../support/bandctl';
import { ROOT } from '../support/paths';
import { tempDir } from '../support/tmp';

const FIX = join(ROOT, 'tests', 'fixtures', 'ledger');
const fixture = (name: string) => readFileSync(join(FIX, name), 'utf8');

describe('bandctl ledger commands', () => {
  const t = tempDir('ledger-cli-');
  const db = join(t.dir, 'band.db');
  afterAll(() => t.cleanup());

  beforeAll(() => {
    expect(bandctl(['init', '--db', db]).code).toBe(0);
  });

  it('ingest prints the counts; a second ingest counts every event as a duplicate', () => {
    const file = join(FIX, 'events_2024-01-15.jsonl');
    const r = bandctl(['ingest', '--db', db, file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"accepted":10,"duplicates":1,"rejected":1}\n');
    const again = bandctl(['ingest', '--db', db, file]);
    expect(again.stdout).toBe('{"accepted":0,"duplicates":12,"rejected":0}\n');
  });

  it('reports match the hand-written fixtures byte for byte (text, json, csv)', () => {
    expect(bandctl(['report', '--db', db, '--date', '2024-01-15']).stdout).toBe(fixture('eod_report_2024-01-15.txt'));
    expect(bandctl(['report', '--db', db, '--date', '2024-01-15', '--format', 'json']).stdout).toBe(
      fixture('eod_report_2024-01-15.json'),
    );
    const out = join(t.dir, 'r.csv');
    const r = bandctl(['report', '--db', db, '--date', '2024-01-15', '--format', 'csv', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(fixture('eod_report_2024-01-15.csv'));
  });

  it('a day without fills is a valid report with zero totals (same service the CLI prints)', () => {
    const d = openDb(db);
    try {
      const b = reportBundle(d, '2024-01-13');
      expect(b.text).toBe(fixture('eod_report_2024-01-13.txt'));
      expect(jsonText(b.json)).toBe(fixture('eod_report_2024-01-13.json'));
      expect(b.csv).toBe(fixture('eod_report_2024-01-13.csv'));
      expect(reportCsv(d, '2024-01-15')).toBe(fixture('eod_report_2024-01-15.csv'));
    } finally {
      d.close();
    }
  });

  it('the trading date follows --config account.timezone', () => {
    const db2 = join(t.dir, 'tokyo.db');
    const cfg = join(t.dir, 'tokyo.yaml');
    writeFileSync(cfg, 'account:\n  timezone: Asia/Tokyo\n');
    const ev = '{"event_id":"z1","order_id":"o","ts":"2024-01-15T16:00:00Z","symbol":"AAPL","classification":"LT_LONG_INCREASE","side":"BUY","event_type":"FILL","fill_qty":3,"fill_price":10}\n';
    expect(bandctl(['ingest', '--db', db2, '--config', cfg, '-'], ev).stdout).toBe(
      '{"accepted":1,"duplicates":0,"rejected":0}\n',
    );
    const j = JSON.parse(bandctl(['report', '--db', db2, '--date', '2024-01-16', '--format', 'json']).stdout);
    expect(j.totals.total_filled_qty).toBe(3); // 01:00 on the 16th in Tokyo
  });

  it('import-positions and positions --json', () => {
    const db3 = join(t.dir, 'book.db');
    const csv = join(t.dir, 'book.csv');
    writeFileSync(csv, 'bucket,symbol,qty,avg_cost\nLT,AAPL,100,150.5\nLT,TSLA,-20,250\n');
    const r = bandctl(['import-positions', '--db', db3, csv]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"imported":2}\n');
    const d = new Database(db3);
    d.prepare("INSERT INTO ticks (symbol, price_micro, ts, source) VALUES ('AAPL', 160000000, 0, 't')").run();
    d.close();
    const p = bandctl(['positions', '--db', db3, '--json']);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout)).toEqual([
      { bucket: 'LT', symbol: 'AAPL', qty: 100, avg_cost: 150.5, tick: 160, unrealized_pnl: 950 },
      { bucket: 'LT', symbol: 'TSLA', qty: -20, avg_cost: 250, tick: null, unrealized_pnl: null },
    ]);
    const text = bandctl(['positions', '--db', db3]);
    expect(text.stdout).toContain('AAPL');
    expect(text.stdout).toContain('950.00');
  });

  it('import-positions with bad lines: exit 2, one stderr line naming each line, nothing applied', () => {
    const db4 = join(t.dir, 'bad.db');
    const csv = join(t.dir, 'bad.csv');
    writeFileSync(csv, 'bucket,symbol,qty,avg_cost\nLT,AAPL,100,150\nXX,MSFT,10,1\nLT,aapl,1.5,-3\n');
    const r = bandctl(['import-positions', '--db', db4, csv]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('line 3: bucket must be LT or MM');
    expect(r.stderr).toContain('line 4: symbol must be');
    expect(r.stderr).toContain('qty must be a whole number');
    expect(r.stderr).toContain('avg_cost must be a number');
    expect(JSON.parse(bandctl(['positions', '--db', db4, '--json']).stdout)).toEqual([]);
  });

  it('bad input and usage exit 2 with one line on stderr', () => {
    const cases: [string[], string][] = [
      [['report', '--db', db, '--date', '2024-02-30'], '--date must be a calendar date'],
      [['report', '--db', join(t.dir, 'nope.db'), '--date', '2024-01-15'], 'does not exist'],
      [['ingest', '--db', db, join(t.dir, 'missing.jsonl')], 'cannot read'],
      [['ingest', '--db', db, '--bogus', 'x.jsonl'], 'Unknown option'],
      [['ingest', '--db', db, '--config', join(t.dir, 'nocfg.yaml'), '-'], 'config'],
    ];
    for (const [args, msg] of cases) {
      const r = bandctl(args, '');
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toContain(msg);
    }
  });

  it('an internal failure exits 1', () => {
    const broken = join(t.dir, 'broken.db');
    expect(bandctl(['init', '--db', broken]).code).toBe(0);
    const d = new Database(broken);
    d.exec('DROP TABLE daily_agg');
    d.close();
    const r = bandctl(['report', '--db', broken, '--date', '2024-01-15']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bandctl: internal error: .*daily_agg/);
  });
});
