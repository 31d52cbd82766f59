// `bandctl report` (docs/spec.md §10), in a module of its own: the command a desk runs most from scripts loads no more than
// it needs (the book and the report writers: no config schema, no engine, no Redis client).
import { writeFileSync } from 'node:fs';
import { isIsoDate } from '../../../shared/calendar';
import { REPORT_FORMATS, REPORT_FORMAT_IDS, type ReportFormatId } from '../../../shared/report-formats';
import { reportAs } from '../../services/reports';
import { openExisting } from '../open-existing';
import { optionalString, requireString, UsageError, type Command } from '../framework';
import { orList } from '../help';
import { errorMessage } from '../../../shared/errors';

const report: Command = {
  name: 'report',
  usage: `report --db F --date D [--format ${REPORT_FORMAT_IDS.join('|')}] [--out P]`,
  summary: `one trading date's end-of-day report (${orList(REPORT_FORMATS.map((f) => f.label))})`,
  options: { db: { type: 'string' }, date: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } },
  run({ values, io }) {
    const dbFile = requireString(values, 'db', this.usage);
    const date = requireString(values, 'date', this.usage);
    if (!isIsoDate(date)) throw new UsageError(`--date must be a calendar date YYYY-MM-DD, got '${date}'`);
    const format = optionalString(values, 'format') ?? 'text';
    if (!(REPORT_FORMAT_IDS as readonly string[]).includes(format)) {
      throw new UsageError(`--format must be one of ${REPORT_FORMAT_IDS.join(', ')}; got '${format}'`);
    }
    const db = openExisting(dbFile);
    let text: string;
    try {
      // only the format asked for (the CSV writer alone costs more than the query)
      text = reportAs(db, date, format as ReportFormatId);
    } finally {
      db.close();
    }
    const out = optionalString(values, 'out');
    if (out) {
      try {
        writeFileSync(out, text);
      } catch (e) {
        throw new UsageError(`cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
      }
    } else io.out(text);
    return 0;
  },
};

export const commands: Command[] = [report];
