// The desktop shell's plain parts: the rotated log file and where the window opens.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWindowState, placeWindow, saveWindowState } from '../../src/main/electron/window-state';
import { RotatingLog } from '../../src/main/services/log/rotating';
import { tempDir } from '../support/tmp';

const dir = () => tempDir('band-unit-').dir;

describe('RotatingLog', () => {
  it('appends one line per entry, stacks indented, with time and level', () => {
    const log = new RotatingLog(dir(), { now: () => new Date('2026-12-01T14:00:00.000Z') });
    log.info('started');
    log.error('boom\n    at x (y.js:1:2)');
    expect(readFileSync(log.file, 'utf8')).toBe('2026-12-01T14:00:00.000Z INFO  started\n2026-12-01T14:00:00.000Z ERROR boom\n        at x (y.js:1:2)\n');
  });

  it('rotates at the size limit and keeps 5 files of at most 5 MiB by default', () => {
    const d = dir();
    const log = new RotatingLog(d);
    const line = 'x'.repeat(1023); // 1 KiB with the newline … plus the time and level
    for (let i = 0; i < 30_000; i++) log.info(`${i} ${line}`);
    const files = log.files();
    expect(files.map((f) => f.slice(d.length + 1))).toEqual(['main.log', 'main.1.log', 'main.2.log', 'main.3.log', 'main.4.log']);
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(existsSync(join(d, 'main.5.log'))).toBe(false);
    // Newest last in main.log, and the rotated files hold the entries just before it, in order.
    const last = readFileSync(join(d, 'main.log'), 'utf8').trim().split('\n').at(-1)!;
    expect(last).toMatch(/ INFO {2}29999 x+$/);
    const firstOfCurrent = Number(/ INFO {2}(\d+) /.exec(readFileSync(join(d, 'main.log'), 'utf8'))![1]);
    const lastOfPrevious = Number(/ INFO {2}(\d+) x+$/.exec(readFileSync(join(d, 'main.1.log'), 'utf8').trim().split('\n').at(-1)!)![1]);
    expect(firstOfCurrent).toBe(lastOfPrevious + 1);
  });

  it('continues an existing file after a restart, counting its size', () => {
    const d = dir();
    writeFileSync(join(d, 'main.log'), 'y'.repeat(950));
    const log = new RotatingLog(d, { maxBytes: 1000, keep: 2 });
    log.info('a fairly long line that does not fit');
    expect(readFileSync(join(d, 'main.1.log'), 'utf8')).toBe('y'.repeat(950));
    expect(readFileSync(join(d, 'main.log'), 'utf8')).toMatch(/INFO {2}a fairly long line/);
  });

  it('a log folder that cannot be written never throws', () => {
    const d = dir();
    const log = new RotatingLog(d);
    writeFileSync(join(d, 'blocker'), '');
    const blocked = new RotatingLog(d, { name: 'blocker/x.log' });
    expect(() => blocked.info('lost')).not.toThrow();
    expect(() => log.info('fine')).not.toThrow();
  });
});

describe('placeWindow', () => {
  const primary = { x: 0, y: 0, width: 1920, height: 1040 };
  const right = { x: 1920, y: 0, width: 2560, height: 1400 };

  it('first start: the default size, centred on the primary display', () => {
    expect(placeWindow(null, [primary], primary)).toEqual({ x: 240, y: 70, width: 1440, height: 900, maximized: false });
  });

  it('keeps a place whose title bar is on a display, shrunk and pulled into it when needed', () => {
    expect(placeWindow({ x: 2000, y: 100, width: 1300, height: 800, maximized: true }, [primary, right], primary)).toEqual({ x: 2000, y: 100, width: 1300, height: 800, maximized: true });
    // Partly off the right edge of the second display: pulled back in.
    expect(placeWindow({ x: 4000, y: 100, width: 1300, height: 800, maximized: false }, [primary, right], primary)).toEqual({ x: 4480 - 1300, y: 100, width: 1300, height: 800, maximized: false });
    // Taller than a smaller display now is: fits it.
    expect(placeWindow({ x: 10, y: 10, width: 1600, height: 1300, maximized: false }, [primary], primary)).toEqual({ x: 10, y: 0, width: 1600, height: 1040, maximized: false });
  });

  it('a display that no longer exists: the saved size, centred on the primary display', () => {
    expect(placeWindow({ x: 2000, y: 100, width: 1300, height: 800, maximized: false }, [primary], primary)).toEqual({ x: 310, y: 120, width: 1300, height: 800, maximized: false });
    // Only a sliver of the title bar visible counts as gone.
    expect(placeWindow({ x: 1900, y: 100, width: 1300, height: 800, maximized: false }, [primary], primary).x).toBe(310);
    // Above the top of every display (title bar unreachable).
    expect(placeWindow({ x: 100, y: -700, width: 1300, height: 800, maximized: false }, [primary], primary).y).toBe(120);
  });

  it('the state file: written atomically, and an unreadable one is ignored', () => {
    const f = join(dir(), 'window-state.json');
    expect(loadWindowState(f)).toBeNull();
    saveWindowState(f, { x: 1, y: 2, width: 1300, height: 800, maximized: true });
    expect(loadWindowState(f)).toEqual({ x: 1, y: 2, width: 1300, height: 800, maximized: true });
    writeFileSync(f, '{"x": 1, "y":');
    expect(loadWindowState(f)).toBeNull();
    writeFileSync(f, '{"x": 1, "y": 2, "width": -5, "height": 800, "maximized": false}');
    expect(loadWindowState(f)).toBeNull();
  });
});
