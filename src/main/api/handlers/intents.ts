// intents:* channels: the blotter, the trader's decisions (each recorded with the caller as actor), audit, preview.
import type { DomainHandlers } from '../dispatch';
import type { ConsoleServices } from '../services';
import { engineOf } from './engine';

export function intentsHandlers(s: ConsoleServices): DomainHandlers<'intents'> {
  const engine = () => engineOf(s);
  return {
    'intents:list': (args) => engine().listIntents(args?.status ?? 'PENDING', args?.limit ?? 10_000),
    'intents:approve': (args, ctx) => engine().approve(args.ids, ctx.actor),
    'intents:reject': (args, ctx) => engine().reject(args.ids, ctx.actor, args.reason),
    'intents:cancel': (args, ctx) => engine().cancel('all' in args ? 'all' : args.ids, ctx.actor, args.reason),
    'intents:audit': (args) => engine().audit(args?.id, args?.limit ?? 500),
    'intents:preview': (args) => engine().preview(args.ids),
  };
}
