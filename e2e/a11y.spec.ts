// Accessibility (issues #12, #20): axe over each of the five first screens (the Policy lab has its own in
// policy-lab.spec.ts) at 1440×900, on the first-run desk with pending intents, on an empty book (no positions, nothing
// pending: the empty states), and outside the session (a Saturday: the header's session and simulated clock, the
// Approvals note, the Stage buttons, a staged order), with no violation of impact serious or critical. No rule is
// disabled.
import AxeBuilder from '@axe-core/playwright';
import { AT, openDesk, openEmptyDesk, shotPath, type Desk } from './desk';
import { expect, test, type Page } from './fixtures';
import { nav, row } from './flow';

const SCREENS = ['Overview', 'Approvals', 'Reports', 'Positions', 'Activity'] as const;

async function audit(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  if (process.env.BAND_AXE_ALL) for (const v of r.violations) console.log(`${what}: ${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  const bad = r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} ${n.failureSummary?.split('\n')[1]?.trim() ?? ''}`).join(' | ')}`);
  expect(bad, `${what}:\n${bad.join('\n')}`).toEqual([]);
}

async function auditScreens(page: Page, desk: Desk, ready: Record<(typeof SCREENS)[number], (p: Page) => Promise<void>>, label: string, shots?: string) {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(desk.url);
  await expect(page.getByTestId('mode')).not.toHaveText('—');
  for (const screen of SCREENS) {
    await nav(page, screen);
    await ready[screen](page);
    await audit(page, `${label}: ${screen}`);
    if (shots && screen !== 'Reports' && screen !== 'Activity') await page.screenshot({ path: shotPath(`${shots}${screen.toLowerCase()}`) });
  }
}

test.describe('a desk with pending intents (first run)', () => {
  let desk: Desk;
  test.beforeAll(async () => {
    desk = await openDesk();
  });
  test.afterAll(async () => {
    await desk?.close();
  });

  test('axe: the five screens with pending intents (first run), no serious or critical violation', async ({ page }) => {
    await auditScreens(
      page,
      desk,
      {
        Overview: async (p) => void (await expect(p.getByTestId('band-chart')).toBeVisible()),
        Approvals: async (p) => void (await expect(p.getByTestId('pending-count')).toHaveText(/^[1-9]/)),
        Reports: async (p) => void (await expect(p.getByTestId('report-day')).toContainText('lines')),
        Positions: async (p) => void (await expect(p.getByRole('region', { name: 'Positions grid' }).getByRole('row').filter({ hasText: 'AAPL' })).toBeVisible()),
        Activity: async (p) => void (await expect(p.getByRole('region', { name: 'Intent history' }).getByText('PENDING').first()).toBeVisible()),
      },
      'pending intents',
    );
  });
});

test.describe('outside the session (a Saturday)', () => {
  let desk: Desk;
  test.beforeAll(async () => {
    desk = await openDesk({ at: AT.SATURDAY });
  });
  test.afterAll(async () => {
    await desk?.close();
  });

  test('axe: the session, the simulated clock, the Approvals note, Stage and a staged order, no serious or critical violation', async ({ page }) => {
    await auditScreens(
      page,
      desk,
      {
        Overview: async (p) => {
          await expect(p.getByTestId('session')).toHaveText(/^Closed \(weekend\) · next session /);
          await expect(p.getByTestId('simulated-clock')).toBeVisible();
        },
        Approvals: async (p) => {
          await expect(p.getByTestId('session-banner')).toBeVisible();
          // one staged: the working orders panel shows it (its status, its release, its Cancel)
          await row(p, desk.created[0]).getByRole('button', { name: 'Stage', exact: true }).click();
          await expect(p.getByTestId('working-count')).toHaveText('0 working · 1 staged');
          await expect(p.locator('.toast')).toHaveCount(0, { timeout: 15_000 });
        },
        Reports: async (p) => void (await expect(p.getByTestId('report-day')).toContainText('lines')),
        Positions: async (p) => void (await expect(p.getByRole('region', { name: 'Positions grid' }).getByRole('row').filter({ hasText: 'AAPL' })).toBeVisible()),
        Activity: async (p) => void (await expect(p.getByRole('region', { name: 'Intent history' }).getByText('STAGED').first()).toBeVisible()),
      },
      'outside the session',
      'closed-',
    );
  });
});

test.describe('an empty book', () => {
  let desk: Desk;
  test.beforeAll(async () => {
    desk = await openEmptyDesk();
  });
  test.afterAll(async () => {
    await desk?.close();
  });

  test('axe: the five screens of an empty book (nothing pending, the empty states), no serious or critical violation', async ({ page }) => {
    const empty = async (p: Page) => void (await expect(p.getByTestId('empty-book')).toBeVisible());
    await auditScreens(
      page,
      desk,
      {
        Overview: empty,
        Approvals: async (p) => {
          await expect(p.getByTestId('pending-count')).toHaveText('0 pending');
          await expect(p.getByText(/the book has no positions yet/)).toBeVisible();
        },
        Reports: async (p) => void (await expect(p.getByTestId('report-day')).toContainText('lines')),
        Positions: empty,
        Activity: async (p) => void (await expect(p.getByRole('region', { name: 'Engine cycles' }).getByRole('row').nth(1)).toBeVisible()),
      },
      'empty book',
      'empty-book-',
    );
    await expect(page.getByTestId('demo-badge')).toHaveCount(0);
  });
});
