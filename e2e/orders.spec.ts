// Working orders, stale prices and the config in force (issue #11, "approvals stay safe"), in Debian's Chromium
// against `bandctl serve`: approved intents are listed as working orders under the queue; one is canceled with a
// reason (the CLI, another process, then reads it CANCELED, and the audit trail carries the reason), the rest with
// "Cancel all working"; the reason dialog keeps the console's dialog rules. A position the truth ticks have never
// priced is marked stale in the header and on the Positions screen. A console started on an invalid risk_rules.yaml
// says that nothing is proposed or approved, and an approval tells why it was refused.
// At the desk's pinned instant (a Tuesday session, e2e/desk.ts AT.OPEN) on the shipped config (its 16:00 close):
// the specs do not depend on the hour they run at.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IntentView } from '../src/shared/types';
import { bandctl, openDesk, shotPath, startServe, stop, type Desk, type EvalIntent } from './desk';
import { expect, test, type Locator, type Page } from './fixtures';
import { nav, row, shot } from './flow';

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const price = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * The intents with a status, read through the CLI (another process), not through the console; on the desk's config
 * unless that file is broken on purpose, then on the config the book last ran on (the same).
 */
function intentsByCli(desk: Desk, status: string, withConfig = true): IntentView[] {
  const config = withConfig ? ['--config', desk.config] : [];
  return JSON.parse(bandctl(['intents', '--db', desk.db, ...config, '--status', status, '--json']).toString()) as IntentView[];
}

function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
  return errors;
}

function workingPanel(page: Page): Locator {
  return page.getByRole('region', { name: 'Working orders' });
}

/** An order's line in the working orders panel (found by its intent id), and its Cancel button ("Cancel SELL 60 MSFT"). */
function order(page: Page, intent: EvalIntent): { cells: Locator; cancel: Locator } {
  const line = workingPanel(page).getByRole('row').filter({ hasText: intent.id });
  return { cells: line, cancel: line.getByRole('button', { name: new RegExp(`^Cancel (BUY|SELL) [0-9,]+ ${intent.symbol.replace(/\./g, '\\.')}$`) }) };
}

