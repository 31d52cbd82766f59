import type { BandApi } from '../shared/contract';

declare global {
  interface Window {
    /** Present in Electron (the preload); absent in the browser host, where the renderer uses HTTP + SSE. */
    band?: BandApi;
  }
}
