import type {
  AdmitRequest,
  AuthOutcome,
  AuthorizeDecision,
  AuthorizeRequest,
  FilterRequest,
  InUseQuery,
  JobManifestData,
  KernelEvent,
  PostAuthenticateEvent,
  Rejection,
  RequestInfo,
  SignupEvent,
} from './hook-types.js';

/**
 * How the taps of a hook are run.
 * - `series-bail`: one after another, in tap order; the first tap that returns something other
 *   than `undefined` ends the call and its value is the result. Returning `undefined` means
 *   "no opinion, ask the next tap".
 * - `series-waterfall`: one after another; each tap gets the previous tap's return value and must
 *   return the (possibly changed) value. Throwing rejects the whole call.
 * - `sync-bail`: like `series-bail` but synchronous, for hot paths (called per job × agent).
 * - `parallel-notify`: all taps at once; results are ignored; each tap has a time limit; a tap that
 *   throws or times out is logged with its plugin's name and never fails the caller.
 */
export type HookKind = 'series-bail' | 'series-waterfall' | 'sync-bail' | 'parallel-notify';

/**
 * The hook catalogue, as types: hook name → its argument and result. `core/hooks.ts` builds the
 * tapable hooks from `HOOK_KINDS`; the two are one list, checked by the compiler.
 */
export interface HookSpecs {
  /** Before credentials are read: an SSO plugin may return a principal from a cookie or header. */
  'auth.preAuth': { arg: RequestInfo; result: AuthOutcome | undefined };
  /** First provider that returns a principal wins; `{reject}` ends the chain with a 401 and the reason. */
  'auth.authenticate': { arg: RequestInfo; result: AuthOutcome | undefined };
  /** First `allow` / `deny` wins; when every tap passes, the answer is deny (403). */
  'auth.authorize': { arg: AuthorizeRequest; result: AuthorizeDecision | undefined };
  /** After a principal is established. Side effects only. */
  'auth.postAuthenticate': { arg: PostAuthenticateEvent; result: void };
  /** After a user signs up. Side effects only. */
  'auth.postSignup': { arg: SignupEvent; result: void };
  /** Transform or reject (throw) a job manifest before it is stored. */
  'jobs.validateManifest': { arg: JobManifestData; result: JobManifestData };
  /** Quotas and policy at enqueue; a `{reject}` goes back to the caller. */
  'scheduling.admit': { arg: AdmitRequest; result: Rejection | undefined };
  /** An agent predicate: `{reject}` rules this agent out for this job, with the reason shown in the queue. */
  'scheduling.filter': { arg: FilterRequest; result: Rejection | undefined };
  /** Before uninstalling `name@version`, every tap appends who still uses it; non-empty = refused unless forced. */
  'plugins.inUse': { arg: InUseQuery; result: InUseQuery };
  /** `job.*` events (state changes, deployed, deleted). */
  'events.job': { arg: KernelEvent; result: void };
  /** `plugin.*` events (installed, activated, swapped, failed, uninstalled, config-changed). */
  'events.plugin': { arg: KernelEvent; result: void };
  /** `user.*` events (signed up, token created, …). */
  'events.user': { arg: KernelEvent; result: void };
  /** `volume.*` events (created, deleted, cloned, shared, quota changed, files written or removed). */
  'events.volume': { arg: KernelEvent; result: void };
  /** `system.*` events (kernel started, stopping, maintenance toggled). */
  'events.system': { arg: KernelEvent; result: void };
}

export type HookName = keyof HookSpecs;
export type HookArg<N extends HookName> = HookSpecs[N]['arg'];
export type HookResult<N extends HookName> = HookSpecs[N]['result'];

/** The kind of every hook. Frozen: the catalogue changes only with the plugin API version. */
export const HOOK_KINDS: Readonly<Record<HookName, HookKind>> = Object.freeze({
  'auth.preAuth': 'series-bail',
  'auth.authenticate': 'series-bail',
  'auth.authorize': 'series-bail',
  'auth.postAuthenticate': 'parallel-notify',
  'auth.postSignup': 'parallel-notify',
  'jobs.validateManifest': 'series-waterfall',
  'scheduling.admit': 'series-bail',
  'scheduling.filter': 'sync-bail',
  'plugins.inUse': 'series-waterfall',
  'events.job': 'parallel-notify',
  'events.plugin': 'parallel-notify',
  'events.user': 'parallel-notify',
  'events.volume': 'parallel-notify',
  'events.system': 'parallel-notify',
});

/** A tap function as a plugin writes it: sync hooks take sync functions, the rest may be async. */
export type HookHandler<N extends HookName> = HOOK_KIND_OF<N> extends 'sync-bail'
  ? (arg: HookArg<N>) => HookResult<N>
  : (arg: HookArg<N>) => HookResult<N> | Promise<HookResult<N>>;

// The compiler cannot read HOOK_KINDS at the type level, so the sync hooks are named here too.
type HOOK_KIND_OF<N extends HookName> = N extends 'scheduling.filter' ? 'sync-bail' : 'async';
