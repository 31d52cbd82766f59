// replay:* channels: the Policy lab (issue #16) — the live config for its editors, an edited copy checked like the
// file, a replay of a past period under one or two configs (off the main thread, one at a time) and its cancel. The
// run's progress goes to every window as the replay:progress push event, thinned out so that a long run never
// crowds the push history a reconnecting browser is replayed from.
import type { DomainHandlers } from '../dispatch';
import type { ConsoleServices } from '../services';
import { timerNow } from '../../services/clock';

/** At most about 50 progress events a run, and none closer than this (the last one always goes). */
const PROGRESS_MIN_MS = 100;
const PROGRESS_STEPS = 50;

export function replayHandlers(s: ConsoleServices): DomainHandlers<'replay'> {
  return {
    'replay:setup': () => s.replay.setup(),
    'replay:validate-config': (args) => s.replay.validate(args.text),
    'replay:run': (args) => {
      let lastAt = 0;
      let lastStep = -1;
      return s.replay.run(args, (done, total) => {
        const step = total > 0 ? Math.floor((done / total) * PROGRESS_STEPS) : 0;
        const now = timerNow();
        if (done < total && (step === lastStep || now - lastAt < PROGRESS_MIN_MS)) return;
        lastAt = now;
        lastStep = step;
        s.events.emit('replay:progress', { done, total });
      });
    },
    'replay:cancel': () => ({ cancelled: s.replay.cancel() }),
  };
}
