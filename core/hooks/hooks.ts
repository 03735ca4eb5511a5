/**
 * The kernel hook catalogue: one tapable hook per property, declared once and frozen (webpack's
 * `compiler.hooks` is the model). Kinds, payloads and meanings are in
 * `plugin-sdk/hook-catalogue.ts`; the compiler checks each property against its kind. Plugins
 * never touch these: `ctx` taps on their behalf through `HookTaps`, which also untaps.
 */
import { AsyncParallelHook, AsyncSeriesBailHook, AsyncSeriesWaterfallHook, SyncBailHook } from 'tapable';
import type { HookArg, HookKind, HookKindOf, HookName, HookResult } from '../../plugin-sdk/hook-catalogue.js';
import { KernelError } from '../errors/kernel-error.js';

// tapable's typings omit the private reset of the compiled caller (see assertTapableCompatible).
declare module 'tapable' {
  interface SyncBailHook<T, R, AdditionalOptions> {
    _resetCompilation(): void;
  }
  interface AsyncSeriesBailHook<T, R, AdditionalOptions> {
    _resetCompilation(): void;
  }
  interface AsyncSeriesWaterfallHook<T, R, AdditionalOptions> {
    _resetCompilation(): void;
  }
  interface AsyncParallelHook<T, AdditionalOptions> {
    _resetCompilation(): void;
  }
}

/** The tapable class behind each hook kind. */
type TapableFor<K extends HookKind, A, R> = K extends 'series-bail'
  ? AsyncSeriesBailHook<[A], R>
  : K extends 'series-waterfall'
    ? AsyncSeriesWaterfallHook<[A]>
    : K extends 'sync-bail'
      ? SyncBailHook<[A], R>
      : AsyncParallelHook<[A]>;

export type KernelHook<N extends HookName> = TapableFor<HookKindOf<N>, HookArg<N>, HookResult<N>>;
export type KernelHooks = { readonly [N in HookName]: KernelHook<N> };
export type AnyKernelHook = KernelHooks[HookName];

export function createKernelHooks(): KernelHooks {
  return Object.freeze({
    'auth.preAuth': new AsyncSeriesBailHook<[HookArg<'auth.preAuth'>], HookResult<'auth.preAuth'>>(
      ['arg'],
      'auth.preAuth',
    ),
    'auth.authenticate': new AsyncSeriesBailHook<[HookArg<'auth.authenticate'>], HookResult<'auth.authenticate'>>(
      ['arg'],
      'auth.authenticate',
    ),
    'auth.authorize': new AsyncSeriesBailHook<[HookArg<'auth.authorize'>], HookResult<'auth.authorize'>>(
      ['arg'],
      'auth.authorize',
    ),
    'auth.postAuthenticate': new AsyncParallelHook<[HookArg<'auth.postAuthenticate'>]>(
      ['arg'],
      'auth.postAuthenticate',
    ),
    'auth.postSignup': new AsyncParallelHook<[HookArg<'auth.postSignup'>]>(['arg'], 'auth.postSignup'),
    'jobs.validateManifest': new AsyncSeriesWaterfallHook<[HookArg<'jobs.validateManifest'>]>(
      ['arg'],
      'jobs.validateManifest',
    ),
    'scheduling.admit': new AsyncSeriesBailHook<[HookArg<'scheduling.admit'>], HookResult<'scheduling.admit'>>(
      ['arg'],
      'scheduling.admit',
    ),
    'scheduling.filter': new SyncBailHook<[HookArg<'scheduling.filter'>], HookResult<'scheduling.filter'>>(
      ['arg'],
      'scheduling.filter',
    ),
    'plugins.inUse': new AsyncSeriesWaterfallHook<[HookArg<'plugins.inUse'>]>(['arg'], 'plugins.inUse'),
    'events.job': new AsyncParallelHook<[HookArg<'events.job'>]>(['arg'], 'events.job'),
    'events.plugin': new AsyncParallelHook<[HookArg<'events.plugin'>]>(['arg'], 'events.plugin'),
    'events.user': new AsyncParallelHook<[HookArg<'events.user'>]>(['arg'], 'events.user'),
    'events.volume': new AsyncParallelHook<[HookArg<'events.volume'>]>(['arg'], 'events.volume'),
    'events.system': new AsyncParallelHook<[HookArg<'events.system'>]>(['arg'], 'events.system'),
  } satisfies KernelHooks);
}

/**
 * tapable has no untap (webpack/tapable#75): `HookTaps` sets `hook.taps` and calls the private
 * `_resetCompilation()`, or a removed tap keeps running from the compiled caller. Boot fails
 * loudly if a tapable upgrade removed either.
 */
export function assertTapableCompatible(hooks: KernelHooks = createKernelHooks()): void {
  for (const hook of Object.values(hooks)) {
    if (typeof hook._resetCompilation !== 'function' || !Array.isArray(hook.taps)) {
      throw new KernelError(
        'KRN_ERR_TAPABLE_INCOMPATIBLE',
        `tapable's ${hook.constructor.name} has no _resetCompilation() or taps array, so plugins could not be unloaded`,
      );
    }
  }
}
