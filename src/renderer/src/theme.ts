// The console's palette is styles.css's custom properties (:root), and only those. Code that paints colours itself
// reads the same ones: AG Grid's theme takes them as var() references (they resolve in the page's cascade), Recharts'
// SVG props take the computed values, read from the document once.

/** The palette's names: the custom properties declared in styles.css's :root. */
export type PaletteVar =
  | 'bg'
  | 'panel'
  | 'panel-2'
  | 'border'
  | 'border-strong'
  | 'text'
  | 'text-strong'
  | 'muted'
  | 'faint'
  | 'accent'
  | 'green'
  | 'red'
  | 'amber'
  | 'row-odd'
  | 'row-hover'
  | 'row-selected'
  | 'chart-grid'
  | 'font';

/** A CSS reference to a palette entry, for consumers that write CSS (AG Grid's theme parameters). */
export function cssVar(name: PaletteVar): string {
  return `var(--${name})`;
}

let computed: Map<PaletteVar, string> | null = null;

/** A palette entry's value as styles.css sets it, for consumers that need a literal colour (SVG attributes). */
export function paletteValue(name: PaletteVar): string {
  computed ??= new Map();
  let v = computed.get(name);
  if (v === undefined) {
    v = getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
    // before the stylesheet applies there is nothing to remember: read it again next time
    if (!v) return 'currentColor';
    computed.set(name, v);
  }
  return v;
}
