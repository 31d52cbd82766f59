// The trader's day, as one flow the browser and the Electron specs share: the queue shows the engine's intents →
// approve one, reject one with a reason → the audit shows both → a tick fills the approved one → the fill reaches
// the EOD report → each export equals `bandctl report` for that date, byte for byte. Screenshots of every screen.
import { readFileSync, writeFileSync } from 'node:fs';
import { expect, type Locator, type Page } from '@playwright/test';
import { bandctl, deskDate, fillingTick, outsideFills, shotPath, type Desk, type EvalIntent } from './desk';

export type Exporter = (page: Page, button: Locator, filename: string) => Promise<Buffer>;

export async function nav(page: Page, name: 'Overview' | 'Approvals' | 'Reports' | 'Positions' | 'Activity') {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name, exact: true }).click();
  await expect(page.getByRole('region', { name, exact: true })).toBeVisible();
}

/** A screenshot of the whole window once transient toasts have gone (they would hide the data). */
export async function shot(page: Page, name: string): Promise<void> {
  await expect(page.locator('.toast')).toHaveCount(0, { timeout: 12_000 });
  await page.screenshot({ path: shotPath(name) });
}

/** The intent's line in the approval queue (its button says Approve in the session, Stage outside it). */
export function row(page: Page, intent: EvalIntent): Locator {
  return page.getByRole('region', { name: 'Approvals' }).getByRole('row').filter({ hasText: intent.symbol }).filter({ has: page.getByRole('button', { name: /^(Approve|Stage)$/ }) });
}

