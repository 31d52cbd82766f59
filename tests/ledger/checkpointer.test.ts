// The WAL checkpointer thread of a bulk load (services/store/checkpointer.ts): after the writer's commits it copies
// the WAL into the database on its own connection, so the writer's next transaction starts the WAL over.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WalCheckpointer } from '../../src/main/services/store/checkpointer';
import { openDb } from '../../src/main/services/store/db';
import { tempDir } from '../support/tmp';

describe('WalCheckpointer', () => {
  it('copies what was committed; the WAL then restarts instead of growing', async () => {
    const t = tempDir('ckpt-');
    const file = join(t.dir, 'book.db');
    const db = openDb(file);
    db.pragma('wal_autocheckpoint = 0'); // only the thread checkpoints
    db.exec('CREATE TABLE IF NOT EXISTS blob_test (b BLOB)');
    const write = () => db.transaction(() => {
      const ins = db.prepare('INSERT INTO blob_test VALUES (randomblob(4000))');
      for (let i = 0; i < 500; i++) ins.run();
    })();
    const cp = WalCheckpointer.start(file);
    expect(cp).not.toBeNull();
    write();
    const walAfterOne = statSync(`${file}-wal`).size;
    cp!.committed();
    const s = await cp!.stop();
    expect(s).toEqual({ checkpoints: 1, error: null });
    // all of it was copied: the next transaction writes the WAL from its start, so it does not grow
    write();
    expect(statSync(`${file}-wal`).size).toBe(walAfterOne);
    expect(db.prepare('SELECT COUNT(*) FROM blob_test').pluck().get()).toBe(1_000);
    db.close();
    t.cleanup();
  });

  it('starts only for a database file', () => {
    expect(WalCheckpointer.start(':memory:')).toBeNull();
    expect(WalCheckpointer.start('/nonexistent/book.db')).toBeNull();
  });

  it('a file it cannot open: stops with the error, nothing else', async () => {
    const t = tempDir('ckpt-');
    const file = join(t.dir, 'not-a-db');
    writeFileSync(file, 'x'.repeat(200));
    const cp = WalCheckpointer.start(file);
    cp!.committed();
    const s = await cp!.stop();
    expect(s.checkpoints).toBe(0);
    expect(s.error).toMatch(/not a database/);
    t.cleanup();
  });
});
