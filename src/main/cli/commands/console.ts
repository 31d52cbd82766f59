// console commands; filled in with the console capability.
import type { Command } from '../framework';

export const commands: Command[] = [];
