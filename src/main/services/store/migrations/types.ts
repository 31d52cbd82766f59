export interface Migration {
  /** Strictly increasing, never reused. */
  version: number;
  name: string;
  /** SQL applied in one transaction. */
  up: string;
}
