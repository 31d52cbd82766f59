// The specs' `test`: Playwright's, with the page's clock set to the desk's time. Every page starts at the pinned
// instant the desk runs at (plus what has elapsed since: deskNow), and its time flows on from there (page.clock.install
// installs controllable timers that keep running at the real pace), so the browser's Date agrees with the
// processes'. A spec that wants the browser elsewhere moves it with page.clock.setSystemTime: the console shows the
// process's time whatever the browser's clock says (src/renderer/src/clock.ts).
import { test as base } from '@playwright/test';
import { deskNow } from './desk';

export { expect, type Locator, type Page } from '@playwright/test';

export const test = base.extend({
  page: async ({ page }, use) => {
    await page.clock.install({ time: deskNow() });
    await use(page);
  },
});
