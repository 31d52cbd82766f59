import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

// The layering is enforced by the lint config, not by habit: these fixtures must fail (or pass) `npm run lint`.
const eslint = new ESLint({ cwd: ROOT });

async function restricted(code: string, filePath: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath: `${ROOT}/${filePath}` });
  return res.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering lint rules', () => {
  it('a domain service may not import electron', async () => {
    const msgs = await restricted("import { app } from 'electron';\nexport const x = app;\n", 'src/main/services/ledger/bad.ts');
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatch(/Only the thin Electron layer/);
    expect(await restricted("import { ipcMain } from 'electron';\nexport const y = ipcMain;\n", 'src/main/cli/bad.ts')).toHaveLength(1);
  });

  it('the Electron layer may', async () => {
    expect(await restricted("import { app } from 'electron';\nexport const x = app;\n", 'src/main/electron/window.ts')).toEqual([]);
    expect(await restricted("import { app } from 'electron';\nexport const x = app;\n", 'src/main/index.ts')).toEqual([]);
  });

  it('src/shared imports neither Node, Electron nor React', async () => {
    expect(await restricted("import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n", 'src/shared/bad.ts')).toHaveLength(1);
    expect(await restricted("import fs from 'fs';\nexport const f = fs;\n", 'src/shared/bad.ts')).toHaveLength(1);
    expect(await restricted("import { useState } from 'react';\nexport const f = useState;\n", 'src/shared/bad.ts')).toHaveLength(1);
    expect(await restricted("import { openDb } from '../main/services/store/db';\nexport const f = openDb;\n", 'src/shared/bad.ts')).toHaveLength(1);
  });

  it('the renderer imports no Node and no main-process code', async () => {
    expect(await restricted("import Database from 'better-sqlite3';\nexport const d = Database;\n", 'src/renderer/src/bad.ts')).toHaveLength(1);
    expect(await restricted("import { join } from 'node:path';\nexport const j = join;\n", 'src/renderer/src/bad.ts')).toHaveLength(1);
    expect(await restricted("import { openDb } from '../../main/services/store/db';\nexport const o = openDb;\n", 'src/renderer/src/bad.ts')).toHaveLength(1);
  });
});
