// Accessibility (issue #12): axe over each of the five first screens (the Policy lab has its own in policy-lab.spec.ts) at 1440×900, on the first-run desk with pending
// intents and on an empty book (no positions, nothing pending: the empty states), with no violation of impact
// serious or critical. No rule is disabled.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { openDesk, openEmptyDesk, shotPath, type Desk } from './desk';
import { nav } from './flow';

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

test('axe: the five screens with pending intents (first run), no serious or critical violation', async ({ page }) => {
  const desk = await openDesk();
  try {
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
  } finally {
    await desk.close();
  }
});

test('axe: the five screens of an empty book (nothing pending, the empty states), no serious or critical violation', async ({ page }) => {
  const desk = await openEmptyDesk();
  try {
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
  } finally {
    await desk.close();
  }
});
