// Lint, and the layering rules that keep the architecture honest (VS Code style):
//  - src/shared imports neither Node, Electron nor React (and nothing from main/renderer/preload);
//  - domain services in src/main import no Electron: only src/main/index.ts and src/main/electron/** may;
//  - the renderer imports no Node, no Electron and nothing from src/main (it sees the preload's types only);
//  - the preload imports Electron and src/shared only.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { defineConfig } from 'eslint/config';

const node = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({
  name,
  message: 'Node built-ins are not allowed in this layer.',
}));
const electron = { name: 'electron', message: 'Only the thin Electron layer (src/main/index.ts, src/main/electron/**, src/preload) may import electron.' };
const react = ['react', 'react-dom'].map((name) => ({ name, message: 'src/shared must not import React.' }));
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