export async function traderFlow(page: Page, desk: Desk, exporter: Exporter, shots: string | null): Promise<void> {
  const [approveMe, rejectMe] = desk.created;
  expect(approveMe, 'the engine created intents').toBeTruthy();
  expect(rejectMe, 'the engine created at least two intents').toBeTruthy();

  // Overview: the gauges show the out-of-band LT book.
  await expect(page.getByRole('meter', { name: 'LT long %', exact: true })).toBeVisible();
  const longNow = Number(await page.getByRole('meter', { name: 'LT long %', exact: true }).getAttribute('aria-valuenow'));
  const shortNow = Number(await page.getByRole('meter', { name: 'LT short %', exact: true }).getAttribute('aria-valuenow'));
  expect(longNow).toBeGreaterThan(70);
  expect(longNow + shortNow).toBeCloseTo(100, 6);
  await expect(page.getByRole('button', { name: 'Halt', exact: true })).toBeVisible();
  await expect(page.locator('.recharts-surface').first()).toBeVisible();
  await expect(page.locator('.recharts-line-curve')).toHaveCount(3);
  if (shots !== null) await shot(page, `${shots}overview`);

  // Approvals: the queue shows the intents the CLI's evaluation created.
  await nav(page, 'Approvals');
  for (const i of desk.created) await expect(row(page, i)).toBeVisible();
  await row(page, approveMe).getByRole('gridcell').first().click();
  await expect(page.getByText(/1 selected/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Approve selected', exact: true })).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Reject selected', exact: true })).toBeEnabled();
  await expect(page.locator('.preview-row .after')).not.toHaveText('—');
  if (shots !== null) await shot(page, `${shots}approvals`);

  await row(page, approveMe).getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(row(page, approveMe)).toHaveCount(0);
  await row(page, rejectMe).getByRole('button', { name: 'Reject', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByRole('textbox', { name: 'Reject reason' }).fill('e2e: earnings tomorrow, hold');
  await dialog.getByRole('button', { name: 'Confirm reject' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(row(page, rejectMe)).toHaveCount(0);

  // Keyboard: R asks for a reason for the selection, Esc closes the dialog and then clears the selection.
  const third = desk.created[2];
  if (third) {
    await row(page, third).getByRole('gridcell').first().click();
    await expect(page.getByText(/1 selected/)).toBeVisible();
    await page.keyboard.press('r');
    await expect(page.getByRole('dialog')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await page.keyboard.press('Escape');
    await expect(page.getByText('nothing selected')).toBeVisible();
    await expect(row(page, third)).toBeVisible();
  }

  // Fills booked elsewhere reach the same ledger (and two bad events are quarantined, not lost).
  const counts = JSON.parse(bandctl(['ingest', '--db', desk.db, '--config', desk.config, outsideFills(desk.dir)]).toString());
  expect(counts).toEqual({ accepted: 7, duplicates: 0, rejected: 2 });

  // Activity: the audit trail shows both decisions.
  await nav(page, 'Activity');
  await expect(page.getByRole('region', { name: 'Quarantined events' }).getByRole('row').filter({ hasText: 'ext-8' })).toBeVisible();
  const audit = page.getByRole('region', { name: 'Audit trail' });
  await expect(audit.getByRole('row').filter({ hasText: approveMe.id }).filter({ hasText: 'APPROVED' }).first()).toBeVisible();
  await expect(audit.getByRole('row').filter({ hasText: rejectMe.id }).filter({ hasText: 'REJECTED' }).filter({ hasText: 'e2e: earnings tomorrow, hold' })).toBeVisible();

  // A tick that crosses the limit: the paper broker fills it (another process, as a price feed would).
  bandctl(['prices', '--db', desk.db, '--config', desk.config, fillingTick(desk.dir, approveMe)]);
  const date = deskDate();
  await expect
    .poll(() => JSON.parse(bandctl(['report', '--db', desk.db, '--date', date, '--format', 'json']).toString()).by_symbol[approveMe.symbol]?.classifications ?? [], { timeout: 20_000 })
    .toContain(approveMe.classification);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(page.getByRole('region', { name: 'Intent history' }).getByRole('row').filter({ hasText: approveMe.id }).filter({ hasText: 'FILLED' })).toBeVisible();
  if (shots !== null) await shot(page, `${shots}activity`);

  // Reports: the fill is in that day's EOD report.
  await nav(page, 'Reports');
  const dateInput = page.getByLabel('Report date');
  await dateInput.fill(date);
  const bySym = page.getByRole('region', { name: 'By symbol and classification' });
  await expect(bySym.getByRole('row').filter({ hasText: approveMe.symbol }).filter({ hasText: approveMe.classification.replace(/_/g, ' ') }).first()).toBeVisible();
  await expect(page.getByLabel('Totals')).toContainText('$');
  if (shots !== null) await shot(page, `${shots}reports`);

  // Each export equals `bandctl report` for that date, byte for byte.
  for (const [label, format, ext] of [
    ['Export CSV', 'csv', 'csv'],
    ['Export JSON', 'json', 'json'],
    ['Export text', 'text', 'txt'],
  ] as const) {
    const got = await exporter(page, page.getByRole('button', { name: label, exact: true }), `eod_report_${date}.${ext}`);
    const want = bandctl(['report', '--db', desk.db, '--date', date, '--format', format]);
    expect(got.equals(want), `${label}: ${got.length} bytes vs ${want.length} from bandctl report`).toBe(true);
  }

  // Positions: the fill moved the book.
  await nav(page, 'Positions');
  const posRow = page.getByRole('region', { name: 'Positions grid' }).getByRole('row').filter({ hasText: approveMe.symbol }).first();
  await expect(posRow).toBeVisible();
  if (shots !== null) await shot(page, `${shots}positions`);

  // A broken risk_rules.yaml is pushed to the screen at once (controller suspended), and clears when fixed.
  const good = readFileSync(desk.config);
  writeFileSync(desk.config, 'buckets:\n  LT:\n    band_drift:\n      tolerance_dayz: 2\n');
  await expect(page.getByRole('alert')).toContainText('risk_rules.yaml is invalid', { timeout: 20_000 });
  await expect(page.getByRole('alert')).toContainText('tolerance_dayz');
  // it became invalid while running: the last valid config stays in force, only the controller is suspended
  await expect(page.getByRole('alert')).toContainText('the band controller is suspended; the last valid config stays in force (equity, cap, calendar): ');
  writeFileSync(desk.config, good);
  await expect(page.getByRole('alert')).toHaveCount(0, { timeout: 20_000 });

  // The kill switch and back.
  await page.getByRole('button', { name: 'Halt', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Resume', exact: true })).toBeVisible();
  await expect(page.getByTestId('mode')).toHaveText('HALTED');
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Halt', exact: true })).toBeVisible();
  await expect(page.getByTestId('mode')).not.toHaveText('HALTED');
}
