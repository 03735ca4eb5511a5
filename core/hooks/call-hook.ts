import { HOOK_KINDS, type HookArg, type HookName, type HookResult } from '../../plugin-sdk/hook-catalogue.js';
import type { KernelHooks } from './hooks.js';

/**
 * Call a hook picked by a name known only at run time (the test kit, benchmarks): sync hooks with
 * `call`, the rest with `promise`. Kernel code calls hooks by literal name, which the compiler
 * checks without this helper.
 */
export async function callHook<N extends HookName>(
  hooks: KernelHooks,
  name: N,
  arg: HookArg<N>,
): Promise<HookResult<N>> {
  const hook = hooks[name] as unknown as { call(arg: unknown): unknown; promise(arg: unknown): Promise<unknown> };
  return (HOOK_KINDS[name] === 'sync-bail' ? hook.call(arg) : await hook.promise(arg)) as HookResult<N>;
}
