// An order approved outside the session (issue #20), in Debian's Chromium against `bandctl serve`: on a Saturday the
// console proposes for Monday's session; approving in the UI stages the order ("releases Mon 09:30", nothing at the
// broker). The console is closed over the weekend and started again on Monday at 09:31 on the same book (BAND_NOW):
// it releases the staged order at that start, after the approval's checks against the book of then, so the order is
// WORKING at the paper broker; a tick that crosses its limit fills it, and Monday's EOD report has the fill. The page
// keeps its browser clock on Saturday throughout: the console shows the restarted process's Monday.
// Screenshots: artifacts/screenshots/staged-saturday.png, staged-released.png.
import { DateTime } from 'luxon';
import type { IntentView } from '../src/shared/types';
import { AT, bandctl, fillingTick, openDesk, pinClock, startServe, stop, type Desk } from './desk';
import { expect, test } from './fixtures';
import { nav, row, shot } from './flow';

/** The console's next start: Monday 2026-12-14, a minute after the open. */
const MONDAY = '2026-12-14T09:31:00-05:00';
const MONDAY_OPEN = DateTime.fromISO('2026-12-14T09:30:00', { zone: 'America/New_York' }).toMillis();

function intentByCli(desk: Desk, id: string): IntentView {
  const all = JSON.parse(bandctl(['intents', '--db', desk.db, '--status', 'ALL', '--json']).toString()) as IntentView[];
  return all.find((i) => i.id === id)!;
}

test.describe('an order staged on a Saturday', () => {
  let desk: Desk;
  let restarted: Awaited<ReturnType<typeof startServe>> | null = null;
  test.beforeAll(async () => {
    desk = await openDesk({ at: AT.SATURDAY });
  });
  test.afterAll(async () => {
    if (restarted) await stop(restarted.child);
    await desk?.close();
  });

  test("approved on Saturday → STAGED (releases Mon 09:30) → released at the console's start on Monday 09:31 → a tick fills it", async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => (m.type() === 'error' && !/Failed to load resource|ERR_/.test(m.text()) ? errors.push(m.text()) : undefined));
    const [mine] = desk.created;
    expect(intentByCli(desk, mine.id).trading_date, "the intents are for Monday's session").toBe('2026-12-14');

    await page.goto(desk.url);
    await expect(page.getByTestId('session')).toHaveText('Closed (weekend) · next session Mon 12/14 09:30');
    await nav(page, 'Approvals');
    await row(page, mine).getByRole('button', { name: 'Stage', exact: true }).click();
    await expect(row(page, mine)).toHaveCount(0);
    await expect(page.locator('.toast.ok').filter({ hasText: 'Staged 1 intent: released at the open, Mon 2026-12-14 09:30 America/New_York' })).toBeVisible();
    const working = page.getByRole('region', { name: 'Working orders' });
    const line = working.getByRole('row').filter({ hasText: mine.id });
    await expect(line.locator('[col-id="status"]')).toHaveText('STAGED releases Mon 09:30');
    await expect(working.getByTestId('working-count')).toHaveText('0 working · 1 staged');
    const staged = intentByCli(desk, mine.id);
    expect(staged.status).toBe('STAGED');
    expect(staged.releases_at).toBe(MONDAY_OPEN);
    await shot(page, 'staged-saturday');

    // The console is closed over the weekend, and started again on Monday at 09:31 on the same book.
    const token = new URL(desk.url).searchParams.get('token')!;
    await stop(desk.serve!);
    pinClock(MONDAY);
    restarted = await startServe(desk.db, desk.config, { token });
    // Released at that start: re-validated, then an order at the paper broker.
    await expect.poll(() => intentByCli(desk, mine.id).status, { timeout: 20_000 }).toBe('WORKING');
    const audit = JSON.parse(bandctl(['audit', '--db', desk.db, mine.id, '--json']).toString()) as { from: string | null; to: string; actor: string; reason: string }[];
    expect(audit.map((a) => `${a.from ?? '-'}>${a.to}`)).toEqual(['->PENDING', 'PENDING>STAGED', 'STAGED>APPROVED', 'APPROVED>WORKING']);
    const release = audit.find((a) => a.to === 'APPROVED')!;
    expect(release.actor).toBe('engine');
    expect(release.reason).toMatch(/^released .*re-validated against the book/);

    // The page follows the restarted console: Monday's time and session, though the browser's clock is still on Saturday.
    await page.goto(restarted.url);
    // eslint-disable-next-line no-restricted-syntax -- the page's own clock (page.clock, pinned), read to show that it differs from the console's
    expect(await page.evaluate(() => new Date().toISOString().slice(0, 10)), "the browser's own date").toBe('2026-12-12');
    await expect(page.getByTestId('session')).toHaveText('Open · closes 16:00');
    await expect(page.getByTestId('clock-date')).toHaveText('Mon 2026-12-14');
    await expect(page.getByTestId('clock')).toHaveText(/^09:3\d:\d\d EST$/);
    await nav(page, 'Approvals');
    await expect(page.getByTestId('session-banner')).toHaveCount(0);
    await expect(line.locator('[col-id="status"]')).toHaveText('WORKING');
    await expect(working.getByTestId('working-count')).toHaveText('1 working');
    await shot(page, 'staged-released');

    // A tick that crosses its limit (another process, as a price feed would): the paper broker fills it.
    bandctl(['prices', '--db', desk.db, '--config', desk.config, fillingTick(desk.dir, mine)]);
    await expect.poll(() => intentByCli(desk, mine.id).status, { timeout: 20_000 }).toBe('FILLED');
    await expect(line).toHaveCount(0);
    const report = JSON.parse(bandctl(['report', '--db', desk.db, '--date', '2026-12-14', '--format', 'json']).toString()) as { by_symbol: Record<string, { classifications: string[] }> };
    expect(report.by_symbol[mine.symbol]?.classifications).toContain(mine.classification);
    await nav(page, 'Activity');
    await expect(page.getByRole('region', { name: 'Intent history' }).getByRole('row').filter({ hasText: mine.id }).filter({ hasText: 'FILLED' })).toBeVisible();
    expect(errors, errors.join('\n')).toEqual([]);
  });
});
