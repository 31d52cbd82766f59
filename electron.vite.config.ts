import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// Entries by convention: src/main/index.ts, src/preload/index.ts, src/renderer/index.html.
// Dependencies stay external to the main bundle (better-sqlite3 is native).
export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rollupOptions: {
        // The ledger consumer runs on its own worker thread: it needs its own entry file in the bundle.
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          ledgerWorker: resolve(__dirname, 'src/main/services/ledger/worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: true,
      rollupOptions: { output: { format: 'cjs' } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    base: './',
    plugins: [react()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
      chunkSizeWarningLimit: 4096,
    },
  },
});
