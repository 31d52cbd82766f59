// The application menu: ours, never Electron's default. File (Export report…, Open data folder, Quit), Edit (the
// standard clipboard roles, so text fields behave as everywhere), View (the screens of shared/screens.ts with their keys; Reload and
// DevTools only when not packaged), Help (About, Open logs folder).
import type { MenuItemConstructorOptions } from 'electron';
import { SCREEN_REGISTRY, type ScreenId } from '../../shared/screens';

export interface MenuActions {
  exportReport(): void;
  openDataFolder(): void;
  openLogsFolder(): void;
  showAbout(): void;
  navigate(screen: ScreenId): void;
}

export function menuTemplate(actions: MenuActions, opts: { isPackaged: boolean; platform: NodeJS.Platform }): MenuItemConstructorOptions[] {
  const mac = opts.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [];
  if (mac) template.push({ role: 'appMenu' });
  template.push(
    {
      label: '&File',
      submenu: [
        { id: 'export-report', label: 'Export report…', accelerator: 'CmdOrCtrl+E', click: () => actions.exportReport() },
        { id: 'open-data-folder', label: 'Open data folder', click: () => actions.openDataFolder() },
        { type: 'separator' },
        { id: 'quit', role: 'quit', label: 'Quit' },
      ],
    },
    {
      label: '&Edit',
      submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
    },
    {
      label: '&View',
      submenu: [
        // The bare keys 1–5 work inside the console; the menu's accelerators take a modifier so that they never fire
        // while the trader types digits in a field.
        ...SCREEN_REGISTRY.map(
          (s): MenuItemConstructorOptions => ({ id: `screen-${s.id}`, label: s.label, accelerator: `CmdOrCtrl+${s.key}`, click: () => actions.navigate(s.id) }),
        ),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
        ...(opts.isPackaged ? [] : ([{ type: 'separator' }, { role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }] as MenuItemConstructorOptions[])),
      ],
    },
    {
      label: '&Help',
      role: 'help',
      submenu: [
        { id: 'about', label: 'About Band Console', click: () => actions.showAbout() },
        { id: 'open-logs-folder', label: 'Open logs folder', click: () => actions.openLogsFolder() },
      ],
    },
  );
  return template;
}

export interface AboutFacts {
  app: string;
  electron?: string;
  chrome?: string;
  node: string;
  dataDir: string;
  logsDir: string;
}

/** The About box's text: what a support call asks first. */
export function aboutText(f: AboutFacts): { message: string; detail: string } {
  return {
    message: `Band Console ${f.app}`,
    detail: [
      `Electron ${f.electron ?? '—'}`,
      `Chromium ${f.chrome ?? '—'}`,
      `Node ${f.node}`,
      '',
      `Data folder: ${f.dataDir}`,
      `Logs: ${f.logsDir}`,
    ].join('\n'),
  };
}
