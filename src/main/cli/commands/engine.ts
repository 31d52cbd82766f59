// engine commands; filled in with the engine capability.
import type { Command } from '../framework';

export const commands: Command[] = [];
