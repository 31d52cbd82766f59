// Spine commands: init, check-config.
import { formatConfigError, loadConfigFile } from '../../services/config/load';
import { accountCalendar, type CalendarSettings } from '../../../shared/calendar';
import { loadDemoBook } from '../../services/demo';
import { appliedVersions, openDb } from '../../services/store/db';
import { bookZone } from '../../services/store/book-zone';
import { formatBackupTime, latestBackup } from '../../services/store/backup';
import { checkIntegrity } from '../../services/store/integrity';
import { existsSync } from 'node:fs';
import { optionalString, requireString, UsageError, type Command } from '../framework';
import { now } from '../../services/clock';
import { accountHours } from '../../../shared/session';

const init: Command = {
  name: 'init',
  usage: 'init --db F [--demo [--no-history]] [--config C]',
  summary:
    "create or migrate the database; --demo loads the demo book with a short history up to today (--no-history: the book only); the book keeps --config's account time zone",
  options: { db: { type: 'string' }, demo: { type: 'boolean' }, 'no-history': { type: 'boolean' }, config: { type: 'string' } },
  run({ values, io }) {
    const file = requireString(values, 'db', this.usage);
    const configFile = optionalString(values, 'config');
    let zone: string | undefined;
    let account: CalendarSettings & { market_open?: string; market_close?: string } = { holidays: [] };
    if (configFile) {
      const r = loadConfigFile(configFile);
      if (!r.ok) throw new UsageError(`config ${configFile}: ${r.errors.map(formatConfigError).join('; ')}`);
      zone = r.config.account.timezone;
      account = r.config.account;
    }
    if (values['no-history'] && !values.demo) throw new UsageError('--no-history goes with --demo');
    const db = openDb(file);
    try {
      const timezone = bookZone(db, zone, `--config ${configFile}`);
      const demo = values.demo
        ? loadDemoBook(db, now(), { history: !values['no-history'], calendar: accountCalendar(timezone, account), hours: accountHours(account) })
        : false;
      const versions = appliedVersions(db);
      io.out(
        `${JSON.stringify({ db: file, schema_version: versions[versions.length - 1] ?? 0, demo_loaded: demo, timezone })}\n`,
      );
    } finally {
      db.close();
    }
    return 0;
  },
};

const checkConfig: Command = {
  name: 'check-config',
  usage: 'check-config C',
  summary: 'validate a risk_rules.yaml: the effective config as JSON, or every error with its path and line',
  options: {},
  positionals: [1, 1],
  run({ positionals, io }) {
    const r = loadConfigFile(positionals[0]);
    if (r.ok) {
      io.out(`${JSON.stringify(r.config, null, 2)}\n`);
      return 0;
    }
    for (const e of r.errors) io.err(`${formatConfigError(e)}\n`);
    return 2;
  },
};

const check: Command = {
  name: 'check',
  usage: 'check --db F [--full] [--json]',
  summary: "SQLite's integrity check of a book (quick_check; --full: integrity_check, also indexes); exit 2 when damaged",
  options: { db: { type: 'string' }, full: { type: 'boolean' }, json: { type: 'boolean' } },
  run({ values, io }) {
    const file = requireString(values, 'db', this.usage);
    if (!existsSync(file)) throw new UsageError(`database ${file} does not exist`);
    const r = checkIntegrity(file, { full: values.full === true });
    if (values.json) io.out(`${JSON.stringify({ db: file, ok: r.ok, check: `${r.kind}_check`, detail: r.detail, ms: Math.round(r.ms) })}\n`);
    else if (r.ok) io.out(`${file}: ok (${r.kind}_check, ${Math.round(r.ms)} ms)\n`);
    if (!r.ok) {
      const backup = latestBackup(file);
      const offer = backup ? `; a backup from ${formatBackupTime(backup.takenAt)} is available: bandctl restore --db '${file.replace(/'/g, `'\\''`)}'` : '; no backup of it was found';
      io.err(`bandctl: ${file} is damaged (${r.kind}_check: ${r.detail})${offer}\n`);
      return 2;
    }
    return 0;
  },
};

export const commands: Command[] = [init, checkConfig, check];
