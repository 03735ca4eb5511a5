import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { ActionDefinition, PluginContext } from '../../plugin-sdk/context.js';
import { secretValues } from '../config/plugin-config.js';
import { scrubbingLogger } from './scrubbing-logger.js';
import type { HookHandler, HookName } from '../../plugin-sdk/hook-catalogue.js';
import type { KernelEvent, SignupEvent } from '../../plugin-sdk/hook-types.js';
import type { JobStateReport } from '../../plugin-sdk/providers.js';
import { PLUGIN_API_VERSION } from '../../plugin-sdk/version.js';
import { KernelError } from '../errors/kernel-error.js';
import { makeTap, replaceTaps, type KernelHooks } from '../hooks.js';
import type { KernelRegistries } from '../registries.js';
import type { Registry } from '../registry.js';
import { wrapTap } from './hook-wrappers.js';
import type { PluginInstance } from './plugin-instance.js';
import { trackedExec, trackedTimers } from './tracked-resources.js';

export interface ContextDeps {
  hooks: KernelHooks;
  registries: KernelRegistries;
  logger: Logger;
  container: DependencyContainer;
  /** `<home>/data`: each plugin gets `<dataRoot>/<name>`, kept across versions. */
  dataRoot: string;
  kernelVersion: string;
  hookTimeoutMs: number;
  /** Where `ctx.infrastructure.reportJobState` goes (the job service). */
  reportJobState(plugin: string, report: JobStateReport): void;
  /** Where `ctx.auth.signedUp` goes (fires `auth.postSignup` and `user.signedUp`). */
  signedUp(plugin: string, event: SignupEvent): void;
  /** The instance now serving this plugin name: its keys are the ones this instance may take over. */
  activeInstanceOf(name: string): PluginInstance | undefined;
}

const EVENT_FAMILIES = ['job', 'plugin', 'user', 'volume', 'system'] as const;

function eventHooksFor(pattern: string): HookName[] {
  if (pattern === '*') return EVENT_FAMILIES.map((f) => `events.${f}` as HookName);
  const family = pattern.split('.')[0] as (typeof EVENT_FAMILIES)[number];
  if (!EVENT_FAMILIES.includes(family)) {
    throw new KernelError('KRN_ERR_BAD_REQUEST', `events.on("${pattern}"): the family must be one of ${EVENT_FAMILIES.join(', ')}, or "*"`);
  }
  return [`events.${family}` as HookName];
}

function matchesEvent(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1));
}

