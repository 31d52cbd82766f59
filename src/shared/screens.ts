// The console's screens, in menu and key order (keys 1-5). A module of its own, free of zod, so the renderer can
// import the list without the contract's schemas.
export const SCREENS = ['overview', 'approvals', 'reports', 'positions', 'activity'] as const;
export type ScreenId = (typeof SCREENS)[number];
