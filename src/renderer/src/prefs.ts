// What the console remembers in this browser (localStorage): small preferences, never the book. Storage may be
// disabled or full: every read falls back to the default and every write is best effort.
export function readPref(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function writePref(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* best effort */
  }
}

/** The keys under a prefix (e.g. every grid's saved layout). */
export function prefKeys(prefix: string): string[] {
  try {
    const out: string[] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k?.startsWith(prefix)) out.push(k);
    }
    return out;
  } catch {
    return [];
  }
}
