// engine:* channels: run a cycle now, halt and resume the controller, the cycle log.
import { ApiError, type DomainHandlers } from '../dispatch';
import type { ConsoleServices, EngineApi } from '../services';

/** The running engine, or an INTERNAL error for the caller (the browser host can run without one). */
export function engineOf(s: ConsoleServices): EngineApi {
  if (!s.engine) throw new ApiError('INTERNAL', 'the engine is not running');
  return s.engine;
}

export function engineHandlers(s: ConsoleServices): DomainHandlers<'engine'> {
  const engine = () => engineOf(s);
  return {
    'engine:evaluate': () => {
      const r = engine().evaluate();
      return { status: engine().status(), created: r.intents.length };
    },
    'engine:halt': (args, ctx) => {
      engine().halt(ctx.actor, args?.reason);
      return engine().status();
    },
    'engine:resume': (_args, ctx) => {
      engine().resume(ctx.actor);
      return engine().status();
    },
    'engine:cycles': (args) => engine().cycles(args?.limit ?? 100),
  };
}
