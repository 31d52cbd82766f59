// Keyboard: shortcuts are matched on the physical key (`event.code`: KeyA, KeyR, Digit1…), so they work on any
// layout (a Russian one types 'ф' on KeyA), and the platform's own modifier is used: Cmd on macOS, Ctrl elsewhere.

function platform(): string {
  const nav = navigator as Navigator & { userAgentData?: { platform?: string } };
  return nav.userAgentData?.platform || nav.platform || '';
}

const IS_MAC = /mac|iphone|ipad|ipod/i.test(platform());

/** The modifier's name as the keys panel shows it. */
export const MOD = IS_MAC ? '⌘' : 'Ctrl';

/** Cmd on macOS, Ctrl elsewhere, and not the other one (Ctrl+A on a Mac moves the caret; it selects nothing here). */
export function hasMod(e: KeyboardEvent): boolean {
  return IS_MAC ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey;
}

/** No modifier at all (Shift aside: AZERTY types its digits with it, and the code stays Digit1). */
export function noMod(e: KeyboardEvent): boolean {
  return !e.ctrlKey && !e.metaKey && !e.altKey;
}
