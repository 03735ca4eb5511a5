/**
 * The plugin-call seam. Every call from the kernel into plugin code — activate and deactivate,
 * hook taps and event listeners, provider methods (schedulers, job types, targets, storage),
 * routes and actions, timer callbacks, loading a bundle — goes through this file: `asyncCaller` and
 * `syncCaller` make a registration's caller once (hook taps, the hot path), `callPlugin` and
 * `callPluginSync` call once (providers, routes, actions, activate). All do the same four things:
 * - count the call on its plugin instance, so a drain knows when the instance is idle;
 * - apply the call point's time limit (one coarse clock for all, see deadline-watch.ts);
 * - mark which plugin is running while its code runs synchronously (`runningPlugin`), so a fault
 *   is attributed to the call in progress, never guessed from error text;
 * - turn whatever the plugin threw, or a missed limit, into one `KernelError` shape naming the
 *   plugin (`details.plugin`) and the extension point (`details.point`).
 * A plugin in another process (`isolation: "process"`) is reached through the same entries: its
 * functions are stubs that cross IPC, so limits, drain and errors stay one implementation.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isPluginError } from '../../plugin-sdk/errors.js';
import type { ErrorCode } from '../errors/catalogue.js';
import { describeError, isKernelError, KernelError } from '../errors/kernel-error.js';
import { type DeadlineQueue, deadlineQueue, type Watched } from './deadline-watch.js';

/** What kind of extension point a call enters; decides the error codes. */
export type CallKind =
  | 'load'
  | 'activate'
  | 'deactivate'
  | 'hook'
  | 'event'
  | 'provider'
  | 'route'
  | 'action'
  | 'timer';

export interface CallPoint {
  readonly kind: CallKind;
  /** How errors and logs name it: `activate()`, `hook auth.authenticate`, `scheduler fifo: schedule()`. */
  readonly what: string;
  readonly limitMs: number;
  readonly queue: DeadlineQueue;
}

/** The plugin side of a call: its name and its in-flight counter (a `PluginInstance`). */
export interface CallSite {
  readonly name: string;
  readonly version?: string;
  /** Its slot in the event-loop watchdog (loop-watchdog.ts); 0 when it has none. */
  readonly slot?: number;
  enter(): void;
  exit(): void;
}

export type Done = (error: KernelError | null, result?: unknown) => void;

const CODES: Record<CallKind, { failed: ErrorCode; timeout: ErrorCode }> = {
  load: { failed: 'KRN_ERR_PLUGIN_LOAD_FAILED', timeout: 'KRN_ERR_PLUGIN_TIMEOUT' },
  activate: { failed: 'KRN_ERR_ACTIVATION_FAILED', timeout: 'KRN_ERR_ACTIVATION_TIMEOUT' },
  deactivate: { failed: 'KRN_ERR_PLUGIN_FAILED', timeout: 'KRN_ERR_PLUGIN_TIMEOUT' },
  hook: { failed: 'KRN_ERR_HOOK_FAILED', timeout: 'KRN_ERR_HOOK_TIMEOUT' },
  event: { failed: 'KRN_ERR_HOOK_FAILED', timeout: 'KRN_ERR_HOOK_TIMEOUT' },
  provider: { failed: 'KRN_ERR_PLUGIN_FAILED', timeout: 'KRN_ERR_PLUGIN_TIMEOUT' },
  route: { failed: 'KRN_ERR_PLUGIN_FAILED', timeout: 'KRN_ERR_PLUGIN_TIMEOUT' },
  action: { failed: 'KRN_ERR_PLUGIN_FAILED', timeout: 'KRN_ERR_PLUGIN_TIMEOUT' },
  timer: { failed: 'KRN_ERR_PLUGIN_FAILED', timeout: 'KRN_ERR_PLUGIN_TIMEOUT' },
};

export function callPoint(kind: CallKind, what: string, limitMs: number): CallPoint {
  return Object.freeze({ kind, what, limitMs, queue: deadlineQueue(limitMs) });
}

const points = new Map<string, CallPoint>();

/** The same frozen point for the same (kind, name, limit): taps and routes share theirs. */
export function sharedPoint(kind: CallKind, what: string, limitMs: number): CallPoint {
  const key = `${kind}\u0000${what}\u0000${limitMs}`;
  let point = points.get(key);
  if (!point) points.set(key, (point = callPoint(kind, what, limitMs)));
  return point;
}

/** What a plugin threw at `point`, as the caller sees it. The original stays as `cause`. */
export function pluginCallError(plugin: string, point: Pick<CallPoint, 'kind' | 'what'>, error: unknown): KernelError {
  if (isKernelError(error)) return error.details.point !== undefined ? error : withPoint(error, plugin, point.what);
  // A refusal means something in a call the plugin answers; in activate() it is a failure like any.
  if (isPluginError(error) && point.kind !== 'activate' && point.kind !== 'load') {
    return new KernelError('KRN_ERR_PLUGIN_REJECTED', `${point.what}: ${error.message}`, {
      plugin,
      status: error.status,
      details: { point: point.what, ...error.details },
      cause: error,
    });
  }
  return new KernelError(CODES[point.kind].failed, `${point.what} threw: ${describeError(error)}`, {
    plugin,
    details: { point: point.what },
    cause: error,
  });
}

