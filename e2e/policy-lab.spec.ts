// The Policy lab (issue #16) in Debian's Chromium against `bandctl serve`: open it with its key, see the live config
// in editor A, break and then edit the tolerance in B (the error shows at its line as you type), run over the default
// month, see both LT long % paths with the bands, the totals side by side and the day-by-day table, export CSV and
// JSON (equal to what the replay answered), cancel a long run, and no serious or critical axe violation.
// Screenshot: artifacts/screenshots/policy-lab.png.
import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { openDesk, shotPath, type Desk } from './desk';
import { expect, test, type Page } from './fixtures';

let desk: Desk;

test.beforeAll(async () => {
  desk = await openDesk();
});
test.afterAll(async () => {
  await desk?.close();
});

/** axe on the lab as it is: no serious or critical violation. */
async function axe(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).include('[aria-label="Policy lab"]').analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  expect(bad, `${what}:\n${bad.join('\n')}`).toEqual([]);
}

async function download(page: Page, name: string): Promise<{ filename: string; text: string }> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name, exact: true }).click()]);
  return { filename: d.suggestedFilename(), text: readFileSync((await d.path())!, 'utf8') };
}

test('policy lab: edit B, run A vs B, both paths, totals, days, exports, cancel, axe', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
  await page.goto(desk.url);
  await expect(page.getByTestId('mode')).not.toHaveText('—');

  // key 6 opens the lab; A holds the live config, checked valid
  await page.keyboard.press('6');
  const lab = page.getByRole('region', { name: 'Policy lab', exact: true });
  await expect(lab).toBeVisible();
  const live = readFileSync(desk.config, 'utf8');
  const editorA = lab.getByRole('textbox', { name: 'Config A (YAML)' });
  const editorB = lab.getByRole('textbox', { name: 'Config B (YAML)' });
  await expect(editorA).toHaveValue(live);
  await expect(editorB).toHaveValue(live);
  const panelA = lab.getByRole('region', { name: 'Config A', exact: true });
  const panelB = lab.getByRole('region', { name: 'Config B', exact: true });
  await expect(panelA.getByText('valid', { exact: true })).toBeVisible();
  await expect(panelB.getByText('valid', { exact: true })).toBeVisible();
  // the default period: a month of trading days before today
  const from = await lab.getByLabel('From', { exact: true }).inputValue();
  const to = await lab.getByLabel('To', { exact: true }).inputValue();
  expect(from).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(to > from).toBe(true);
  await axe(page, 'the lab before a run');

  // an invalid tolerance in B: the error shows at its line, and Run refuses until it is fixed
  const line = live.split('\n').findIndex((l) => /tolerance_days: 2\b/.test(l)) + 1;
  expect(line).toBeGreaterThan(0);
  await editorB.fill(live.replace(/tolerance_days: 2\b/, 'tolerance_days: -1'));
  await expect(panelB.getByText('1 error', { exact: true })).toBeVisible();
  const errorsB = lab.getByRole('list', { name: 'Config B errors' });
  await expect(errorsB).toContainText(`line ${line}`);
  await expect(errorsB).toContainText('buckets.LT.band_drift.tolerance_days');
  await expect(errorsB).toContainText('must not be negative');
  await expect(panelB.locator('.gutter .ln.err')).toHaveText(String(line));
  await expect(editorB).toHaveAttribute('aria-invalid', 'true');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.locator('.toast.error')).toContainText('Fix config B first');
  await axe(page, 'config B with an error');

  // tolerance 0 in B: valid, and the run compares 2 days of tolerance (A, live) with none (B)
  await editorB.fill(live.replace(/tolerance_days: 2\b/, 'tolerance_days: 0'));
  await expect(panelB.getByText('valid', { exact: true })).toBeVisible();
  await expect(errorsB.getByRole('listitem')).toHaveCount(0);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const chart = lab.getByTestId('lab-chart');
  await expect(chart).toBeVisible({ timeout: 60_000 });
  // both LT long % paths and both bands
  await expect(chart.locator('.recharts-line-curve')).toHaveCount(2);
  await expect(chart.locator('.recharts-reference-area')).toHaveCount(2);
  await expect(chart).toHaveAttribute('aria-label', /Config A: .* band 60\.0% – 70\.0%.*Config B: /);

  // the totals side by side, and B - A
  const totals = lab.getByTestId('lab-totals');
  await expect(totals.getByRole('columnheader')).toHaveText(['Total', 'A', 'B', 'B − A']);
  await expect(totals.getByRole('row', { name: /^Tolerance/ })).toHaveText(/Tolerance\s*2 d\s*0 d/);
  const days = Number((await totals.getByRole('row', { name: /^Trading days/ }).getByRole('cell').first().innerText()).replace(/,/g, ''));
  expect(days).toBeGreaterThanOrEqual(19);
  await expect(totals.getByRole('row', { name: /^Turnover/ })).toContainText('$');

  // the day-by-day grid: one row per trading day, numbers right-aligned
  const grid = lab.getByRole('region', { name: 'Per-day table' });
  await expect(grid.getByRole('row').filter({ hasText: from }).first()).toBeVisible();
  await expect(grid.locator('.ag-row[row-id]').first()).toBeVisible();
  await expect(grid.getByRole('columnheader', { name: 'Config A' })).toBeVisible();
  await expect(grid.getByRole('columnheader', { name: 'Config B' })).toBeVisible();
  const cell = grid.locator('.ag-row .ag-cell.num').first();
  expect(await cell.evaluate((el) => getComputedStyle(el).textAlign)).toBe('right');

  // exports: CSV of the days (A then B) and JSON of the comparison {a, b}
  const csv = await download(page, 'Export CSV');
  expect(csv.filename).toBe(`replay_${from}_${to}.csv`);
  const rows = csv.text.trimEnd().split('\n');
  expect(rows[0]).toBe('config,date,status,long_pct,short_pct,gross_pct,days_in_violation,intents,fills,turnover_notional');
  expect(rows.length).toBe(1 + 2 * days);
  expect(rows.filter((r) => r.startsWith('B,')).length).toBe(days);
  const json = await download(page, 'Export JSON');
  expect(json.filename).toBe(`replay_${from}_${to}.json`);
  const cmp = JSON.parse(json.text) as { a: { config: { tolerance_days: number }; days: unknown[]; totals: { intents: number } }; b: typeof cmp.a };
  expect(cmp.a.config.tolerance_days).toBe(2);
  expect(cmp.b.config.tolerance_days).toBe(0);
  expect(cmp.a.days.length).toBe(days);
  expect(cmp.b.days.length).toBe(days);
  expect(cmp.b.totals.intents).toBeGreaterThanOrEqual(cmp.a.totals.intents);

  await expect(page.locator('.toast')).toHaveCount(0, { timeout: 15_000 });
  await page.screenshot({ path: shotPath('policy-lab') });
  await grid.scrollIntoViewIfNeeded();
  await page.screenshot({ path: shotPath('policy-lab-days') });

  await axe(page, 'the lab with its results');

  // a long run (twenty years, both configs) shows its progress and stops on Cancel; the last results stay
  // (keyboard only: Ctrl+Enter from the date field runs, Esc cancels)
  await lab.getByLabel('From', { exact: true }).fill('2006-01-03');
  await page.keyboard.press('Control+Enter');
  const bar = lab.getByRole('progressbar', { name: 'Replay progress' });
  await expect(bar).toBeVisible();
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000 }).toBeGreaterThan(0);
  await page.screenshot({ path: shotPath('policy-lab-running') });
  await page.keyboard.press('Escape');
  await expect(page.locator('.toast')).toContainText('Replay cancelled');
  await expect(bar).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
  await expect(totals.getByRole('row', { name: /^Tolerance/ })).toHaveText(/Tolerance\s*2 d\s*0 d/);

  // the cancelled run's answer is an HTTP 409 (CONFLICT: canceled), which Chromium logs as a failed resource
  const unexpected = errors.filter((e) => !/status of 409 \(Conflict\)/.test(e));
  expect(unexpected, unexpected.join('\n')).toEqual([]);
  expect(errors.length - unexpected.length).toBe(1);
});
