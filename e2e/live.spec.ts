// The console stays live and tells what it knows (issue #12), in Debian's Chromium against `bandctl serve`:
//  - the page title carries the pending count, and new intents raise a browser notification once allowed (asked
//    from a click on "Notify me"); the mute switch stops them and survives a reload;
//  - shortcuts work by physical key (event.code) whatever the layout; dialogs keep the focus inside; Esc closes;
//  - a grid's column widths and sort are remembered across a reload; "Reset layout" restores the defaults;
//  - when the push connection drops, the header says since when; what changed meanwhile (through the CLI, another
//    process) appears when it comes back, without a reload, whether the host replays it or (restarted) asks for a
//    full refetch with app:resync.
// At the desk's pinned instant (a Tuesday session, e2e/desk.ts AT.OPEN): a cycle proposes whenever the suite runs.
import { SCREEN_KEY_RANGE } from '../src/shared/screens';
import type { IntentView } from '../src/shared/types';
import { bandctl, deskNow, openDesk, shotPath, startServe, stop, type Desk } from './desk';
import { expect, test, type Page } from './fixtures';
import { nav } from './flow';
import { startProxy } from './proxy';

let desk: Desk;
test.beforeAll(async () => {
  desk = await openDesk();
});
test.afterAll(async () => {
  await desk?.close();
});

function pendingByCli(): IntentView[] {
  return JSON.parse(bandctl(['intents', '--db', desk.db, '--config', desk.config, '--json']).toString()) as IntentView[];
}

/** Rejects every pending intent through the CLI (another process): the console's watcher pushes the change. */
function rejectAllByCli(reason: string): void {
  const ids = pendingByCli().map((i) => i.id);
  if (ids.length) bandctl(['reject', '--db', desk.db, '--config', desk.config, '--reason', reason, ...ids]);
}

function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
  return errors;
}

/** The ids in the approval queue, as the page shows them. */
async function queueIds(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...new Set([...document.querySelectorAll('[data-testid="approval-grid"] [role="row"][row-id]')].map((r) => r.getAttribute('row-id')!))].sort(),
  );
}

/**
 * Observes the notifications the page creates. Headless Chromium shows real notifications (their `show` event
 * fires) but offers no way to see them from outside the page, so this wraps the constructor: each call goes to the
 * real Notification (super), and the wrapper records its title and whether the browser showed it. Nothing is stubbed.
 */
const OBSERVE_NOTIFICATIONS = () => {
  const Real = window.Notification;
  const seen: { title: string; body: string; shown: boolean }[] = [];
  (window as unknown as { __notes: typeof seen }).__notes = seen;
  class Observed extends Real {
    constructor(title: string, options?: NotificationOptions) {
      super(title, options);
      const rec = { title, body: options?.body ?? '', shown: false };
      seen.push(rec);
      this.addEventListener('show', () => (rec.shown = true));
    }
  }
  window.Notification = Observed;
};

const notes = (page: Page) => page.evaluate(() => (window as unknown as { __notes: { title: string; body: string; shown: boolean }[] }).__notes);

