import type { Logger } from 'pino';
import { HOOK_KINDS, type HookName } from '../../plugin-sdk/hook-catalogue.js';
import { describeError, type KernelError } from '../errors/kernel-error.js';
import type { TapableTap } from '../hooks/hook-taps.js';
import { asyncCaller, type CallSite, sharedPoint, syncCaller } from './plugin-call.js';

/**
 * The tapable tap for a plugin's handler on `hook`, through the seam. Sync hooks call it
 * synchronously; the others call back (tapable's `async` taps). Notify hooks (`parallel-notify`)
 * log a failing listener and go on, so it never fails the operation that fired it; the other kinds
 * pass the error to the caller, who decides what failing means (the auth chain fails closed).
 */
export function hookTap(
  site: CallSite,
  hook: HookName,
  handler: (arg: never) => unknown,
  options: { timeoutMs: number; logger: Logger; what?: string },
): TapableTap {
  const kind = HOOK_KINDS[hook];
  if (kind === 'sync-bail') {
    const point = sharedPoint('hook', `hook ${hook}`, 0);
    return { name: site.name, type: 'sync', fn: syncCaller(site, point, handler) };
  }
  if (kind !== 'parallel-notify') {
    const point = sharedPoint('hook', `hook ${hook}`, options.timeoutMs);
    return { name: site.name, type: 'async', fn: asyncCaller(site, point, handler) };
  }
  const point = sharedPoint('event', options.what ?? `listener on ${hook}`, options.timeoutMs);
  const { logger } = options;
  const swallow = (callback: (error: unknown) => void) => (error: KernelError | null) => {
    if (error)
      logger.warn(
        { plugin: site.name, hook, err: describeError(error) },
        'hook listener failed; the operation goes on',
      );
    callback(null);
  };
  const call = asyncCaller(site, point, handler);
  return { name: site.name, type: 'async', fn: (arg, callback) => call(arg, swallow(callback)) };
}
