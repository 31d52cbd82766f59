// The first start (issues #12 and #20), at three instants: during a session (Tue 2026-12-08 10:30 New York), after
// its close (17:30 the same day) and on a Saturday (2026-12-12 11:00). `bandctl init --demo` seeds ten trading days of
// band history through the last completed session, the violation so that the first cycle is its third trading day,
// and a few paper fills on the last two sessions that have opened; the console's own first cycle is CORRECTING and
// proposes intents — for the session open now, or for the next one (an approval then stages them until its open).
// Right after `bandctl serve`: the header says "demo book", the session ("Open · closes 16:00", "Closed · next session
// Wed 12/09 09:30") and that the clock is simulated; Approvals shows the intents of that cycle (nothing was evaluated
// by hand) and, outside the session, what approving does; an approval is WORKING in the session and STAGED outside it
// ("releases Wed 09:30"), and can be canceled; Overview's band chart shows the ten days with the band; Reports opens
// on the session of the latest fills and steps by trading days. Every expectation is computed here from the instant,
// the seed (src/main/services/demo.ts) and the exchange's published calendar, not from the console's code.
// Screenshots: artifacts/screenshots/first-run-<instant>-<screen>.png.
import { DateTime } from 'luxon';
import type { IntentView } from '../src/shared/types';
import { AT, bandctl, deskNow, openDesk, type Desk } from './desk';
import { expect, test, type Page } from './fixtures';
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
function following(date: string): string {
  let d = addDays(date, 1);
  while (!trades(d)) d = addDays(d, 1);
  return d;
}
const latest = (date: string) => (trades(date) ? date : previous(date));
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
/** The NYSE's regular hours: 09:30 to 16:00, 13:00 on an early close. */
const OPENS = '09:30';
const closeOf = (date: string) => (NYSE_EARLY.has(date) ? '13:00' : '16:00');
const weekday = (date: string) => DateTime.fromISO(date, { zone: 'UTC' }).setLocale('en-US').toFormat('ccc');
/** A date as the console writes a session's: `Wed 12/09`. */
const dayOf = (date: string) => `${weekday(date)} ${date.slice(5, 7)}/${date.slice(8, 10)}`;

/** What the exchange's calendar says of an instant: its New York date and time, its phase, the sessions around it. */
interface Moment {
  date: string;
  minutes: number;
  phase: 'PRE_OPEN' | 'OPEN' | 'CLOSED' | 'NO_SESSION';
  /** The session intents are for: the one open now, else the next one to open. */
  session: string;
  /** The last session that has closed. */
  last: string;
  /** The header's line. */
  header: string;
}

function momentOf(at: string): Moment {
  const t = DateTime.fromISO(at, { setZone: true }).setZone('America/New_York');
  const date = t.toISODate()!;
  const minutes = t.hour * 60 + t.minute;
  if (!trades(date)) {
    const why = t.weekday >= 6 ? 'weekend' : 'holiday';
    const session = following(date);
    return { date, minutes, phase: 'NO_SESSION', session, last: previous(date), header: `Closed (${why}) · next session ${dayOf(session)} ${OPENS}` };
  }
  if (minutes < minutesOf(OPENS)) return { date, minutes, phase: 'PRE_OPEN', session: date, last: previous(date), header: `Pre-open · opens ${OPENS}` };
  if (minutes < minutesOf(closeOf(date))) return { date, minutes, phase: 'OPEN', session: date, last: previous(date), header: `Open · closes ${closeOf(date)}` };
  const session = following(date);
  return { date, minutes, phase: 'CLOSED', session, last: date, header: `Closed · next session ${dayOf(session)} ${OPENS}` };
}

/** The seeded fills (src/main/services/demo.ts): three on the session before the latest one that opened, two on that one. */
const PREVIOUS_FILLS = ['TSLA', 'SPY', 'JPM'];
const LATEST_FILLS: [string, string][] = [
  ['NVDA', '09:41'],
  ['QQQ', '09:52'],
];

async function reportSymbols(page: Page): Promise<string[]> {
  const grid = page.getByRole('region', { name: 'By symbol', exact: true });
  await expect(grid.locator('.ag-overlay-loading-center')).toHaveCount(0);
  return (await grid.locator('[role="gridcell"][col-id="symbol"]').allTextContents()).sort();
}

/** The header's clock as epoch ms: its date (`Sat 2026-12-12`) and its time (HH:MM:SS), read in New York. */
async function headerTime(page: Page): Promise<number> {
  const date = /(\d{4}-\d{2}-\d{2})$/.exec(((await page.getByTestId('clock-date').textContent()) ?? '').trim())?.[1];
  const time = /^(\d\d:\d\d:\d\d)/.exec(((await page.getByTestId('clock').textContent()) ?? '').trim())?.[1];
  if (!date || !time) return NaN;
  return DateTime.fromISO(`${date}T${time}`, { zone: 'America/New_York' }).toMillis();
}

