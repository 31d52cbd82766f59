// AG Grid (community): modules registered explicitly, one dark theme for every grid (Theming API).
import { AllCommunityModule, ModuleRegistry, colorSchemeDark, themeQuartz, type ValueFormatterParams } from 'ag-grid-community';
import { fmtInt, fmtMoney, fmtPct, fmtPrice, fmtSignedInt, fmtSignedPct } from './format';

ModuleRegistry.registerModules([AllCommunityModule]);

export const gridTheme = themeQuartz.withPart(colorSchemeDark).withParams({
  backgroundColor: '#11161d',
  foregroundColor: '#c9d1d9',
  headerBackgroundColor: '#161c24',
  headerTextColor: '#8b949e',
  headerFontWeight: 600,
  headerFontSize: 11,
  borderColor: '#232b35',
  chromeBackgroundColor: '#161c24',
  oddRowBackgroundColor: '#121820',
  rowHoverColor: '#1a2330',
  selectedRowBackgroundColor: '#1c2b40',
  accentColor: '#4c8dff',
  fontFamily: 'Inter, "Segoe UI", system-ui, -apple-system, sans-serif',
  fontSize: 12,
  rowHeight: 28,
  headerHeight: 30,
  spacing: 4,
  cellHorizontalPadding: 10,
  wrapperBorderRadius: 4,
  borderRadius: 3,
  columnBorder: false,
});

type F = ValueFormatterParams;
export const numCol = { type: 'rightAligned', cellClass: 'num' } as const;
export const intFmt = (p: F) => fmtInt(p.value as number);
export const signedIntFmt = (p: F) => fmtSignedInt(p.value as number);
export const moneyFmt = (p: F) => fmtMoney(p.value as number);
export const priceFmt = (p: F) => fmtPrice(p.value as number);
export const pctFmt = (p: F) => fmtPct(p.value as number, 2);
export const signedPctFmt = (p: F) => fmtSignedPct(p.value as number);

/** Red/green for signed money and PnL cells. */
export function signClass(p: { value?: unknown }): string {
  const v = p.value as number | null | undefined;
  if (v === null || v === undefined || v === 0) return 'num';
  return v < 0 ? 'num neg' : 'num pos';
}

/** The page's CSP nonce (the host puts a fresh one in index.html): AG Grid's injected theme styles carry it. */
export const styleNonce: string | undefined = (() => {
  const v = document.querySelector('meta[name="band-style-nonce"]')?.getAttribute('content') ?? '';
  return v && v !== 'BANDNONCEPLACEHOLDER' ? v : undefined;
})();