test('title shows the pending count; new intents notify once allowed; mute stops it and survives a reload', async ({ page, context }) => {
  const errors = pageErrors(page);
  await page.addInitScript(OBSERVE_NOTIFICATIONS);
  await page.goto(desk.url);
  const origin = new URL(desk.url).origin;
  const pending = pendingByCli().length;
  expect(pending).toBeGreaterThan(0);
  await expect(page).toHaveTitle(`(${pending}) Band Console`);

  // Nothing is asked before the trader clicks "Notify me" (the browser needs a user gesture for it).
  const notifyMe = page.getByRole('button', { name: 'Notify me', exact: true });
  await expect(notifyMe).toBeVisible();
  await context.grantPermissions(['notifications'], { origin });
  await notifyMe.click();
  const sw = page.getByRole('switch', { name: 'Notify on new intents' });
  await expect(sw).toHaveAttribute('aria-checked', 'true');

  // The queue emptied elsewhere (the CLI): the title drops the count.
  rejectAllByCli('e2e: make room for a new cycle');
  await expect(page).toHaveTitle('Band Console', { timeout: 20_000 });

  // A cycle proposes new intents (intents:new): a notification, shown by the browser, and the count in the title.
  await nav(page, 'Overview');
  await page.getByRole('button', { name: 'Evaluate now' }).click();
  await expect.poll(async () => (await notes(page)).length).toBeGreaterThan(0);
  const [note] = await notes(page);
  expect(note.title).toMatch(/^\d+ new intents? to approve$/);
  await expect.poll(async () => (await notes(page))[0].shown, { message: 'the browser showed it' }).toBe(true);
  await expect.poll(async () => (await page.title()) === `(${pendingByCli().length}) Band Console`).toBe(true);

  // Muted: remembered across a reload, and a new cycle's intents raise no notification (the toast still says so).
  await sw.click();
  await expect(sw).toHaveAttribute('aria-checked', 'false');
  await expect(sw).toHaveText('muted');
  await page.reload();
  await expect(page.getByRole('switch', { name: 'Notify on new intents' })).toHaveAttribute('aria-checked', 'false');
  rejectAllByCli('e2e: make room again');
  await expect(page).toHaveTitle('Band Console', { timeout: 20_000 });
  await page.getByRole('button', { name: 'Evaluate now' }).click();
  await expect(page.locator('.toast').filter({ hasText: /new corrective intents? awaiting approval/ })).toBeVisible();
  await expect(page).toHaveTitle(/^\(\d+\) Band Console$/);
  expect(await notes(page)).toEqual([]);
  expect(errors, errors.join('\n')).toEqual([]);
});

test('keys by physical key on any layout (Ctrl/Cmd+A, R, 1–5, [ ]); dialogs keep the focus inside; Esc closes', async ({ page, browser }) => {
  const errors = pageErrors(page);
  await page.goto(desk.url);
  await nav(page, 'Approvals');
  const pending = pendingByCli();
  expect(pending.length).toBeGreaterThan(1);
  await expect(page.getByTestId('pending-count')).toHaveText(`${pending.length} pending`);
  const keys = page.getByTestId('keys');
  for (const k of ['A', 'R', 'Space', 'Ctrl+A', 'Esc', 'Enter', 'Shift+Enter', 'Tab', SCREEN_KEY_RANGE, '[ ]']) await expect(keys.locator('kbd', { hasText: new RegExp(`^${k.replace(/[[\]+]/g, '\\$&')}$`) })).toHaveCount(1);

  // A Russian layout: the key in KeyA types 'ф', the one in KeyR 'к'. Sent as the browser would (code + key).
  const press = (code: string, key: string, mods: { ctrlKey?: boolean; metaKey?: boolean; shiftKey?: boolean } = {}) =>
    page.evaluate(
      ([code, key, mods]) => (document.activeElement ?? document.body).dispatchEvent(new KeyboardEvent('keydown', { code, key, bubbles: true, cancelable: true, ...mods })),
      [code, key, mods] as const,
    );
  await page.locator('[data-testid="approval-grid"] [role="gridcell"][col-id="symbol"]').first().click();
  await press('KeyA', 'ф', { ctrlKey: true });
  await expect(page.getByText(new RegExp(`^${pending.length} selected`))).toBeVisible();
  await press('KeyR', 'к');
  const dialog = page.getByRole('dialog', { name: `Reject ${pending.length} intents` });
  await expect(dialog).toBeVisible();
  const reason = dialog.getByRole('textbox', { name: 'Reject reason' });
  await expect(reason).toBeFocused();
  // Tab and Shift+Tab cycle inside the dialog; the console underneath is inert.
  const inside = () => page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]'));
  for (const k of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
    await page.keyboard.press(k);
    expect(await inside(), `after ${k} the focus is in the dialog`).toBe(true);
  }
  await expect(page.locator('header.header')).toHaveAttribute('inert', '');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.locator('header.header')).not.toHaveAttribute('inert');
  expect(pendingByCli().length, 'nothing rejected').toBe(pending.length);

  // AZERTY types '"' on Digit3: still the Reports screen; then [ on a Russian layout ('х') steps back a trading day.
  await press('Digit3', '"', { shiftKey: false });
  await expect(page.getByRole('region', { name: 'Reports', exact: true })).toBeVisible();
  const date = page.getByLabel('Report date');
  await expect(date).not.toHaveValue('');
  const before = await date.inputValue();
  await press('BracketLeft', 'х');
  await expect(date).not.toHaveValue(before);
  expect(await date.inputValue() < before).toBe(true);
  await press('BracketRight', 'ъ');
  await expect(date).toHaveValue(before);

  // On macOS Cmd+A selects all (and Ctrl+A does not); the keys panel says ⌘+A.
  const mac = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    await mac.clock.install({ time: deskNow() });
    const mp = await mac.newPage();
    await mp.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'platform', { get: () => 'MacIntel' });
      Object.defineProperty(Navigator.prototype, 'userAgentData', { get: () => ({ platform: 'macOS' }) });
    });
    await mp.goto(desk.url);
    await nav(mp, 'Approvals');
    await expect(mp.getByTestId('keys').locator('kbd', { hasText: '⌘+A' })).toBeVisible();
    await mp.locator('[data-testid="approval-grid"] [role="gridcell"][col-id="symbol"]').first().click();
    await expect(mp.getByText(/^1 selected/)).toBeVisible();
    // the console's own key, not the grid's (which takes either modifier while a cell has the focus)
    await mp.getByRole('heading', { name: 'Approval queue' }).click();
    await mp.keyboard.press('Control+KeyA');
    await expect(mp.getByText(/^1 selected/)).toBeVisible();
    await mp.keyboard.press('Meta+KeyA');
    await expect(mp.getByText(new RegExp(`^${pending.length} selected`))).toBeVisible();
  } finally {
    await mac.close();
  }
  expect(errors, errors.join('\n')).toEqual([]);
});

