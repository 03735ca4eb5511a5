import type { PluginContext } from '../index.js';

/** Wait `ms`, or less if `signal` aborts. Never rejects: callers check the signal afterwards. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * Sleep on the plugin's tracked timers, so nothing stays scheduled after unload. The ledger clears
 * those timers without firing them; the abort of `ctx.signal` (which comes first) ends the wait.
 */
export function makeSleep(ctx: Pick<PluginContext, 'setTimeout' | 'clearTimer' | 'signal'>): Sleep {
  return (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ctx.signal.aborted || signal?.aborted) return resolve();
      let handle: unknown;
      const done = (): void => {
        ctx.clearTimer(handle);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      signal?.addEventListener('abort', done, { once: true });
      handle = ctx.setTimeout(done, ms);
    });
}
