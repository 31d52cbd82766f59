// streams commands; filled in with the streams capability.
import type { Command } from '../framework';

export const commands: Command[] = [];
