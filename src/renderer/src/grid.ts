// AG Grid (community): modules registered explicitly, one dark theme for every grid (Theming API), in the palette of
// styles.css (./theme).
import { AllCommunityModule, ModuleRegistry, colorSchemeDark, themeQuartz, type ValueFormatterParams } from 'ag-grid-community';
import { cssVar } from './theme';
import { fmtInt, fmtMoney, fmtPrice, fmtSignedInt, fmtSignedPct } from './format';

ModuleRegistry.registerModules([AllCommunityModule]);

export const gridTheme = themeQuartz.withPart(colorSchemeDark).withParams({
  backgroundColor: cssVar('panel'),
  foregroundColor: cssVar('text'),
  headerBackgroundColor: cssVar('panel-2'),
  headerTextColor: cssVar('muted'),
  headerFontWeight: 600,
  headerFontSize: 11,
  borderColor: cssVar('border'),
  chromeBackgroundColor: cssVar('panel-2'),
  oddRowBackgroundColor: cssVar('row-odd'),
  rowHoverColor: cssVar('row-hover'),
  selectedRowBackgroundColor: cssVar('row-selected'),
  accentColor: cssVar('accent'),
  fontFamily: cssVar('font'),
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
