// The same trader flow through Electron itself (Playwright's Electron launcher), wherever the binary is installed.
// Here it skips with the reason printed: electron 45 fetches its binary on first use and this machine is offline.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { electronBinary, openDesk, REPO, type Desk } from './desk';
import { traderFlow } from './flow';

const bin = electronBinary();

test.describe('Electron', () => {
  let desk: Desk | null = null;
  test.afterAll(async () => {
    await desk?.close();
  });

  test('trader flow in the desktop app', async () => {
    if (!bin.path) console.log(`e2e/electron: skipped: ${bin.reason}`);
    test.skip(!bin.path, bin.reason);
    desk = await openDesk({ serve: false });
    const exportDir = join(desk.dir, 'exports');
    mkdirSync(exportDir, { recursive: true });
    const app = await electron.launch({
      executablePath: bin.path!,
      args: [join(REPO, 'out', 'main', 'index.js'), '--no-sandbox'],
      env: { ...process.env, BAND_USER_DATA: desk.dir, BAND_EXPORT_DIR: exportDir },
    });
    try {
      const page = await app.firstWindow();
      await page.setViewportSize({ width: 1440, height: 900 });
      // the renderer runs sandboxed with only the preload's API: no Node, no require
      expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      expect(await page.evaluate(() => typeof (window as unknown as { band?: { invoke: unknown } }).band?.invoke)).toBe('function');
      await traderFlow(
        page,
        desk,
        async (_p, button, filename) => {
          const file = join(exportDir, filename);
          await button.click();
          await expect.poll(() => existsSync(file), { timeout: 10_000 }).toBe(true);
          return readFileSync(file);
        },
        'electron-',
      );
    } finally {
      await app.close();
    }
  });
});
