// The main window's size, position and maximised state, remembered in <userData>/window-state.json and restored at
// the next start onto a display that still exists (a laptop undocked from its second monitor must not open the
// console off-screen). Plain data in and out: the Electron calls stay in main.ts.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState extends Rect {
  maximized: boolean;
}

const DEFAULT_SIZE = { width: 1440, height: 900 };
export const MIN_SIZE = { width: 1100, height: 700 };
/** How much of the title bar must be on a display for the saved place to count as visible. */
const VISIBLE = { width: 160, height: 48 };

const StateSchema = z.strictObject({
  x: z.int(),
  y: z.int(),
  width: z.int().min(1),
  height: z.int().min(1),
  maximized: z.boolean(),
});

/** The saved state, or null when there is none or it is unreadable (never an error at start). */
export function loadWindowState(file: string): WindowState | null {
  try {
    const r = StateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

export function saveWindowState(file: string, state: WindowState): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`);
  renameSync(tmp, file);
}

function overlap(a: Rect, b: Rect): Rect {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  return { x, y, width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - x), height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - y) };
}

function centred(size: { width: number; height: number }, area: Rect): Rect {
  const width = Math.min(size.width, area.width);
  const height = Math.min(size.height, area.height);
  return { x: area.x + Math.round((area.width - width) / 2), y: area.y + Math.round((area.height - height) / 2), width, height };
}

/**
 * Where the window opens: the saved bounds when their title bar is on one of today's displays (shrunk to fit
 * that display's work area), else the saved size centred on the primary display; the default size without a save.
 */
export function placeWindow(saved: WindowState | null, workAreas: Rect[], primary: Rect): WindowState {
  if (!saved) return { ...centred(DEFAULT_SIZE, primary), maximized: false };
  const titleBar: Rect = { x: saved.x, y: saved.y, width: saved.width, height: Math.min(saved.height, VISIBLE.height) };
  const home = workAreas.find((a) => {
    const o = overlap(titleBar, a);
    return o.width >= Math.min(VISIBLE.width, saved.width) && o.height >= Math.min(VISIBLE.height, titleBar.height);
  });
  if (!home) return { ...centred(saved, primary), maximized: saved.maximized };
  const width = Math.min(saved.width, home.width);
  const height = Math.min(saved.height, home.height);
  const x = Math.min(Math.max(saved.x, home.x), home.x + home.width - width);
  const y = Math.min(Math.max(saved.y, home.y), home.y + home.height - height);
  return { x, y, width, height, maximized: saved.maximized };
}