test('a grid remembers its column widths and sort across a reload; Reset layout restores the defaults', async ({ page }) => {
  const errors = pageErrors(page);
  await page.goto(desk.url);
  await nav(page, 'Positions');
  const grid = page.getByRole('region', { name: 'Positions grid' });
  const qty = grid.locator('.ag-header-cell[col-id="qty"]');
  const symbol = grid.locator('.ag-header-cell[col-id="symbol"]');
  const width = async () => Math.round((await qty.boundingBox())!.width);
  await expect(qty).toBeVisible();
  const w0 = await width();
  await expect(symbol).toHaveAttribute('aria-sort', 'none');

  // Widen Qty by 80 px (its resize handle) and sort by Symbol, descending (two clicks).
  const handle = (await qty.locator('.ag-header-cell-resize').boundingBox())!;
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(handle.x + handle.width / 2 + 40, handle.y + handle.height / 2, { steps: 4 });
  await page.mouse.move(handle.x + handle.width / 2 + 80, handle.y + handle.height / 2, { steps: 4 });
  await page.mouse.up();
  await expect.poll(width).toBe(w0 + 80);
  await symbol.locator('.ag-header-cell-label').click();
  await symbol.locator('.ag-header-cell-label').click();
  await expect(symbol).toHaveAttribute('aria-sort', 'descending');
  const firstSymbol = () => grid.locator('[role="row"][row-index="0"] [role="gridcell"][col-id="symbol"]').textContent();
  await expect.poll(firstSymbol).toBe('XOM');

  await page.reload();
  await expect(qty).toBeVisible();
  await expect.poll(width).toBe(w0 + 80);
  await expect(symbol).toHaveAttribute('aria-sort', 'descending');
  await expect.poll(firstSymbol).toBe('XOM');

  await page.getByRole('button', { name: 'Reset layout' }).click();
  await expect.poll(width).toBe(w0);
  await expect(symbol).toHaveAttribute('aria-sort', 'none');
  await page.reload();
  await expect(qty).toBeVisible();
  await expect.poll(width).toBe(w0);
  await expect(symbol).toHaveAttribute('aria-sort', 'none');
  expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('band.grid.')))).toEqual([]);
  expect(errors, errors.join('\n')).toEqual([]);
});

