/**
 * The kernel hook catalogue: every hook, declared once, frozen and typed. Plugins never touch
 * tapable; `ctx` taps on their behalf (see `tapHook`) and the ledger removes the taps on unload.
 */
import {
  AsyncParallelHook,
  AsyncSeriesBailHook,
  AsyncSeriesWaterfallHook,
  SyncBailHook,
  type Tap,
} from 'tapable';
import { HOOK_KINDS, type HookArg, type HookName, type HookResult } from '../plugin-sdk/hook-catalogue.js';
import { KernelError } from './errors/kernel-error.js';

/** The tapable object behind each hook kind. Sync hooks expose `call`, async ones `promise`. */
export interface KernelHook<N extends HookName> {
  readonly name: N;
  taps: Tap[];
  call(arg: HookArg<N>): HookResult<N>;
  promise(arg: HookArg<N>): Promise<HookResult<N>>;
  /** tapable's private reset of the compiled caller; checked at boot by `assertTapableCompatible`. */
  _resetCompilation(): void;
}

export type KernelHooks = { readonly [N in HookName]: KernelHook<N> };

/** Who owns a tap: the plugin (for logs) and the loaded instance (for untap on unload or swap). */
export interface TapOwner {
  plugin: string;
  instanceId: string;
}

/** A tap as stored in tapable: tapable keeps extra tap properties, so the owner rides along. */
export type OwnedTap = Tap & { owner: TapOwner; fn: (...args: never[]) => unknown };

function makeHook(name: HookName): KernelHook<HookName> {
  const args = ['arg'] as const;
  switch (HOOK_KINDS[name]) {
    case 'series-bail':
      return new AsyncSeriesBailHook(args, name) as unknown as KernelHook<HookName>;
    case 'series-waterfall':
      return new AsyncSeriesWaterfallHook(args, name) as unknown as KernelHook<HookName>;
    case 'sync-bail':
      return new SyncBailHook(args, name) as unknown as KernelHook<HookName>;
    case 'parallel-notify':
      return new AsyncParallelHook(args, name) as unknown as KernelHook<HookName>;
  }
}

export function createKernelHooks(): KernelHooks {
  const hooks = {} as Record<HookName, KernelHook<HookName>>;
  for (const name of Object.keys(HOOK_KINDS) as HookName[]) hooks[name] = makeHook(name);
  return Object.freeze(hooks) as unknown as KernelHooks;
}

/**
 * tapable has no untap (webpack/tapable#75). We filter `hook.taps` and call the private
 * `_resetCompilation()`, or the removed tap keeps running from the compiled snapshot. Boot fails
 * loudly if a tapable upgrade removed that method.
 */
export function assertTapableCompatible(): void {
  for (const name of Object.keys(HOOK_KINDS) as HookName[]) {
    const hook = makeHook(name) as unknown as Record<string, unknown>;
    if (typeof hook._resetCompilation !== 'function' || !Array.isArray(hook.taps)) {
      throw new KernelError(
        'KRN_ERR_TAPABLE_INCOMPATIBLE',
        `tapable's ${hook.constructor?.name ?? 'hook'} has no _resetCompilation() or taps array, so plugins could not be unloaded`,
      );
    }
  }
}

/**
 * Build the tapable tap for an owned function: `sync` on sync hooks; elsewhere `async` (callback
 * style, what the kernel's wrappers produce) or `promise` (a function returning a promise).
 */
export function makeTap(name: HookName, owner: TapOwner, fn: (...args: never[]) => unknown, type?: 'sync' | 'async' | 'promise'): OwnedTap {
  const kind = type ?? (HOOK_KINDS[name] === 'sync-bail' ? 'sync' : 'promise');
  return { type: kind, name: owner.plugin, stage: 0, owner, fn } as unknown as OwnedTap;
}

/**
 * Replace every tap of `removeInstanceId` on `hook` with `add` in one step (one recompile), at the
 * position the removed taps had, so a swap keeps the plugin's place in bail order. With no taps to
 * remove, `add` go to the end. Either argument may be empty (pure add, pure remove).
 */
export function replaceTaps(hook: KernelHook<HookName>, removeInstanceId: string | undefined, add: OwnedTap[]): void {
  const next: Tap[] = [];
  let placed = false;
  for (const tap of hook.taps as OwnedTap[]) {
    if (removeInstanceId !== undefined && tap.owner?.instanceId === removeInstanceId) {
      if (!placed) next.push(...add);
      placed = true;
      continue;
    }
    next.push(tap);
  }
  if (!placed) next.push(...add);
  hook.taps = next;
  hook._resetCompilation();
}
