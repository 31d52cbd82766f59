// The console page's Content-Security-Policy, shared by the browser host (src/main/host) and Electron's app://
// protocol (src/main/electron), which must not import each other. Pure: no Node, no Electron. Scripts run only with
// the per-page nonce (and what they import); styles come from our stylesheet plus the <style> elements AG Grid's
// Theming API injects with the same nonce. No 'unsafe-inline' anywhere.

/** The placeholder src/renderer/index.html carries where each response puts its fresh nonce. */
const NONCE_PLACEHOLDER = 'BANDNONCEPLACEHOLDER';

/** The page's CSP: scripts only with the per-page nonce (and what they load); styles from our stylesheet plus the
 * <style> elements AG Grid's Theming API injects with the same nonce. No 'unsafe-inline' anywhere. */
export function hostCsp(nonce: string): string {
  return (
    `default-src 'self'; script-src 'nonce-${nonce}' 'strict-dynamic'; style-src 'self' 'nonce-${nonce}'; img-src 'self' data: blob:; ` +
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
  );
}
export const HOST_CSP = hostCsp('none');
/** The page with its fresh nonce: in the CSP meta, the style-nonce meta, and on every script tag. */
export function withNonce(html: string, nonce: string): string {
  return html.split(NONCE_PLACEHOLDER).join(nonce).replace(/<script(?=[\s>])(?![^>]*\snonce=)/g, `<script nonce="${nonce}"`);
}

/** The CSP of everything that is not the page (API JSON, SSE, errors): nothing may load, nothing may frame it. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
