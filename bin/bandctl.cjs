#!/usr/bin/env node
// bandctl, as installed (package.json "bin"): the built CLI, out/cli/bandctl.cjs (npm run build:cli). In a checkout
// where it is missing or older than the sources, the TypeScript sources run through tsx instead (slower to start).
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const built = join(root, 'out/cli/bandctl.cjs');

/** The newest modification time under a folder (the sources the build was made from). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function fresh() {
  if (!existsSync(built)) return false;
  const src = join(root, 'src');
  // an installed package has no sources to compare with: its build is the one it ships
  if (!existsSync(src)) return true;
  const t = statSync(built).mtimeMs;
  return t >= newest(join(src, 'main')) && t >= newest(join(src, 'shared'));
}

if (process.env.BANDCTL_SOURCE !== '1' && fresh()) {
  // V8's compiled code for the bundle, kept between runs: compiling 1.7 MB of JavaScript is most of a start-up
  try {
    require('v8-compile-cache');
  } catch {
    /* only faster with it */
  }
  require(built);
} else {
  // tsx's CommonJS hook in this same process: no second process to pass signals and exit codes through
  require(require.resolve('tsx/cjs', { paths: [root] }));
  require(join(root, 'src/main/cli/bandctl.ts'));
}