/** Build the `ctx` of one instance. Every registration goes into its ledger (and staging). */
export function createPluginContext(instance: PluginInstance, deps: ContextDeps): PluginContext {
  const { manifest } = instance;
  const logger = scrubbingLogger(deps.logger.child({ plugin: manifest.name, version: manifest.version }), secretValues(manifest.configSchema, instance.config));
  const dataDir = path.join(deps.dataRoot, manifest.name);
  mkdirSync(dataDir, { recursive: true });

  const tap = <N extends HookName>(name: N, handler: HookHandler<N>): void => {
    const wrapped = wrapTap(name, manifest.name, handler as (arg: unknown) => unknown, {
      timeoutMs: deps.hookTimeoutMs,
      logger: deps.logger,
      counter: instance,
    });
    const owned = makeTap(name, instance.owner, wrapped.fn, wrapped.type);
    instance.ledger.add('tap', name, () => replaceTaps(deps.hooks[name], instance.id, []));
    if (instance.committed) {
      replaceTaps(deps.hooks[name], undefined, [owned]);
    } else {
      const list = instance.staged.taps.get(name) ?? [];
      list.push(owned);
      instance.staged.taps.set(name, list);
    }
  };

  const register = <T extends object>(registry: Registry<T>, key: string, provider: T): void => {
    const replacing = deps.activeInstanceOf(manifest.name)?.id;
    registry.checkFree(key, instance.owner, replacing);
    const staged = instance.staged.registries.get(registry as Registry<unknown>) ?? new Map<string, unknown>();
    if (staged.has(key)) throw new KernelError('KRN_ERR_DUPLICATE', `${registry.kind} "${key}" registered twice`, { plugin: manifest.name });
    staged.set(key, trackProvider(instance, provider));
    instance.staged.registries.set(registry as Registry<unknown>, staged);
    instance.ledger.add('registry', `${registry.kind} ${key}`, () => registry.removeOwner(instance.id));
    if (instance.committed) registry.replaceOwner(undefined, instance.owner, new Map([[key, staged.get(key)]]) as Map<string, T>);
  };

  const services = deps.container.createChildContainer();
  instance.ledger.add('services', 'DI container', () => services.dispose());
  const timers = trackedTimers(instance.ledger, logger);

  return Object.freeze({
    manifest: Object.freeze({ ...manifest }),
    config: Object.freeze({ ...instance.config }),
    logger,
    dataDir,
    assetsDir: path.join(instance.dir, 'assets'),
    signal: instance.abort.signal,
    kernel: Object.freeze({ version: deps.kernelVersion, pluginApiVersion: PLUGIN_API_VERSION }),
    auth: {
      preAuth: (h) => tap('auth.preAuth', h),
      authenticate: (h) => tap('auth.authenticate', h),
      authorize: (h) => tap('auth.authorize', h),
      onPostAuthenticate: (h) => tap('auth.postAuthenticate', h),
      onPostSignup: (h) => tap('auth.postSignup', h),
      signedUp: (event) => {
        if (!instance.ledger.isClosed) deps.signedUp(manifest.name, event);
      },
    },
    jobTypes: {
      register: (p) => register(deps.registries.jobTypes, `${p.name}:${p.version}`, p),
      validateManifest: (h) => tap('jobs.validateManifest', h),
    },
    scheduling: {
      registerScheduler: (name, p) => register(deps.registries.schedulers, name, p),
      admit: (h) => tap('scheduling.admit', h),
      filter: (h) => tap('scheduling.filter', h),
    },
    infrastructure: {
      registerTarget: (name, p) => register(deps.registries.targets, name, p),
      reportJobState: (report) => {
        if (!instance.ledger.isClosed) deps.reportJobState(manifest.name, report);
      },
    },
    storage: { registerBackend: (name, p) => register(deps.registries.storage, name, p) },
    events: {
      on: (pattern, handler) => {
        for (const hook of eventHooksFor(pattern)) {
          tap(hook as 'events.plugin', (event: KernelEvent) => (matchesEvent(pattern, event.type) ? handler(event) : undefined));
        }
      },
    },
    plugins: { inUse: (h) => tap('plugins.inUse', h) },
    http: {
      route: (method, routePath, handler) => {
        if (!routePath.startsWith('/')) throw new KernelError('KRN_ERR_BAD_REQUEST', `route path "${routePath}" must start with /`, { plugin: manifest.name });
        instance.routes.push({ method, path: routePath, handler: instance.track(handler) });
        instance.ledger.add('route', `${method} ${routePath}`, () => void instance.routes.splice(0));
      },
    },
    actions: {
      register: (name, action: ActionDefinition) => {
        if (instance.actions.has(name)) throw new KernelError('KRN_ERR_DUPLICATE', `action "${name}" registered twice`, { plugin: manifest.name });
        instance.actions.set(name, { ...action, handler: instance.track(action.handler.bind(action)) });
        instance.ledger.add('action', name, () => void instance.actions.delete(name));
      },
    },
    services: {
      registerValue: (token, value) => void services.register(token, { useValue: value }),
      registerFactory: (token, factory) => void services.register(token, { useFactory: () => factory() }),
      resolve: (token) => services.resolve(token),
      isRegistered: (token) => services.isRegistered(token, true),
    },
    exec: (file, args = [], options = {}) => trackedExec(instance.ledger, file, args, options),
    setTimeout: timers.setTimeout,
    setInterval: timers.setInterval,
    clearTimer: timers.clearTimer,
  } satisfies PluginContext);
}

/** Wrap every method of a provider so calls into it are counted for drain. */
function trackProvider<T extends object>(instance: PluginInstance, provider: T): T {
  const tracked: Record<string, unknown> = {};
  for (const key of allKeys(provider)) {
    const value = (provider as Record<string, unknown>)[key];
    tracked[key] = typeof value === 'function' ? instance.track((value as (...a: unknown[]) => unknown).bind(provider)) : value;
  }
  return tracked as T;
}

function allKeys(obj: object): string[] {
  const keys = new Set<string>();
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) if (key !== 'constructor') keys.add(key);
  }
  return [...keys];
}
