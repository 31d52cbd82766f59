import type { BandApi } from '../shared/contract';

declare global {
  interface Window {
    band: BandApi;
  }
}
