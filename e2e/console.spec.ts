// The console in Debian's Chromium against `bandctl serve` (the browser host).
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { openDesk, type Desk } from './desk';
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
