import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/paths';

// The layering is enforced by the lint config, not by habit: these fixtures must fail (or pass) `npm run lint`.
const eslint = new ESLint({ cwd: ROOT });

async function messages(code: string, filePath: string, rules: string[]): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath: `${ROOT}/${filePath}` });
  return res.messages.filter((m) => m.ruleId !== null && rules.includes(m.ruleId)).map((m) => m.message);
}

// both kinds of layering: by import name (no-restricted-imports) and, inside src/main, by resolved path (the zones)
const restricted = (code: string, filePath: string): Promise<string[]> => messages(code, filePath, ['no-restricted-imports', 'import-x/no-restricted-paths']);
const imports = (name: string, from: string): string => `import { ${name} } from '${from}';\nexport const x = ${name};\n`;

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

  it('zone: services import only src/shared and services', async () => {
    expect(await restricted(imports('createServices', '../../api/create'), 'src/main/services/ledger/bad.ts')).toEqual([expect.stringMatching(/services import only/)]);
    expect(await restricted(imports('startHost', '../../host/server'), 'src/main/services/ledger/bad.ts')).toHaveLength(1);
    expect(await restricted(imports('main', '../cli/main'), 'src/main/services/bad.ts')).toHaveLength(1);
    expect(await restricted(imports('openDb', '../store/db'), 'src/main/services/ledger/ok.ts')).toEqual([]);
    expect(await restricted(imports('toMicro', '../../../shared/money'), 'src/main/services/ledger/ok.ts')).toEqual([]);
  });

  it('zone: api imports only services (and src/shared)', async () => {
    expect(await restricted(imports('startHost', '../host/server'), 'src/main/api/bad.ts')).toEqual([expect.stringMatching(/api imports only services/)]);
    expect(await restricted(imports('runElectronApp', '../electron/main'), 'src/main/api/bad.ts')).toHaveLength(1);
    expect(await restricted(imports('openDb', '../services/store/db'), 'src/main/api/ok.ts')).toEqual([]);
  });

  it('zone: electron imports only api and services, never host', async () => {
    expect(await restricted(imports('PushStreams', '../host/push'), 'src/main/electron/bad.ts')).toEqual([expect.stringMatching(/electron imports only api and services/)]);
    expect(await restricted(imports('main', '../cli/main'), 'src/main/electron/bad.ts')).toHaveLength(1);
    expect(await restricted(imports('createServices', '../api/create'), 'src/main/electron/ok.ts')).toEqual([]);
  });

  it('zone: host imports only api and services, never electron', async () => {
    expect(await restricted(imports('runElectronApp', '../electron/main'), 'src/main/host/bad.ts')).toEqual([expect.stringMatching(/host imports only api and services/)]);
    expect(await restricted(imports('main', '../cli/main'), 'src/main/host/bad.ts')).toHaveLength(1);
    expect(await restricted(imports('dispatch', '../api/dispatch'), 'src/main/host/ok.ts')).toEqual([]);
  });

  it('zone: cli imports only api and services (and starts the host through host/server.ts alone)', async () => {
    expect(await restricted(imports('runElectronApp', '../electron/main'), 'src/main/cli/bad.ts')).toEqual([expect.stringMatching(/cli imports only api and services/)]);
    expect(await restricted(imports('PushStreams', '../../host/push'), 'src/main/cli/commands/bad.ts')).toEqual([expect.stringMatching(/nothing else of it/)]);
    expect(await restricted(imports('startHost', '../../host/server'), 'src/main/cli/commands/ok.ts')).toEqual([]);
    expect(await restricted(imports('createServices', '../../api/create'), 'src/main/cli/commands/ok.ts')).toEqual([]);
  });

  it('a value import that closes a cycle fails (import-x/no-cycle); a type-only one does not', async () => {
    // appdata imports demo.ts for a value: demo.ts importing a value from appdata would close the loop
    const cycle = (code: string): Promise<string[]> => messages(code, 'src/main/services/demo.ts', ['import-x/no-cycle']);
    expect(await cycle(imports('ensureAppData', './appdata'))).toHaveLength(1);
    expect(await cycle("import type { AppData } from './appdata';\nexport type X = AppData;\n")).toEqual([]);
  });
});
