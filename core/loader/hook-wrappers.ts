import type { Logger } from 'pino';
import { HOOK_KINDS, type HookName } from '../../plugin-sdk/hook-catalogue.js';
import { isPluginError } from '../../plugin-sdk/errors.js';
import { KernelError, describeError, isKernelError } from '../errors/kernel-error.js';

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

/**
 * Give a plugin's tap function the semantics of its hook kind: sync and series hooks turn errors
 * into KernelErrors naming the plugin (the caller decides what failing means, e.g. fail closed);
 * async ones get a time limit; notify hooks swallow and log, so a listener never fails the
 * operation that fired it.
 */
export function wrapTap(
  hook: HookName,
  plugin: string,
  fn: (arg: unknown) => unknown,
  options: { timeoutMs: number; logger: Logger },
): (arg: unknown) => unknown {
  const timeout = (): KernelError =>
    new KernelError('KRN_ERR_HOOK_TIMEOUT', `${hook} tap did not answer within ${options.timeoutMs} ms`, {
      plugin,
      details: { hook },
    });
  switch (HOOK_KINDS[hook]) {
    case 'sync-bail':
      return (arg) => {
        try {
          return fn(arg);
        } catch (error) {
          throw hookError(hook, plugin, error);
        }
      };
    case 'series-bail':
    case 'series-waterfall':
      return async (arg) => {
        try {
          return await withTimeout(fn(arg), options.timeoutMs, timeout);
        } catch (error) {
          throw hookError(hook, plugin, error);
        }
      };
    case 'parallel-notify':
      return async (arg) => {
        try {
          await withTimeout(fn(arg), options.timeoutMs, timeout);
        } catch (error) {
          options.logger.warn({ plugin, hook, err: describeError(error) }, 'hook listener failed; the operation goes on');
        }
      };
  }
}
