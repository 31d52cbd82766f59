// The first start (issue #12): `bandctl init --demo` seeds ten trading days of band history, the violation from two
// trading days before today and a few paper fills, and the console's own first cycle today is CORRECTING. Right
// after `bandctl serve`: the header says "demo book", Approvals shows the intents that cycle proposed (nothing was
// evaluated by hand), Overview's band chart shows the ten days with the band, and Reports shows the seeded fills on
// the previous trading day (reached with ◀, which steps by trading days) and today's once their time has passed.
// Screenshots of the five screens: artifacts/screenshots/first-run-<screen>.png.
import { expect, test, type Page } from '@playwright/test';
import { DateTime } from 'luxon';
import { openDesk, type Desk } from './desk';
import { nav, row, shot } from './flow';

// The NYSE's full-day closures as the exchange published them: written out here, independently of the project's
// rule-based calendar (src/shared/nyse.ts), to check the console's trading-day stepping against.
const NYSE_CLOSED = new Set([
  ...['2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27', '2025-12-25'],
  ...['2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25'],
  ...['2027-01-01', '2027-01-18', '2027-02-15', '2027-03-26', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-11-25', '2027-12-24'],
  ...['2028-01-17', '2028-02-21', '2028-04-14', '2028-05-29', '2028-06-19', '2028-07-04', '2028-09-04', '2028-11-23', '2028-12-25'],
]);
const KNOWN_YEARS = [2025, 2026, 2027, 2028];
// NYSE early closes (1:00 p.m.) as published for 2025–2027 (2028: the day after Thanksgiving, Christmas Eve is a Sunday)
const NYSE_EARLY = new Set(['2025-07-03', '2025-11-28', '2025-12-24', '2026-11-27', '2026-12-24', '2027-11-26', '2028-07-03', '2028-11-24']);

function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}
function trades(date: string): boolean {
  if (!KNOWN_YEARS.includes(Number(date.slice(0, 4)))) throw new Error(`e2e/first-run: add the NYSE holidays of ${date.slice(0, 4)} to NYSE_CLOSED`);
  const [y, m, d] = date.split('-').map(Number);
  const dow = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return dow !== 0 && dow !== 6 && !NYSE_CLOSED.has(date);
}
function previous(date: string): string {
  let d = addDays(date, -1);
  while (!trades(d)) d = addDays(d, -1);
  return d;
}
const latest = (date: string) => (trades(date) ? date : previous(date));

/** The seeded fills (src/main/services/demo.ts): three on the previous trading day, two this morning (New York). */
const PREVIOUS_FILLS = ['TSLA', 'SPY', 'JPM'];
const TODAY_FILLS: [string, string][] = [
  ['NVDA', '09:41'],
  ['QQQ', '09:52'],
];

async function reportSymbols(page: Page): Promise<string[]> {
  const grid = page.getByRole('region', { name: 'By symbol', exact: true });
  await expect(grid.locator('.ag-overlay-loading-center')).toHaveCount(0);
  return (await grid.locator('[role="gridcell"][col-id="symbol"]').allTextContents()).sort();
}

let desk: Desk;
let startedNy: DateTime;

test.beforeAll(async () => {
  startedNy = DateTime.now().setZone('America/New_York');
  desk = await openDesk();
});
test.afterAll(async () => {
  await desk?.close();
});