test.describe('working orders', () => {
  let desk: Desk;
  test.beforeAll(async () => {
    desk = await openDesk();
  });
  test.afterAll(async () => {
    await desk?.close();
  });

  test('approved intents are working orders: HALT holds them, one is canceled with a reason, then all', async ({ page }) => {
    const errors = pageErrors(page);
    const [a, b, c] = desk.created;
    expect(c, 'the engine created at least three intents').toBeTruthy();
    await page.goto(desk.url);
    await nav(page, 'Approvals');
    const panel = workingPanel(page);
    await expect(panel.getByRole('heading', { name: 'Working orders' })).toBeVisible();
    await expect(panel.getByText('No working orders')).toBeVisible();
    await expect(panel.getByTestId('day-orders')).toHaveText('Day orders: end at 16:00 America/New_York');
    const cancelAll = panel.getByRole('button', { name: 'Cancel all working', exact: true });
    await expect(cancelAll).toBeDisabled();

    // Approve three in the queue, one click each: they leave the queue and are working orders.
    for (const i of [a, b, c]) {
      await row(page, i).getByRole('button', { name: 'Approve', exact: true }).click();
      await expect(row(page, i)).toHaveCount(0);
    }
    const byCli = new Map(intentsByCli(desk, 'WORKING').map((i) => [i.id, i]));
    for (const i of [a, b, c]) {
      const cli = byCli.get(i.id);
      expect(cli, `${i.id} (${i.symbol}) is WORKING for the CLI`).toBeTruthy();
      const cells = order(page, i).cells;
      await expect(cells).toBeVisible();
      await expect(cells.locator('[col-id="symbol"]')).toHaveText(i.symbol);
      await expect(cells.locator('[col-id="side"]')).toHaveText(i.side);
      await expect(cells.locator('[col-id="qty"]')).toHaveText(int.format(cli!.qty));
      await expect(cells.locator('[col-id="filled_qty"]')).toHaveText('0');
      await expect(cells.locator('[col-id="limit"]')).toHaveText(i.limit_price === null ? 'MKT' : price.format(i.limit_price));
      await expect(cells.locator('[col-id="tick"]')).toHaveText(price.format(cli!.tick!));
      await expect(cells.locator('[col-id="status"]')).toHaveText('WORKING');
      await expect(cells.locator('[col-id="age"]')).toHaveText(/^\d+(s|m)$/);
    }
    await expect(panel.getByTestId('working-count')).toHaveText('3 working');
    await expect(cancelAll).toBeEnabled();
    await shot(page, 'working-orders');

    // HALT: the paper orders are held until resume, and the banner says how many.
    await page.getByRole('button', { name: 'Halt', exact: true }).click();
    await expect(page.getByTestId('mode')).toHaveText('HALTED');
    await expect(page.getByRole('status').filter({ hasText: 'the kill switch is on' })).toContainText('3 orders held until resume.');
    await page.screenshot({ path: shotPath('halted-held') });
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await expect(page.getByTestId('mode')).not.toHaveText('HALTED');
    await expect(page.getByText(/orders? held until resume/)).toHaveCount(0);

    // Cancel one: a reason is asked first, in a dialog that follows the console's dialog rules.
    await order(page, a).cancel.click();
    const dialog = page.getByRole('dialog', { name: `Cancel working order ${a.id}` });
    await expect(dialog).toBeVisible();
    await expect(dialog).toHaveAttribute('aria-modal', 'true');
    await expect(dialog).toHaveAccessibleDescription(/canceled at the broker/);
    const reason = dialog.getByRole('textbox', { name: 'Cancel reason' });
    await expect(reason).toBeFocused();
    const list = dialog.getByRole('table', { name: 'Orders to cancel' });
    await expect(list.getByRole('row')).toHaveCount(2);
    await expect(list.getByRole('row').nth(1)).toContainText(a.symbol);
    const confirm = dialog.getByRole('button', { name: 'Confirm cancel', exact: true });
    await expect(confirm).toBeDisabled();
    // Tab stays inside (the reason, then Keep working: Confirm is disabled while the reason is empty) …
    await page.keyboard.press('Tab');
    await expect(dialog.getByRole('button', { name: 'Keep working', exact: true })).toBeFocused();
    // … and the global keys do nothing underneath: no screen switch, no approve or reject dialog.
    for (const key of ['3', 'a', 'r']) await page.keyboard.press(key);
    await expect(page).toHaveURL(/#\/approvals$/);
    await expect(page.getByRole('dialog')).toHaveCount(1);
    await page.keyboard.press('Tab');
    await expect(reason).toBeFocused();
    // Esc closes it with nothing canceled.
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toHaveCount(0);
    expect(intentsByCli(desk, 'WORKING').map((i) => i.id)).toContain(a.id);

    await order(page, a).cancel.click();
    await expect(reason).toBeFocused();
    await reason.fill('e2e: news out, the band can wait');
    await expect(confirm).toBeEnabled();
    await shot(page, 'cancel-dialog');
    await confirm.click();
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(order(page, a).cells).toHaveCount(0);
    await expect(page.locator('.toast.ok').filter({ hasText: 'Canceled 1 order' })).toBeVisible();
    await expect(panel.getByTestId('working-count')).toHaveText('2 working');
    for (const i of [b, c]) await expect(order(page, i).cells).toBeVisible();

    // The CLI (another process) reads it CANCELED; the audit trail carries the reason.
    const canceled = intentsByCli(desk, 'CANCELED');
    expect(canceled.map((i) => i.id)).toEqual([a.id]);
    expect(canceled[0].filled_qty).toBe(0);
    expect(intentsByCli(desk, 'WORKING').map((i) => i.id).sort()).toEqual([b.id, c.id].sort());
    await nav(page, 'Activity');
    const audit = page.getByRole('region', { name: 'Audit trail' });
    await expect(audit.getByRole('row').filter({ hasText: a.id }).filter({ hasText: 'CANCELED' }).filter({ hasText: 'e2e: news out, the band can wait' })).toBeVisible();

    // Cancel all working: one reason for every order still working; the panel empties.
    await nav(page, 'Approvals');
    await cancelAll.click();
    const all = page.getByRole('dialog', { name: 'Cancel all working orders (2)' });
    await expect(all).toBeVisible();
    await expect(all.getByRole('table', { name: 'Orders to cancel' }).getByRole('row')).toHaveCount(3);
    await all.getByRole('textbox', { name: 'Cancel reason' }).fill('e2e: flat into the close');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(panel.getByText('No working orders')).toBeVisible();
    await expect(panel.getByTestId('working-count')).toHaveText('0 working');
    await expect(cancelAll).toBeDisabled();
    expect(intentsByCli(desk, 'WORKING')).toEqual([]);
    expect(intentsByCli(desk, 'CANCELED').map((i) => i.id).sort()).toEqual([a.id, b.id, c.id].sort());
    await nav(page, 'Activity');
    for (const i of [b, c]) {
      await expect(audit.getByRole('row').filter({ hasText: i.id }).filter({ hasText: 'CANCELED' }).filter({ hasText: 'e2e: flat into the close' })).toBeVisible();
    }
    expect(errors, errors.join('\n')).toEqual([]);
  });

  test('a position never priced is marked stale: the header badge and its Positions line', async ({ page }) => {
    const errors = pageErrors(page);
    await page.goto(desk.url);
    await expect(page.getByTestId('mode')).not.toHaveText('—');
    await expect(page.getByTestId('stale-prices')).toHaveCount(0);

    // A new symbol in the MM bucket (the LT band is untouched), with no truth tick: valued at its average cost.
    const csv = join(desk.dir, 'new-line.csv');
    writeFileSync(csv, 'bucket,symbol,qty,avg_cost\nMM,ZZST,100,25.00\n');
    expect(JSON.parse(bandctl(['import-positions', '--db', desk.db, csv]).toString())).toEqual({ imported: 1 });

    // The console notices the other process's commit and pushes the status: the badge appears.
    const badge = page.getByRole('link', { name: '1 stale: prices without a fresh truth tick', exact: true });
    await expect(badge).toBeVisible({ timeout: 20_000 });
    await expect(badge).toHaveAttribute('title', /ZZST/);
    await expect(badge).toHaveAccessibleDescription(/ZZST/);

    // It leads to the Positions screen, where that line (and only that one) is marked.
    await badge.click();
    await expect(page.getByRole('region', { name: 'Positions', exact: true })).toBeVisible();
    const grid = page.getByRole('region', { name: 'Positions grid' });
    const zzst = grid.getByRole('row').filter({ hasText: 'ZZST' });
    await expect(zzst.locator('.stale-tag')).toHaveText('stale');
    await expect(zzst.locator('.stale-tag')).toHaveAttribute('title', /never priced/);
    await expect(grid.locator('.stale-tag')).toHaveCount(1);
    await expect(grid.getByRole('row').filter({ hasText: 'AAPL' }).locator('.stale-tag')).toHaveCount(0);
    await expect(page.getByTestId('stale-lines')).toContainText('1 stale');
    await shot(page, 'positions-stale');

    // A second line imported while the Positions screen is open: it appears, marked, without leaving the screen.
    writeFileSync(csv, 'bucket,symbol,qty,avg_cost\nMM,ZZSU,50,10.00\n');
    bandctl(['import-positions', '--db', desk.db, csv]);
    await expect(page.getByRole('link', { name: '2 stale: prices without a fresh truth tick', exact: true })).toBeVisible({ timeout: 20_000 });
    await expect(grid.getByRole('row').filter({ hasText: 'ZZSU' }).locator('.stale-tag')).toHaveText('stale');
    await expect(grid.locator('.stale-tag')).toHaveCount(2);

    // Truth ticks for them: fresh again, the badge and the markers go.
    writeFileSync(join(desk.dir, 'zzst.csv'), 'symbol,price\nZZST,26.00\nZZSU,10.50\n');
    bandctl(['prices', '--db', desk.db, '--config', desk.config, join(desk.dir, 'zzst.csv')]);
    await expect(page.getByTestId('stale-prices')).toHaveCount(0, { timeout: 20_000 });
    await expect(grid.locator('.stale-tag')).toHaveCount(0);
    expect(errors, errors.join('\n')).toEqual([]);
  });
});

test.describe('approval re-validates', () => {
  let desk: Desk;
  test.beforeAll(async () => {
    desk = await openDesk();
  });
  test.afterAll(async () => {
    await desk?.close();
  });

  test('a decrease larger than the position is clamped, one on a flat position is superseded; the toasts say so', async ({ page }) => {
    const errors = pageErrors(page);
    const [clampMe, flatMe] = desk.created;
    for (const i of [clampMe, flatMe]) expect(i?.classification, 'the demo book is LT-long heavy: the intents sell LT longs').toBe('LT_LONG_DECREASE');
    const book = JSON.parse(bandctl(['positions', '--db', desk.db, '--json']).toString()) as { bucket: string; symbol: string; qty: number; avg_cost: number }[];
    const held = book.find((p) => p.bucket === 'LT' && p.symbol === clampMe.symbol)!;
    const left = Math.floor(clampMe.qty / 2);
    expect(left).toBeGreaterThan(0);
    // Meanwhile (another venue, an import): the first position shrank below its intent, the second went flat, and a
    // new LT long (never priced: at its average cost) keeps the band out, so neither intent is superseded for that.
    const csv = join(desk.dir, 'moved.csv');
    writeFileSync(csv, `bucket,symbol,qty,avg_cost\nLT,${clampMe.symbol},${left},${held.avg_cost.toFixed(2)}\nLT,${flatMe.symbol},0,0\nLT,ZZLG,20000,200.00\n`);
    bandctl(['import-positions', '--db', desk.db, csv]);

    await page.goto(desk.url);
    await nav(page, 'Approvals');
    await row(page, clampMe).getByRole('button', { name: 'Approve', exact: true }).click();
    await expect(row(page, clampMe)).toHaveCount(0);
    await expect(page.locator('.toast.ok').filter({ hasText: 'Approved 1 intent' })).toBeVisible();
    await expect(page.locator('.toast.info').filter({ hasText: clampMe.id })).toContainText(`qty clamped from ${clampMe.qty} to ${left}`);
    await expect(order(page, clampMe).cells.getByRole('gridcell').nth(2)).toHaveText(int.format(left));
    expect(intentsByCli(desk, 'WORKING').find((i) => i.id === clampMe.id)?.qty).toBe(left);

    await row(page, flatMe).getByRole('button', { name: 'Approve', exact: true }).click();
    await expect(row(page, flatMe)).toHaveCount(0);
    const superseded = page.locator('.toast.info').filter({ hasText: `intent ${flatMe.id} is SUPERSEDED` });
    await expect(superseded).toContainText(`LT ${flatMe.symbol} is flat now`);
    expect(intentsByCli(desk, 'SUPERSEDED').map((i) => i.id)).toContain(flatMe.id);
    await expect(order(page, flatMe).cells).toHaveCount(0);
    await page.screenshot({ path: shotPath('approval-revalidated') });
    // A long message wraps inside its toast, within the toasts' column.
    const [box, column] = [await superseded.boundingBox(), await page.locator('.toasts').boundingBox()];
    expect(box!.x + box!.width).toBeLessThanOrEqual(column!.x + column!.width + 1);
    expect(box!.height, 'wrapped on several lines').toBeGreaterThan(40);
    expect(errors, errors.join('\n')).toEqual([]);
  });
});

test.describe('an invalid risk_rules.yaml at the start', () => {
  let desk: Desk;
  let served: Awaited<ReturnType<typeof startServe>>;
  test.beforeAll(async () => {
    desk = await openDesk({ serve: false });
    writeFileSync(desk.config, 'buckets:\n  LT:\n    band_drift:\n      tolerance_dayz: 2\n');
    served = await startServe(desk.db, desk.config);
  });
  test.afterAll(async () => {
    if (served) await stop(served.child);
    await desk?.close();
  });

  test('a console started on it: nothing proposed or approved, and an approval says why', async ({ page }) => {
    const errors = pageErrors(page);
    await page.goto(served.url);
    const alert = page.getByRole('alert');
    await expect(alert).toContainText('risk_rules.yaml is invalid — nothing is proposed or approved until it is fixed: ');
    await expect(alert).toContainText('tolerance_dayz');
    await nav(page, 'Approvals');
    const [x] = desk.created;
    await row(page, x).getByRole('button', { name: 'Approve', exact: true }).click();
    const refusal = page.locator('.toast.error').filter({ hasText: x.id });
    await expect(refusal).toContainText('nothing is approved until it is valid');
    await expect(row(page, x)).toBeVisible();
    expect(intentsByCli(desk, 'PENDING', false).map((i) => i.id)).toContain(x.id);
    await page.screenshot({ path: shotPath('config-none') });
    expect(errors, errors.join('\n')).toEqual([]);
  });
});
