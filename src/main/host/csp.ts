// The CSP builder lives in src/shared/csp.ts (pure, shared by the browser host and Electron's app:// protocol, which
// must not import each other). Kept here for the host's importers.
export { API_CSP } from '../../shared/csp';
