// reports:* channels: a day's report in one format (shared/report-formats.ts), saved where the transport can.
import { reportFileName } from '../../services/reports';
import type { DomainHandlers } from '../dispatch';
import type { ConsoleServices } from '../services';

export function reportsHandlers(s: ConsoleServices): DomainHandlers<'reports'> {
  return {
    'reports:export': async (args, ctx) => {
      const b = s.reportBundle(args.date);
      const content = s.renderReport(b, args.format);
      const filename = reportFileName(args.date, args.format);
      if (ctx.saveFile) {
        const path = await ctx.saveFile(filename, content);
        return { saved: path !== null, path, filename, content };
      }
      return { saved: false, path: null, filename, content };
    },
  };
}