test('the push link drops: the header says since when; what changed meanwhile appears when it is back, without a reload', async ({ page }) => {
  const errors = pageErrors(page);
  const proxy = await startProxy(desk.url);
  let restarted: Awaited<ReturnType<typeof startServe>> | null = null;
  try {
    await page.goto(proxy.url);
    await nav(page, 'Approvals');
    await expect.poll(() => queueIds(page)).toEqual(pendingByCli().map((i) => i.id).sort());
    await expect(page.getByTestId('link')).toHaveText('live');
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    // Live: a change through the CLI reaches the page by push (and the page has now seen an event id).
    const first = pendingByCli();
    bandctl(['reject', '--db', desk.db, '--config', desk.config, '--reason', 'e2e: while the link is up', first[0].id]);
    await expect.poll(() => queueIds(page)).toEqual(first.slice(1).map((i) => i.id).sort());

    // Cut: the header says since when, calmly (no error toasts while the host cannot be reached).
    proxy.cut();
    await expect(page.getByTestId('link')).toHaveText(/^link down since \d\d:\d\d:\d\d$/);
    // Meanwhile, through the CLI on the same database: one intent rejected, a cycle evaluated (new intents).
    const before = pendingByCli();
    bandctl(['reject', '--db', desk.db, '--config', desk.config, '--reason', 'e2e: while the link was down', before[0].id]);
    const evaluated = JSON.parse(bandctl(['evaluate', '--db', desk.db, '--config', desk.config, '--json']).toString()) as { intents: { id: string }[] };
    expect(evaluated.intents.length, 'the cycle topped the queue up again').toBeGreaterThan(0);
    const want = pendingByCli().map((i) => i.id).sort();
    // the console's watcher has pushed the change by now (it polls every second): to nobody, the link is cut
    await page.waitForTimeout(1500);
    await expect(page.getByTestId('link')).toHaveText(/^link down since /);
    await expect(page.locator('.toast.error')).toHaveCount(0);
    await page.screenshot({ path: shotPath('link-down') });

    // Back: the browser resumes from the last event it saw; the queue catches up without a reload.
    proxy.restore();
    await expect(page.getByTestId('link')).toHaveText('live', { timeout: 15_000 });
    await expect.poll(() => queueIds(page)).toEqual(want);
    expect(proxy.eventConnects.length).toBeGreaterThan(1);
    expect(proxy.eventConnects.at(-1), 'the reconnection carried Last-Event-ID').toMatch(/^[0-9a-f]+-\d+$/);

    // The host itself restarts (same book, same token): it cannot replay another run's events and says app:resync;
    // the page refetches everything.
    const token = new URL(desk.url).searchParams.get('token')!;
    proxy.cut();
    await stop(desk.serve!);
    await expect(page.getByTestId('link')).toHaveText(/^link down since /);
    rejectAllByCli('e2e: while the host was restarting');
    restarted = await startServe(desk.db, desk.config, { token });
    proxy.retarget(restarted.url);
    proxy.restore();
    await expect(page.getByTestId('link')).toHaveText('live', { timeout: 15_000 });
    // the restarted console's first cycle proposes anew: the page shows exactly what the book holds
    await expect.poll(async () => JSON.stringify(await queueIds(page)), { timeout: 15_000 }).toBe(JSON.stringify(pendingByCli().map((i) => i.id).sort()));
    for (const id of want) expect(await queueIds(page)).not.toContain(id);
    await expect(page.locator('.toast.error'), 'calm: no error toast while the host was away').toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect(errors.filter((e) => !/Failed to load resource|ERR_/.test(e)), errors.join('\n')).toEqual([]);
  } finally {
    if (restarted) await stop(restarted.child);
    await proxy.close();
  }
});
