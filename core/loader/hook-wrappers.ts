import type { Logger } from 'pino';
import { HOOK_KINDS, type HookName } from '../../plugin-sdk/hook-catalogue.js';
import { isPluginError } from '../../plugin-sdk/errors.js';
import { KernelError, describeError, isKernelError } from '../errors/kernel-error.js';
import { watchDeadline } from './deadline-watch.js';

/** Turn whatever a tap threw into a KernelError that names the plugin and the hook. */
export function hookError(hook: HookName, plugin: string, error: unknown): KernelError {
  if (isKernelError(error)) return error;
  if (isPluginError(error)) {
    return new KernelError('KRN_ERR_PLUGIN_REJECTED', `${hook}: ${error.message}`, {
      plugin,
      status: error.status,
      details: { hook, ...error.details },
    });
  }
  return new KernelError('KRN_ERR_HOOK_FAILED', `${hook} tap threw: ${describeError(error)}`, {
    plugin,
    details: { hook },
    cause: error,
  });
}

export async function withTimeout<T>(work: T | Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (!(work instanceof Promise)) return work;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Counts calls running in a plugin instance, for drain. */
export interface CallCounter {
  enter(): void;
  exit(): void;
}

type Callback = (error: unknown, result?: unknown) => void;

/** A tap as tapable stores it: `sync` for sync hooks, `async` (callback style) for the rest. */
export type WrappedTap = { type: 'sync'; fn: (arg: unknown) => unknown } | { type: 'async'; fn: (arg: unknown, callback: Callback) => void };

/**
 * Give a plugin's tap function the semantics of its hook kind, in one closure (this is the hot
 * path): sync and series hooks turn errors into KernelErrors naming the plugin (the caller decides
 * what failing means, e.g. fail closed); async taps that return a promise get a time limit; notify
 * hooks swallow and log, so a listener never fails the operation that fired it. Async calls are
 * counted for drain; sync calls need not be, as none can be in flight while a swap runs.
 */
export function wrapTap(
  hook: HookName,
  plugin: string,
  fn: (arg: unknown) => unknown,
  options: { timeoutMs: number; logger: Logger; counter: CallCounter },
): WrappedTap {
  const { timeoutMs, logger, counter } = options;
  if (HOOK_KINDS[hook] === 'sync-bail') {
    return {
      type: 'sync',
      fn: (arg) => {
        try {
          return fn(arg);
        } catch (error) {
          throw hookError(hook, plugin, error);
        }
      },
    };
  }
  const notify = HOOK_KINDS[hook] === 'parallel-notify';
  const failed = (error: unknown, callback: Callback): void => {
    if (!notify) return callback(hookError(hook, plugin, error));
    logger.warn({ plugin, hook, err: describeError(error) }, 'hook listener failed; the operation goes on');
    callback(null);
  };
  return {
    type: 'async',
    fn: (arg, callback) => {
      let result: unknown;
      counter.enter();
      try {
        result = fn(arg);
      } catch (error) {
        counter.exit();
        return failed(error, callback);
      }
      if (typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') {
        counter.exit();
        return callback(null, notify ? undefined : result);
      }
      const watch = watchDeadline(timeoutMs, () => {
        counter.exit();
        failed(new KernelError('KRN_ERR_HOOK_TIMEOUT', `${hook} tap did not answer within ${timeoutMs} ms`, { plugin, details: { hook } }), callback);
      });
      (result as PromiseLike<unknown>).then(
        (value) => {
          if (watch.done) return;
          watch.done = true;
          counter.exit();
          callback(null, notify ? undefined : value);
        },
        (error: unknown) => {
          if (watch.done) return;
          watch.done = true;
          counter.exit();
          failed(error, callback);
        },
      );
    },
  };
}
