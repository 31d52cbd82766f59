export interface Migration {
  /** Strictly increasing, never reused. */
  version: number;
  name: string;
  /** SQL applied in one transaction. */
  up: string;
  /**
   * Rebuilds a table that others reference (SQLite's "12-step" ALTER procedure): foreign keys are switched off
   * around the transaction (the pragma is a no-op inside one) and `PRAGMA foreign_key_check` must find nothing
   * before it commits.
   */
  rebuild?: boolean;
}