test('first start: demo badge, the intents of the first cycle, ten days of band history, the seeded fills by trading day', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
  const today = startedNy.toISODate()!;
  const tradingToday = trades(today);
  if (!tradingToday) console.log(`e2e/first-run: ${today} is not a trading day: the first cycle proposes nothing, the desk's intents came from bandctl evaluate`);
  expect(desk.origin).toBe(tradingToday ? 'first-cycle' : 'evaluate');

  await page.goto(desk.url);
  await expect(page.getByTestId('demo-badge')).toHaveText('demo book');
  await expect(page).toHaveTitle(`(${desk.created.length}) Band Console`);

  // Overview: ten trading days of history, the allowed bands shaded, the book out of band and CORRECTING.
  const day0 = latest(today);
  let first = day0;
  for (let i = 0; i < 9; i++) first = previous(first);
  const chart = page.getByTestId('band-chart');
  await expect(chart).toHaveAttribute('aria-label', new RegExp(`^Band history: [0-9,]+ evaluations from ${first} to ${today}; LT long % 77\\.4% now, band 60\\.0% – 70\\.0%`));
  const points = Number((await chart.getAttribute('aria-label'))!.match(/: ([0-9,]+) evaluations/)![1].replace(/,/g, ''));
  // four a day (10:00, 12:00, 14:00, 15:45) over nine past sessions, two on an early close (13:00), and today's
  let expected = 1;
  for (let d = first; d < day0; d = addDays(d, 1)) if (trades(d)) expected += NYSE_EARLY.has(d) ? 2 : 4;
  expect(points, 'the seeded history and today').toBeGreaterThanOrEqual(expected);
  await expect(page.getByRole('group', { name: 'History range' }).getByRole('button', { name: '1M' })).toHaveAttribute('aria-pressed', 'true');
  await expect(chart.locator('.recharts-reference-area')).toHaveCount(2);
  await expect(chart.locator('.recharts-line-curve')).toHaveCount(3);
  await expect(page.getByRole('region', { name: 'Controller' }).locator('.pill')).toHaveText('CORRECTING');
  await expect(page.getByRole('region', { name: 'Engine cycles' })).toContainText('(demo history)');
  await shot(page, 'first-run-overview');

  // Approvals: the queue holds what the first cycle proposed.
  await nav(page, 'Approvals');
  expect(desk.created.length).toBeGreaterThan(0);
  for (const i of desk.created) await expect(row(page, i)).toBeVisible();
  await shot(page, 'first-run-approvals');

  // Reports: the latest trading day first, with this morning's fills once their time has passed (all of them when
  // today is no trading day: the demo's "today" is then the last session).
  await nav(page, 'Reports');
  const dateInput = page.getByLabel('Report date');
  await expect(dateInput).toHaveValue(day0);
  const minutes = startedNy.hour * 60 + startedNy.minute;
  const todays = TODAY_FILLS.filter(([, at]) => !tradingToday || minutes >= Number(at.slice(0, 2)) * 60 + Number(at.slice(3)))
    .map(([s]) => s)
    .sort();
  if (todays.length) await expect.poll(() => reportSymbols(page)).toEqual(todays);
  else await expect(page.getByRole('region', { name: 'By symbol', exact: true })).toContainText('No fills on this date');

  // ◀ steps by trading days: to the previous session and its three fills…
  const back = page.getByRole('button', { name: 'Previous trading day' });
  await back.click();
  const prev = previous(day0);
  await expect(dateInput).toHaveValue(prev);
  await expect.poll(() => reportSymbols(page)).toEqual([...PREVIOUS_FILLS].sort());
  await expect(page.getByTestId('report-day')).toContainText(DateTime.fromISO(prev).toFormat('cccc'));
  await shot(page, 'first-run-reports');
  // … and on, over a weekend or a holiday, each step landing where the exchange's published calendar says.
  let at = prev;
  let skipped = false;
  for (let i = 0; i < 6 && !skipped; i++) {
    const want = previous(at);
    skipped = want !== addDays(at, -1);
    await back.click();
    await expect(dateInput).toHaveValue(want);
    at = want;
  }
  expect(skipped, 'a weekend or a holiday was stepped over').toBe(true);
  // ▶ and the key ] step forward the same way; the date picker still takes any date.
  await page.getByRole('button', { name: 'Next trading day' }).click();
  await page.keyboard.press(']');
  let fwd = at;
  for (let i = 0; i < 2; i++) {
    fwd = addDays(fwd, 1);
    while (!trades(fwd)) fwd = addDays(fwd, 1);
  }
  await expect(dateInput).toHaveValue(fwd);
  await dateInput.fill(prev);
  await expect.poll(() => reportSymbols(page)).toEqual([...PREVIOUS_FILLS].sort());

  await nav(page, 'Positions');
  await expect(page.getByRole('region', { name: 'Positions grid' }).getByRole('row').filter({ hasText: 'AAPL' })).toBeVisible();
  await shot(page, 'first-run-positions');

  await nav(page, 'Activity');
  await expect(page.getByRole('region', { name: 'Intent history' }).getByRole('row').filter({ hasText: desk.created[0].id })).toBeVisible();
  await shot(page, 'first-run-activity');
  expect(errors, errors.join('\n')).toEqual([]);
});
