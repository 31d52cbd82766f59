// The database a read or maintenance command works on must exist already: a mistyped --db is an error with the fix,
// never a new empty book.
import { existsSync } from 'node:fs';
import { openDb, type Db } from '../services/store/db';
import { UsageError } from './framework';

export function openExisting(file: string): Db {
  if (file !== ':memory:' && !existsSync(file)) {
    throw new UsageError(`database ${file} does not exist (create it with: bandctl init --db ${file})`);
  }
  return openDb(file);
}
