// Every bandctl command, in the order --help lists them (SPEC §10). Each area adds its commands in its own module.
import type { Command } from '../framework';
import { commands as core } from './core';
import { commands as ledger } from './ledger';
import { commands as engine } from './engine';
import { commands as streams } from './streams';
import { commands as consoleCmds } from './console';
import { commands as store } from './store';

export const COMMANDS: readonly Command[] = [...core, ...ledger, ...streams, ...engine, ...consoleCmds, ...store];
