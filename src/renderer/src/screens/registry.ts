/// <reference types="vite/client" />
// The screens as the renderer shows them: each row of shared/screens.ts (id, label, key, what it loads, the push events
// that refresh it) with its component, found by name in this folder — so a new screen is its row and its file.
import type { ComponentType } from 'react';
import { SCREEN_REGISTRY, type ScreenId, type ScreenRow } from '../../../shared/screens';

const modules = import.meta.glob<Record<string, unknown>>('./*.tsx', { eager: true });

export interface ScreenEntry extends ScreenRow {
  readonly id: ScreenId;
  readonly Component: ComponentType;
}

export const SCREEN_ENTRIES: readonly ScreenEntry[] = SCREEN_REGISTRY.map((row) => {
  const Component = modules[`./${row.component}.tsx`]?.[row.component];
  if (typeof Component !== 'function') {
    throw new Error(`screen ${row.id}: src/renderer/src/screens/${row.component}.tsx must export a component named ${row.component}`);
  }
  return { ...row, Component: Component as ComponentType };
});

/** A screen's entry. */
export function screenEntry(id: ScreenId): ScreenEntry {
  return SCREEN_ENTRIES.find((s) => s.id === id) ?? SCREEN_ENTRIES[0];
}

/** The screen a key press shows (the digit row or the keypad), if any. */
export function screenForKey(e: KeyboardEvent): ScreenEntry | undefined {
  const m = /^(?:Digit|Numpad)(\d)$/.exec(e.code);
  return m ? SCREEN_ENTRIES.find((s) => s.key === m[1]) : undefined;
}