/** A kernel error from inside the call (an isolated plugin's process died during it): the point added. */
function withPoint(error: KernelError, plugin: string, point: string): KernelError {
  const owner = typeof error.details.plugin === 'string' ? error.details.plugin : plugin;
  return new KernelError(error.code, error.what, {
    plugin: owner,
    status: error.status,
    details: { ...error.details, point },
    cause: error.cause,
  });
}

export function pluginTimeoutError(plugin: string, point: CallPoint): KernelError {
  return new KernelError(CODES[point.kind].timeout, `${point.what} did not answer within ${point.limitMs} ms`, {
    plugin,
    details: { point: point.what, limitMs: point.limitMs },
  });
}

/**
 * Who runs now, as the slot of a plugin instance (0: kernel code), in shared memory so the
 * event-loop watchdog's thread can read it while this thread is blocked (loop-watchdog.ts).
 * One typed-array store on the way in and one on the way out: on this hot path an object field or
 * a function call was measurably slower.
 */
export const RUNNING = new Int32Array(new SharedArrayBuffer(8));
const sites = new Map<number, CallSite>();
let nextSlot = 0;

/** A slot for a plugin instance (the seam marks it while its code runs); release it when the instance is gone. */
export function slotOf(site: CallSite): number {
  const slot = ++nextSlot;
  sites.set(slot, site);
  return slot;
}

export function releaseSlot(slot: number): void {
  sites.delete(slot);
}

/** The plugin whose code runs synchronously right now (undefined: kernel code). */
export function runningPlugin(): string | undefined {
  return sites.get(RUNNING[0]!)?.name;
}

/**
 * Calls made once per call (activate, providers, routes, actions — not the hook hot path) run in
 * this async context, so timers and promises the plugin starts from them carry it: an error they
 * throw later, outside any call, is still the plugin's (`faultOwner`).
 */
const scope = new AsyncLocalStorage<CallSite>();

/** Whose fault an error outside any call is: the plugin running now, or the one whose call started the failing work. */
export function faultOwner(): CallSite | undefined {
  return sites.get(RUNNING[0]!) ?? scope.getStore();
}

/** One call in flight: the deadline queue's entry and the settle logic in one object. */
class PendingCall implements Watched {
  done = false;
  deadline = 0;
  queue: DeadlineQueue | undefined = undefined;

  constructor(
    private readonly site: CallSite,
    private readonly point: CallPoint,
    private readonly callback: Done,
  ) {}

  ok(value: unknown): void {
    if (this.done) return;
    this.done = true;
    this.site.exit();
    this.callback(null, value);
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.site.exit();
    this.callback(pluginCallError(this.site.name, this.point, error));
  }

  expire(): void {
    this.site.exit();
    this.callback(pluginTimeoutError(this.site.name, this.point));
  }
}

/**
 * `fn` as tapable's `async` taps take it: `(arg, done)`, reporting to `done` (callback style: the
 * hook hot path, where a promise per call would cost a microtask). Made once per registration.
 */
export function asyncCaller(
  site: CallSite,
  point: CallPoint,
  fn: (arg: never) => unknown,
): (arg: unknown, done: Done) => void {
  const slot = site.slot ?? 0;
  return (arg, done) => {
    site.enter();
    const outer = RUNNING[0]!;
    RUNNING[0] = slot;
    let result: unknown;
    try {
      result = fn(arg as never);
    } catch (error) {
      RUNNING[0] = outer;
      site.exit();
      return done(pluginCallError(site.name, point, error));
    }
    RUNNING[0] = outer;
    if (typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') {
      site.exit();
      return done(null, result);
    }
    const call = new PendingCall(site, point, done);
    point.queue.watch(call);
    (result as PromiseLike<unknown>).then(
      (value) => call.ok(value),
      (error: unknown) => call.fail(error),
    );
  };
}

/** `fn` as a synchronous tap (sync hooks: no time limit can apply, and nothing is in flight once it returns). */
export function syncCaller(site: CallSite, point: CallPoint, fn: (arg: never) => unknown): (arg: unknown) => unknown {
  const slot = site.slot ?? 0;
  return (arg) => {
    const outer = RUNNING[0]!;
    RUNNING[0] = slot;
    let result: unknown;
    try {
      result = fn(arg as never);
    } catch (error) {
      RUNNING[0] = outer;
      throw pluginCallError(site.name, point, error);
    }
    RUNNING[0] = outer;
    return result;
  };
}

/** Call `fn(...args)` through the seam and get its result as a promise (providers, routes, actions, activate). */
export function callPlugin<R>(
  site: CallSite,
  point: CallPoint,
  fn: (...args: never[]) => R | PromiseLike<R>,
  ...args: unknown[]
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    scope.run(site, () =>
      asyncCaller(site, point, () => fn(...(args as never[])))(undefined, (error, result) =>
        error ? reject(error) : resolve(result as R),
      ),
    );
  });
}

/** Call `fn()` synchronously through the seam (loading a bundle, a timer callback). */
export function callPluginSync<R>(site: CallSite, point: CallPoint, fn: () => R): R {
  return syncCaller(site, point, fn)(undefined) as R;
}