function intentsByCli(desk: Desk): Map<string, IntentView> {
  const rows = JSON.parse(bandctl(['intents', '--db', desk.db, '--status', 'ALL', '--json']).toString()) as IntentView[];
  return new Map(rows.map((i) => [i.id, i]));
}

const INSTANTS = [
  { name: 'open', at: AT.OPEN },
  { name: 'closed', at: AT.CLOSED },
  { name: 'saturday', at: AT.SATURDAY },
] as const;

for (const { name, at } of INSTANTS) {
  test.describe(`first start at ${at} (${name})`, () => {
    const m = momentOf(at);
    let desk: Desk;
    test.beforeAll(async () => {
      desk = await openDesk({ at });
    });
    test.afterAll(async () => {
      await desk?.close();
    });

    test(`${name}: demo badge, the session, the intents of the first cycle and what approving does, ten days of band history, the seeded fills by trading day`, async ({ page }) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (msg) => (msg.type() === 'error' ? errors.push(msg.text()) : undefined));
      const inSession = m.phase === 'OPEN';

      await page.goto(desk.url);
      await expect(page.getByTestId('demo-badge')).toHaveText('demo book');
      await expect(page).toHaveTitle(`(${desk.created.length}) Band Console`);

      // The header: the session from the exchange's calendar, the desk's time (not the browser's), said to be simulated.
      const session = page.getByTestId('session');
      await expect(session).toHaveText(m.header);
      await expect(session).toHaveAccessibleName(new RegExp(`^Market (open|pre-open|closed).*America/New_York$`));
      const marker = page.getByTestId('simulated-clock');
      await expect(marker).toHaveText('simulated clock');
      await expect(marker).toHaveAttribute('title', /BAND_NOW/);
      await expect.poll(async () => Math.abs((await headerTime(page)) - deskNow()), { message: 'the header shows the desk\'s time' }).toBeLessThan(3000);

      // Overview: ten trading days of history through the last completed session, the allowed bands shaded, the
      // book out of band and CORRECTING; the console's own cycle at the instant adds its point.
      const counted = latest(m.date);
      let first = counted;
      for (let i = 0; i < 9; i++) first = previous(first);
      const chart = page.getByTestId('band-chart');
      await expect(chart).toHaveAttribute('aria-label', new RegExp(`^Band history: [0-9,]+ evaluations from ${first} to ${m.date}; LT long % 77\\.4% now, band 60\\.0% – 70\\.0%`));
      const points = Number((await chart.getAttribute('aria-label'))!.match(/: ([0-9,]+) evaluations/)![1].replace(/,/g, ''));
      // four a day (10:00, 12:00, 14:00, 15:45) over the completed sessions, two on an early close (13:00), and the live cycle
      let expected = 1;
      for (let d = first; d <= m.last; d = addDays(d, 1)) if (trades(d)) expected += NYSE_EARLY.has(d) ? 2 : 4;
      expect(points, 'the seeded history and the live cycle').toBeGreaterThanOrEqual(expected);
      expect(points, 'nothing seeded past the last completed session').toBeLessThan(expected + 5);
      await expect(page.getByRole('group', { name: 'History range' }).getByRole('button', { name: '1M' })).toHaveAttribute('aria-pressed', 'true');
      await expect(chart.locator('.recharts-reference-area')).toHaveCount(2);
      await expect(chart.locator('.recharts-line-curve')).toHaveCount(3);
      await expect(page.getByRole('region', { name: 'Controller' }).locator('.pill')).toHaveText('CORRECTING');
      await expect(page.getByRole('region', { name: 'Engine cycles' })).toContainText('(demo history)');
      await shot(page, `first-run-${name}-overview`);

      // Approvals: the queue holds what the first cycle proposed, for the session open now or the next one.
      await nav(page, 'Approvals');
      expect(desk.created.length).toBeGreaterThan(0);
      for (const i of desk.created) await expect(row(page, i)).toBeVisible();
      const cli = intentsByCli(desk);
      for (const i of desk.created) expect(cli.get(i.id)!.trading_date, `${i.id} is for the session of ${m.session}`).toBe(m.session);
      const banner = page.getByTestId('session-banner');
      const verb = inSession ? 'Approve' : 'Stage';
      if (inSession) await expect(banner).toHaveCount(0);
      else {
        await expect(banner).toContainText(`these intents are for the session of ${dayOf(m.session)}`);
        await expect(banner).toContainText('approving stages them');
        await expect(banner).toContainText(`released at the open (${OPENS})`);
      }
      await shot(page, `first-run-${name}-approvals`);

      // An approval: a working order in the session; outside it, a staged one, released at the next open.
      const [mine] = desk.created;
      await row(page, mine).getByRole('button', { name: verb, exact: true }).click();
      await expect(row(page, mine)).toHaveCount(0);
      const working = page.getByRole('region', { name: 'Working orders' });
      const line = working.getByRole('row').filter({ hasText: mine.id });
      if (inSession) {
        await expect(page.locator('.toast.ok').filter({ hasText: 'Approved 1 intent' })).toBeVisible();
        await expect(line.locator('[col-id="status"]')).toHaveText('WORKING');
        await expect(working.getByTestId('working-count')).toHaveText('1 working');
        expect(intentsByCli(desk).get(mine.id)!.status).toBe('WORKING');
      } else {
        await expect(page.locator('.toast.ok').filter({ hasText: `Staged 1 intent: released at the open, ${weekday(m.session)} ${m.session} ${OPENS} America/New_York` })).toBeVisible();
        await expect(line.locator('[col-id="status"]')).toHaveText(`STAGED releases ${weekday(m.session)} ${OPENS}`);
        await expect(working.getByTestId('working-count')).toHaveText('0 working · 1 staged');
        const staged = intentsByCli(desk).get(mine.id)!;
        expect(staged.status).toBe('STAGED');
        expect(staged.releases_at).toBe(DateTime.fromISO(`${m.session}T${OPENS}`, { zone: 'America/New_York' }).toMillis());
      }
      await shot(page, `first-run-${name}-working`);
      // … and it can be canceled, with a reason.
      await line.getByRole('button', { name: /^Cancel (BUY|SELL) / }).click();
      const dialog = page.getByRole('dialog', { name: `Cancel ${inSession ? 'working' : 'staged'} order ${mine.id}` });
      await expect(dialog).toBeVisible();
      await dialog.getByRole('textbox', { name: 'Cancel reason' }).fill('e2e: not this one');
      await dialog.getByRole('button', { name: 'Confirm cancel', exact: true }).click();
      await expect(line).toHaveCount(0);
      expect(intentsByCli(desk).get(mine.id)!.status).toBe('CANCELED');
      const audit = JSON.parse(bandctl(['audit', '--db', desk.db, mine.id, '--json']).toString()) as { to: string; reason: string }[];
      expect(audit.find((a) => a.to === 'CANCELED')?.reason).toMatch(inSession ? /^canceled by .+: e2e: not this one; filled 0 of \d+$/ : /^canceled by .+ before its release: e2e: not this one$/);

      // Reports: the session of the latest fills first — today's once it has opened, else the last one — with its
      // fills once their time has passed.
      await nav(page, 'Reports');
      const dateInput = page.getByLabel('Report date');
      const reportDay = m.phase === 'OPEN' || m.phase === 'CLOSED' ? m.date : m.last;
      await expect(dateInput).toHaveValue(reportDay);
      const latestFills = LATEST_FILLS.filter(([, t]) => reportDay !== m.date || m.minutes >= minutesOf(t))
        .map(([sym]) => sym)
        .sort();
      if (latestFills.length) await expect.poll(() => reportSymbols(page)).toEqual(latestFills);
      else await expect(page.getByRole('region', { name: 'By symbol', exact: true })).toContainText('No fills on this date');

      // ◀ steps by trading days: to the session before and its three fills…
      const back = page.getByRole('button', { name: 'Previous trading day' });
      await back.click();
      const prev = previous(reportDay);
      await expect(dateInput).toHaveValue(prev);
      await expect.poll(() => reportSymbols(page)).toEqual([...PREVIOUS_FILLS].sort());
      await expect(page.getByTestId('report-day')).toContainText(DateTime.fromISO(prev, { zone: 'UTC' }).setLocale('en-US').toFormat('cccc'));
      await shot(page, `first-run-${name}-reports`);
      // … and on, over a weekend or a holiday, each step landing where the exchange's published calendar says.
      let day = prev;
      let skipped = false;
      for (let i = 0; i < 6 && !skipped; i++) {
        const want = previous(day);
        skipped = want !== addDays(day, -1);
        await back.click();
        await expect(dateInput).toHaveValue(want);
        day = want;
      }
      expect(skipped, 'a weekend or a holiday was stepped over').toBe(true);
      // ▶ and the key ] step forward the same way; the date picker still takes any date.
      await page.getByRole('button', { name: 'Next trading day' }).click();
      await page.keyboard.press(']');
      await expect(dateInput).toHaveValue(following(following(day)));
      await dateInput.fill(prev);
      await expect.poll(() => reportSymbols(page)).toEqual([...PREVIOUS_FILLS].sort());

      await nav(page, 'Positions');
      await expect(page.getByRole('region', { name: 'Positions grid' }).getByRole('row').filter({ hasText: 'AAPL' })).toBeVisible();
      await shot(page, `first-run-${name}-positions`);

      await nav(page, 'Activity');
      await expect(page.getByRole('region', { name: 'Intent history' }).getByRole('row').filter({ hasText: desk.created[0].id })).toBeVisible();
      await shot(page, `first-run-${name}-activity`);
      expect(errors, errors.join('\n')).toEqual([]);
    });
  });
}
