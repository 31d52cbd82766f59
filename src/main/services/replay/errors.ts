// The replay's one error type (docs/spec.md §16): bad input, one line saying what and where (bandctl exit 2, IPC
// VALIDATION), or a replay its caller canceled between two days (`code` CANCELED).
export class ReplayError extends Error {
  constructor(
    message: string,
    readonly code: 'INPUT' | 'CANCELED' = 'INPUT',
  ) {
    super(message);
    this.name = 'ReplayError';
  }
}
