// Lint, and the layering rules that keep the architecture honest (VS Code style):
//  - src/shared imports neither Node, Electron nor React (and nothing from main/renderer/preload);
//  - domain services in src/main import no Electron: only src/main/index.ts and src/main/electron/** may;
//  - the renderer imports no Node, no Electron and nothing from src/main (it sees the preload's types only);
//  - the preload imports Electron and src/shared only.
// Inside src/main, zones by resolved path (import-x/no-restricted-paths), lowest first:
//  - services (src/main/services/**) import only src/shared and services;
//  - api (src/main/api/**) imports only services (and shared);
//  - electron, host and cli import only api and services (and shared); electron and host never each other.
//    One exception, by design: the cli launches the web host (`bandctl serve`), so src/main/cli may import
//    src/main/host/server.ts — the host's entry, nothing else of it.
// And the module graph of src has no import cycles (import-x/no-cycle; type-only imports don't count).
// Time is an input (docs/spec.md §2): nothing in src, tests or e2e reads the wall clock itself — the process clock
// (src/main/services/clock: now() for the market's time, timerNow() for timeouts) and the renderer's clock
// (src/renderer/src/clock.ts, the process's time from the status) are the only readers; tests pin the instant.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { defineConfig } from 'eslint/config';

const node = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({
  name,
  message: 'Node built-ins are not allowed in this layer.',
}));
const electron = { name: 'electron', message: 'Only the thin Electron layer (src/main/index.ts, src/main/electron/**, src/preload) may import electron.' };
const react = ['react', 'react-dom'].map((name) => ({ name, message: 'src/shared must not import React.' }));
const layer = (dir) => `./src/main/${dir}`;
// One zone per target folder: `from` lists what it must not import.
const zones = [
  { target: layer('services'), from: [layer('api'), layer('host'), layer('electron'), layer('cli'), layer('index.ts')], message: 'services import only src/shared and other services.' },
  { target: layer('api'), from: [layer('host'), layer('electron'), layer('cli'), layer('index.ts')], message: 'api imports only services (and src/shared).' },
  { target: layer('electron'), from: [layer('host'), layer('cli'), layer('index.ts')], message: 'electron imports only api and services (and src/shared): not host, not cli.' },
  { target: layer('host'), from: [layer('electron'), layer('cli'), layer('index.ts')], message: 'host imports only api and services (and src/shared): not electron, not cli.' },
  { target: layer('cli'), from: [layer('electron'), layer('index.ts')], message: 'cli imports only api and services (and src/shared): not electron.' },
  { target: layer('cli'), from: layer('host'), except: ['./server.ts'], message: 'cli may start the web host (host/server.ts) and import nothing else of it.' },
];
const wallClock = (where) => [
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: `Date.now() reads the wall clock: ${where}` },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: `new Date() reads the wall clock: ${where}` },
  { selector: "CallExpression[callee.object.name='DateTime'][callee.property.name='now']", message: `DateTime.now() reads the wall clock: ${where}` },
  { selector: "CallExpression[callee.object.name='DateTime'][callee.property.name='local'][arguments.length=0]", message: `DateTime.local() reads the wall clock: ${where}` },
];
const nodeOnlyPkgs = ['better-sqlite3', 'ioredis', 'yaml', 'ws'].map((name) => ({ name, message: 'Node-only package: not allowed in this layer.' }));

export default defineConfig(
  {
    ignores: ['out/**', 'dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'artifacts/**', 'tests/fixtures/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/main/**', 'src/preload/**', 'tests/**', 'bench/**', 'soak/**', 'scripts/**', 'bin/**', 'e2e/**', '*.config.*', '.ci/**'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // CommonJS launchers and preloads (bin/bandctl.cjs, scripts/fetch-reason.cjs): require is how they load
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      // what import-x parses when it follows an import (TypeScript included), and how it resolves one (no tsconfig paths here)
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.cjs', '.json'] })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { zones }] },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/main/services/clock/index.ts', 'src/renderer/src/clock.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...wallClock('use now() (the market) or timerNow() (timeouts) from src/main/services/clock; in the renderer, src/renderer/src/clock.ts')],
    },
  },
  {
    files: ['tests/**/*.ts', 'e2e/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...wallClock('a test pins its instant (an explicit epoch, --as-of, BAND_NOW); a duration or a deadline uses performance.now()')],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/index.ts', 'src/main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [electron], patterns: [{ group: ['electron/*'], message: electron.message }, { group: ['**/renderer/**'], message: 'main must not import the renderer.' }] }],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...node, electron, ...react, ...nodeOnlyPkgs],
          patterns: [{ group: ['**/main/**', '**/renderer/**', '**/preload/**', 'electron/*'], message: 'src/shared is the common layer: it imports only itself and pure libraries.' }],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...node, electron, ...nodeOnlyPkgs],
          patterns: [{ group: ['**/main/**', '**/preload/index*', 'electron/*'], message: 'The renderer talks to the main process only through the typed API.' }],
        },
      ],
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [...nodeOnlyPkgs], patterns: [{ group: ['**/main/**', '**/renderer/**'], message: 'The preload sees only electron and src/shared.' }] }],
    },
  },
);
