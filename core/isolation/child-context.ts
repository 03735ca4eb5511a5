/**
 * `ctx` inside an isolated plugin's process. What the plugin registers is sent to the kernel, where
 * the plugin's kernel-side `ctx` records it in the ledger with a stub that calls back here; what
 * stays here is the plugin's own business: its logger (lines go to the kernel's log), timers,
 * programs (`ctx.exec`, allowed by the `childProcess` permission), services. Everything here ends
 * with the process.
 */
import path from 'node:path';
import type { ActionDefinition, PluginContext, PluginLogger, ServiceToken } from '../../plugin-sdk/context.js';
import type { HookName, TapOptions } from '../../plugin-sdk/hook-catalogue.js';
import { KernelError } from '../errors/kernel-error.js';
import { Ledger } from '../loader/ledger.js';
import type { CallSite } from '../loader/plugin-call.js';
import { trackedExec, trackedTimers } from '../loader/tracked-resources.js';
import type { ChildInit, FromChild, LogLevel, Registration, Registry } from './ipc-protocol.js';
import { wireCodec } from './wire-codecs.js';

export interface ChildContext {
  ctx: PluginContext;
  ledger: Ledger;
  abort: AbortController;
  /** Handler id → the plugin's function, as the kernel calls them. */
  handlers: Map<number, (...args: unknown[]) => unknown>;
}

function childLogger(send: (message: FromChild) => void, bindings: Record<string, unknown>): PluginLogger {
  const at =
    (level: LogLevel) =>
    (obj: unknown, msg?: string): void =>
      send({
        t: 'log',
        level,
        bindings,
        obj: obj instanceof Error ? { err: obj.message, stack: obj.stack } : obj,
        ...(msg === undefined ? {} : { msg }),
      });
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => childLogger(send, { ...bindings, ...more }),
  };
}

/** A small DI container: the plugin's own registrations (the kernel's container is not reachable from here). */
function localServices(): PluginContext['services'] {
  const entries = new Map<ServiceToken, { value: unknown } | { factory: () => unknown }>();
  return {
    registerValue: (token, value) => void entries.set(token, { value }),
    registerFactory: (token, factory) => void entries.set(token, { factory }),
    resolve: <T>(token: ServiceToken): T => {
      const entry = entries.get(token);
      if (!entry) throw new Error(`Attempted to resolve unregistered dependency token: "${String(token)}"`);
      return ('value' in entry ? entry.value : entry.factory()) as T;
    },
    isRegistered: (token) => entries.has(token),
  };
}

export function createChildContext(init: ChildInit, send: (message: FromChild) => void): ChildContext {
  const { manifest } = init;
  const handlers = new Map<number, (...args: unknown[]) => unknown>();
  const ledger = new Ledger();
  const abort = new AbortController();
  const logger = childLogger(send, {});
  const site: CallSite = { name: manifest.name, enter: () => undefined, exit: () => undefined };
  const timers = trackedTimers(site, ledger, logger);
  let nextHandler = 0;
  const handler = (fn: (...args: never[]) => unknown, self?: unknown): number => {
    const id = ++nextHandler;
    handlers.set(id, (...args) => fn.apply(self, args as never[]));
    return id;
  };
  const register = (registration: Registration): void => send({ t: 'register', registration });
  const tap =
    <N extends HookName>(hook: N) =>
    (fn: (arg: never) => unknown, options: TapOptions = {}): void =>
      register({ kind: 'tap', hook, handler: handler(fn), options });
  /** A provider method that decodes its arguments and encodes its answer where the call has a wire codec. */
  const coded = (registry: Registry, method: string, fn: (...args: never[]) => unknown) => {
    const codec = wireCodec(registry, method);
    if (!codec) return fn;
    return async function (this: unknown, ...args: unknown[]) {
      return codec.encodeResult(await fn.apply(this, codec.decodeArgs(args) as never[]));
    };
  };
  const provider = (registry: Registry, name: string, object: object): void => {
    const data: Record<string, unknown> = {};
    const methods: Record<string, number> = {};
    for (let o: object | null = object; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const key of Object.getOwnPropertyNames(o)) {
        if (key === 'constructor' || key in methods || key in data) continue;
        const value: unknown = Reflect.get(object, key);
        if (typeof value === 'function')
          methods[key] = handler(coded(registry, key, value as (...args: never[]) => unknown), object);
        // Plain values only (a job type's name and version): a class's private state stays here.
        else if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) data[key] = value;
      }
    }
    register({ kind: 'provider', registry, name, data, methods });
  };
  const actions = new Set<string>();

  const ctx: PluginContext = Object.freeze({
    manifest: Object.freeze({ ...manifest }),
    config: Object.freeze({ ...init.config }),
    logger,
    dataDir: init.dataDir,
    assetsDir: path.join(init.bundleDir, 'assets'),
    signal: abort.signal,
    kernel: Object.freeze({ ...init.kernel }),
    auth: {
      preAuth: tap('auth.preAuth'),
      authenticate: tap('auth.authenticate'),
      authorize: tap('auth.authorize'),
      onPostAuthenticate: tap('auth.postAuthenticate'),
      onPostSignup: tap('auth.postSignup'),
      signedUp: (event) => send({ t: 'signedUp', event }),
    },
    jobTypes: {
      register: (p) => provider('jobTypes', `${p.name}:${p.version}`, p),
      validateManifest: tap('jobs.validateManifest'),
    },
    scheduling: {
      registerScheduler: (name, p) => provider('schedulers', name, p),
      admit: tap('scheduling.admit'),
      filter: () => {
        throw new KernelError(
          'KRN_ERR_ISOLATION_UNSUPPORTED',
          'scheduling.filter is synchronous (it runs per job and agent inside the scheduling pass), so it cannot reach a plugin in another process; use scheduling.admit, or run this plugin in-process',
          { plugin: manifest.name },
        );
      },
    },
    infrastructure: {
      registerTarget: (name, p) => provider('targets', name, p),
      reportJobState: (report) => send({ t: 'report', report }),
    },
    storage: { registerBackend: (name, p) => provider('storage', name, p) },
    events: {
      on: (pattern, fn, options = {}) => register({ kind: 'event', pattern, handler: handler(fn), options }),
    },
    plugins: { inUse: tap('plugins.inUse') },
    http: {
      route: (method, routePath, fn) => {
        if (!routePath.startsWith('/'))
          throw new KernelError('KRN_ERR_BAD_REQUEST', `route path "${routePath}" must start with /`, {
            plugin: manifest.name,
          });
        register({ kind: 'route', method, path: routePath, handler: handler(fn) });
      },
    },
    actions: {
      register: (name, action: ActionDefinition) => {
        if (actions.has(name))
          throw new KernelError('KRN_ERR_DUPLICATE', `action "${name}" registered twice`, { plugin: manifest.name });
        actions.add(name);
        register({
          kind: 'action',
          name,
          description: action.description,
          ...(action.inputSchema ? { inputSchema: action.inputSchema } : {}),
          handler: handler(action.handler, action),
        });
      },
    },
    services: localServices(),
    exec: (file, args = [], options = {}) => {
      const started = trackedExec(ledger, file, args, options);
      if (started.pid !== undefined) {
        const pid = started.pid;
        send({ t: 'spawned', pid });
        void started.result.finally(() => send({ t: 'reaped', pid }));
      }
      return started;
    },
    setTimeout: timers.setTimeout,
    setInterval: timers.setInterval,
    clearTimer: timers.clearTimer,
  } satisfies PluginContext);
  return { ctx, ledger, abort, handlers };
}
