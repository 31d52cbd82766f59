// The EOD report formats (docs/spec.md §9): one row per format, read by the IPC contract, bandctl, the scheduled EOD files
// and the renderer's export buttons. Adding a format is a row here and its renderer in main/services/reports.
export const REPORT_FORMATS = [
  { id: 'text', label: 'text', extension: 'txt', mime: 'text/plain' },
  { id: 'json', label: 'JSON', extension: 'json', mime: 'application/json' },
  { id: 'csv', label: 'CSV', extension: 'csv', mime: 'text/csv' },
] as const;

export type ReportFormatId = (typeof REPORT_FORMATS)[number]['id'];
export type ReportFormatInfo = (typeof REPORT_FORMATS)[number];

export const REPORT_FORMAT_IDS = REPORT_FORMATS.map((f) => f.id) as [ReportFormatId, ...ReportFormatId[]];

/** The row of a format id. */
export function reportFormat(id: ReportFormatId): ReportFormatInfo {
  return REPORT_FORMATS.find((f) => f.id === id) as ReportFormatInfo;
}
