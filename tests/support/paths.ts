// Where things are, for every test: the repository, the bandctl launcher and sources, tsx.
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
/** bin/bandctl.cjs: the built CLI when it is as new as the sources (npm test builds it), else the sources via tsx. */
export const BANDCTL_BIN = join(ROOT, 'bin', 'bandctl.cjs');
/** The CLI's TypeScript entry, for runs that must go through tsx. */
export const BANDCTL_TS = join(ROOT, 'src', 'main', 'cli', 'bandctl.ts');
/** The tsx launcher (node_modules/.bin/tsx). */
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
/** tsx's CommonJS hook, for `node --require` (a child that has to be SIGKILLed itself, not a tsx launcher). */
export const TSX_CJS = require.resolve('tsx/cjs', { paths: [ROOT] });
