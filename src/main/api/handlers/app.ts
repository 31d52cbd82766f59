// app:* channels: the header's status.
import type { DomainHandlers } from '../dispatch';
import type { ConsoleServices } from '../services';
import { engineOf } from './engine';

export function appHandlers(s: ConsoleServices): DomainHandlers<'app'> {
  return {
    'app:status': () => engineOf(s).status(),
  };
}
