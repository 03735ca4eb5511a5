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

/**
 * The kind of every hook. Frozen: the catalogue changes only with the plugin API version. The
 * compiler checks that every hook of `HookSpecs` has exactly one kind, and reads the kinds back
 * (`HookHandler` gives sync hooks sync handlers).
 */
export const HOOK_KINDS = Object.freeze({
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
} as const satisfies { readonly [N in HookName]: HookKind });

/** The kind of hook `N`, as a type. */
export type HookKindOf<N extends HookName> = (typeof HOOK_KINDS)[N];

/** A tap function as a plugin writes it: sync hooks take sync functions, the rest may be async. */
export type HookHandler<N extends HookName> =
  HookKindOf<N> extends 'sync-bail'
    ? (arg: HookArg<N>) => HookResult<N>
    : (arg: HookArg<N>) => HookResult<N> | Promise<HookResult<N>>;

/**
 * Where a tap runs among the taps of one hook (the optional last argument of every tap method,
 * e.g. `ctx.auth.authenticate(handler, { before: ['auth-token'] })`). Taps run, or are asked, in
 * this order:
 * 1. by `stage`, lower first (default 0; negative runs early, positive late);
 * 2. a tap whose `before` names a plugin runs before every tap of that plugin (within its stage);
 * 3. otherwise by plugin name, then in the order the plugin registered them.
 * The order never depends on which plugin was activated first, and a swap to a new version keeps
 * its place. For `series-bail` hooks the first answer wins, so order decides who answers.
 */
export interface TapOptions {
  stage?: number;
  /** Plugin name(s) this tap must run before. */
  before?: string | readonly string[];
}
