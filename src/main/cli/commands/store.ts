// store commands: backup (SQLite's online backup into backups/ beside the database, the last 7 kept) and restore
// (from the newest backup, or --from B; the file replaced is kept aside, never deleted).
import { existsSync } from 'node:fs';
import {
  BackupError,
  backupNow,
  describeCorruption,
  KEEP_BACKUPS,
  latestBackup,
  restoreBackup,
} from '../../services/store/backup';
import { openDb, StoreError, type Db } from '../../services/store/db';
import { optionalString, requireString, UsageError, type Command } from '../framework';

const backup: Command = {
  name: 'backup',
  usage: 'backup --db F',
  summary: `back up the database now (SQLite online backup) into backups/ beside it; the last ${KEEP_BACKUPS} are kept`,
  options: { db: { type: 'string' } },
  async run({ values, io }) {
    const file = requireString(values, 'db', this.usage);
    if (!existsSync(file)) throw new UsageError(`database ${file} does not exist`);
    let db: Db;
    try {
      db = openDb(file, { migrate: false });
    } catch (e) {
      // A damaged database is not backed up over its good backups: say so, and offer the restore.
      if (e instanceof StoreError && e.code === 'CORRUPT') throw new UsageError(describeCorruption(file, e));
      throw e;
    }
    try {
      const r = await backupNow(db, file);
      io.out(
        `${JSON.stringify({ db: file, backup: r.file, taken_at: new Date(r.takenAt).toISOString(), bytes: r.bytes, pruned: r.pruned })}\n`,
      );
    } catch (e) {
      if (e instanceof BackupError) throw new UsageError(e.message);
      throw e;
    } finally {
      db.close();
    }
    return 0;
  },
};

const restore: Command = {
  name: 'restore',
  usage: 'restore --db F [--from B]',
  summary: 'replace the database with its newest backup (or B), verified first; the replaced file is kept aside (close the app first)',
  options: { db: { type: 'string' }, from: { type: 'string' } },
  run({ values, io }) {
    const file = requireString(values, 'db', this.usage);
    const from = optionalString(values, 'from');
    if (from !== undefined && !existsSync(from)) throw new UsageError(`backup ${from} does not exist`);
    if (from === undefined && !latestBackup(file)) {
      throw new UsageError(`no backup of ${file} found; name one with --from B`);
    }
    let r;
    try {
      r = restoreBackup(file, from);
    } catch (e) {
      if (e instanceof BackupError) throw new UsageError(e.message);
      throw e;
    }
    io.out(
      `${JSON.stringify({
        db: r.restored,
        restored_from: r.from,
        backup_taken_at: new Date(r.backupTakenAt).toISOString(),
        kept_aside: r.keptAs,
        replaced_was_corrupt: r.replacedWasCorrupt,
      })}\n`,
    );
    return 0;
  },
};

export const commands: Command[] = [backup, restore];
