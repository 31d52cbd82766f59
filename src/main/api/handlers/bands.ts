// bands:* channels: the band chart's history.
import type { DomainHandlers } from '../dispatch';
import type { ConsoleServices } from '../services';
import { engineOf } from './engine';

export function bandsHandlers(s: ConsoleServices): DomainHandlers<'bands'> {
  const engine = () => engineOf(s);
  return {
    'bands:history': (args) => engine().bandHistory(args.range, args.maxPoints, engine().now()),
  };
}
