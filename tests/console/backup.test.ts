// The console takes the automatic daily backup a damaged book is restored from.
import { describe, expect, it } from 'vitest';
import { latestBackup } from '../../src/main/services/store/backup';
import { correctingFixture } from './helpers';

describe('createServices', () => {
  it('takes the daily backup at start, and it holds the book', async () => {
    const fx = await correctingFixture({ evaluate: false });
    try {
      await fx.services.close(); // waits for a backup in flight
      const b = latestBackup(fx.dbFile);
      expect(b, 'a backup beside the database').not.toBeNull();
      const Database = (await import('better-sqlite3')).default;
      const copy = new Database(b!.file, { readonly: true });
      expect(copy.prepare('SELECT count(*) AS n FROM positions').get()).toEqual({ n: 14 });
      copy.close();
    } finally {
      await fx.cleanup();
    }
  });
});
