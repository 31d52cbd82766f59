// The console in Debian's Chromium against `bandctl serve` (the browser host), at the desk's pinned instant (a
// Tuesday session, e2e/desk.ts AT.OPEN).
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { deskNow, openDesk, type Desk } from './desk';
import { expect, test } from './fixtures';
import { traderFlow } from './flow';

let desk: Desk;

test.beforeAll(async () => {
  desk = await openDesk();
});
test.afterAll(async () => {
  await desk?.close();
});

test('serve refuses requests without the token', async ({ request }) => {
  const base = desk.url.replace(/\?token=.*$/, '');
  expect((await request.get(base)).status()).toBe(401);
  expect((await request.post(`${base}api/app:status`, { data: {} })).status()).toBe(401);
  expect((await request.post(`${base}api/app:status`, { data: {}, headers: { 'x-band-token': new URL(desk.url).searchParams.get('token')! } })).status()).toBe(200);
});

test("the header shows the process's time and session, whatever the browser's clock says", async ({ page }) => {
  // The browser's clock half a year away, at night, on another date: the console shows the desk's time (BAND_NOW).
  await page.clock.setSystemTime('2027-06-15T03:07:00Z');
  await page.goto(desk.url);
  // eslint-disable-next-line no-restricted-syntax -- the page's own clock (page.clock, pinned), read to show that it differs from the console's
  expect(await page.evaluate(() => new Date().toISOString().slice(0, 10)), "the browser's own date").toBe('2027-06-15');
  await expect(page.getByTestId('session')).toHaveText('Open · closes 16:00');
  const ny = DateTime.fromMillis(deskNow(), { zone: 'America/New_York' });
  await expect(page.getByTestId('clock-date')).toHaveText(`${ny.setLocale('en-US').toFormat('ccc')} ${ny.toISODate()}`);
  await expect(page.getByTestId('clock')).toHaveText(/^\d\d:\d\d:\d\d EST$/);
  const shown = async () => {
    const [date, time] = [(await page.getByTestId('clock-date').textContent())!.slice(4), (await page.getByTestId('clock').textContent())!.slice(0, 8)];
    return DateTime.fromISO(`${date}T${time}`, { zone: 'America/New_York' }).toMillis();
  };
  await expect.poll(async () => Math.abs((await shown()) - deskNow()), { message: "the desk's time, to the second" }).toBeLessThan(3000);
  // and it runs: the clock advances with the process's time
  const first = await shown();
  await expect.poll(shown, { timeout: 5000 }).toBeGreaterThan(first);
  await expect(page.getByTestId('simulated-clock')).toBeVisible();
});

test('trader flow: queue → approve / reject → audit → fill → EOD report → exports', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
  await page.goto(desk.url);
  // the token leaves the address bar once the session cookie is set
  await expect.poll(() => page.url()).not.toContain('token=');
  await traderFlow(
    page,
    desk,
    async (p, button, filename) => {
      const [download] = await Promise.all([p.waitForEvent('download'), button.click()]);
      expect(download.suggestedFilename()).toBe(filename);
      return readFileSync((await download.path())!);
    },
    '',
  );
  expect(errors, errors.join('\n')).toEqual([]);
});

// A frozen clock (BAND_NOW=<instant>@frozen) before the open: the console's time stands still at that instant, the
// header says so, the session is Tuesday's pre-open (approving stages for 09:30 today), and Reports opens on the last
// session (Monday's), where the latest fills are.
test.describe('a frozen clock before the open', () => {
  let frozen: Desk;
  test.beforeAll(async () => {
    frozen = await openDesk({ at: '2026-12-08T08:00:00-05:00@frozen' });
  });
  test.afterAll(async () => {
    await frozen?.close();
  });

  test('pre-open and frozen: the header says so, the clock stands still, approving stages for today, Reports opens on the last session', async ({ page }) => {
    await page.goto(frozen.url);
    await expect(page.getByTestId('session')).toHaveText('Pre-open · opens 09:30');
    await expect(page.getByTestId('simulated-clock')).toHaveText('simulated clock · frozen');
    await expect(page.getByTestId('simulated-clock')).toHaveAttribute('title', /@frozen/);
    await expect(page.getByTestId('clock-date')).toHaveText('Tue 2026-12-08');
    await expect(page.getByTestId('clock')).toHaveText('08:00:00 EST');
    // the browser's clock runs on; the console's does not
    await page.clock.runFor(3000);
    await expect(page.getByTestId('clock')).toHaveText('08:00:00 EST');
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Approvals', exact: true }).click();
    await expect(page.getByTestId('session-banner')).toContainText("Pre-open · these intents are for today's session, Tue 12/08; approving stages them");
    await expect(page.getByRole('button', { name: 'Stage', exact: true }).first()).toBeVisible();
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Reports', exact: true }).click();
    await expect(page.getByLabel('Report date')).toHaveValue('2026-12-07');
  });
});
