// ledger commands; filled in with the ledger capability.
import type { Command } from '../framework';

export const commands: Command[] = [];
