import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin, ProxyOptions } from 'vite';
import { withNonce } from './src/shared/csp';

/**
 * The dev server (npm run dev) serves index.html as the console's hosts do: a fresh nonce per page load in its CSP, on
 * every script tag (Vite's client and React's refresh preamble included) and where Vite's client and AG Grid read it
 * for the styles they inject. The CSP itself stays as it ships, so a violation shows in development too.
 */
function devNonce(): Plugin {
  return {
    name: 'band-dev-nonce',
    apply: 'serve',
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const nonce = randomBytes(18).toString('base64');
        return withNonce(html, nonce).replace('<head>', `<head>\n    <meta property="csp-nonce" nonce="${nonce}" />`);
      },
    },
  };
}

/**
 * /api/* to the browser host (bandctl web). The host refuses a foreign Origin (the dev page's): the proxy forwards its
 * calls as the host's own page would make them; the token still travels with every call (header or query).
 */
function devApiProxy(target: string): ProxyOptions {
  return {
    target,
    changeOrigin: true,
    configure(proxy) {
      proxy.on('proxyReq', (req) => {
        req.removeHeader('origin');
        req.removeHeader('referer');
      });
    },
  };
}

// Entries by convention: src/main/index.ts, src/preload/index.ts, src/renderer/index.html.
// Dependencies stay external to the main bundle (better-sqlite3 is native).
export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rollupOptions: {
        // The ledger consumer and the Policy lab's replay run on their own worker threads: each needs its own entry
        // file in the bundle.
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          ledgerWorker: resolve(__dirname, 'src/main/services/ledger/worker.ts'),
          replayWorker: resolve(__dirname, 'src/main/services/replay/worker.ts'),
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
    plugins: [react(), devNonce()],
    // npm run dev (scripts/dev.mjs): the API and its push stream go to the browser host it started
    server: process.env.BAND_DEV_API ? { proxy: { '/api': devApiProxy(process.env.BAND_DEV_API) } } : undefined,
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
      chunkSizeWarningLimit: 4096,
    },
  },
});
