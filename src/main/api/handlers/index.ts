// The one typed handler map behind every contract channel, used by Electron IPC and the browser host alike: one
// file per domain (the `<domain>:` of a channel) combined here. Inputs arrive already validated by dispatch();
// handlers only call the services.
import type { HandlerMap } from '../dispatch';
import type { ConsoleServices } from '../services';
import { appHandlers } from './app';
import { bandsHandlers } from './bands';
import { engineHandlers } from './engine';
import { intentsHandlers } from './intents';
import { ledgerHandlers } from './ledger';
import { replayHandlers } from './replay';
import { reportsHandlers } from './reports';

/** The file name an export is saved under (the scheduled files' name). */
export { reportFileName as exportFilename } from '../../services/reports';

export function createHandlers(s: ConsoleServices): HandlerMap {
  return {
    ...appHandlers(s),
    ...engineHandlers(s),
    ...intentsHandlers(s),
    ...bandsHandlers(s),
    ...ledgerHandlers(s),
    ...reportsHandlers(s),
    ...replayHandlers(s),
  };
}
