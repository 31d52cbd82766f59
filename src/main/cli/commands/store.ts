// store commands (backup, restore); filled in with the reliability capability.
import type { Command } from '../framework';

export const commands: Command[] = [];
