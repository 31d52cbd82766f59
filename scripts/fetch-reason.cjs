// Preloaded (node --require) into Electron's installer by scripts/electron-env.mjs. The installer prints only an
// error's stack, and for a network failure Node's fetch says no more than "fetch failed": the address and the cause
// (connection refused, host not found, timeout, certificate) sit in `error.cause`. This adds both to the message,
// and changes nothing else about the download.
'use strict';
const original = globalThis.fetch;
if (typeof original === 'function') {
  globalThis.fetch = async function fetchWithReason(input, init) {
    try {
      return await original(input, init);
    } catch (e) {
      if (e instanceof Error && e.message === 'fetch failed') {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input && input.url;
        const c = e.cause;
        const why = c ? c.message || c.code || (c.errors && c.errors[0] && c.errors[0].message) || '' : '';
        e.message = `fetch failed for ${url}${why ? `: ${why}` : ''}`;
      }
      throw e;
    }
  };
}
