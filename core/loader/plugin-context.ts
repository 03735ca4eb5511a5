import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { ActionDefinition, PluginContext } from '../../plugin-sdk/context.js';
import { EVENT_FAMILIES, type EventFamily } from '../../plugin-sdk/event-catalogue.js';
import type { HookHandler, HookName, TapOptions } from '../../plugin-sdk/hook-catalogue.js';
import type { KernelEvent, PostAuthenticateEvent, RequestInfo, SignupEvent } from '../../plugin-sdk/hook-types.js';
import type { JobStateReport } from '../../plugin-sdk/providers.js';
import { PLUGIN_API_VERSION } from '../../plugin-sdk/version.js';
import { secretValues } from '../config/plugin-config.js';
import { KernelError } from '../errors/kernel-error.js';
import type { HookTaps, OwnedTap } from '../hooks/hook-taps.js';
import { resolvePermissions } from '../manifest/plugin-permissions.js';
import type { KernelRegistries } from '../registries/registries.js';
import type { Registry } from '../registries/registry.js';
import { hookTap } from './hook-tap.js';
import type { PluginInstance } from './plugin-instance.js';
import { requestView } from './request-view.js';
import { scrubbingLogger } from './scrubbing-logger.js';
import { sealProvider } from './seal-provider.js';
import { trackedExec, trackedTimers } from './tracked-resources.js';

export interface ContextDeps {
  taps: HookTaps;
  registries: KernelRegistries;
  logger: Logger;
  container: DependencyContainer;
  /** `<home>/data`: each plugin gets `<dataRoot>/<name>`, kept across versions. */
  dataRoot: string;
  kernelVersion: string;
  hookTimeoutMs: number;
  /** Where `ctx.infrastructure.reportJobState` goes (the job side of the kernel). */
  reportJobState(plugin: string, report: JobStateReport): void;
  /** Where `ctx.auth.signedUp` goes (fires `auth.postSignup` and `user.signedUp`). */
  signedUp(plugin: string, event: SignupEvent): void;
  /** The instance now serving this plugin name: its keys are the ones this instance may take over. */
  activeInstanceOf(name: string): PluginInstance | undefined;
}

function eventHooksFor(pattern: string): `events.${EventFamily}`[] {
  if (pattern === '*') return EVENT_FAMILIES.map((f) => `events.${f}` as const);
  const family = pattern.split('.')[0] as EventFamily;
  if (!EVENT_FAMILIES.includes(family)) {
    throw new KernelError(
      'KRN_ERR_BAD_REQUEST',
      `events.on("${pattern}"): the family must be one of ${EVENT_FAMILIES.join(', ')}, or "*"`,
    );
  }
  return [`events.${family}`];
}

/** Auth taps get the request as this plugin may see it (request-view.ts); other hooks carry no request. */
function withRequestView(
  hook: HookName,
  handler: (arg: never) => unknown,
  view: (request: RequestInfo) => RequestInfo,
): (arg: never) => unknown {
  if (hook === 'auth.preAuth' || hook === 'auth.authenticate')
    return (request: RequestInfo) => handler(view(request) as never);
  if (hook === 'auth.postAuthenticate')
    return (event: PostAuthenticateEvent) => handler({ ...event, request: view(event.request) } as never);
  return handler;
}

function matchesEvent(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1));
}

/** Build the `ctx` of one instance. Every registration goes into its ledger (and staging). */
export function createPluginContext(instance: PluginInstance, deps: ContextDeps): PluginContext {
  const { manifest } = instance;
  const logger = scrubbingLogger(
    deps.logger.child({ plugin: manifest.name, version: manifest.version }),
    secretValues(manifest.configSchema, instance.config),
  );
  const dataDir = path.join(deps.dataRoot, manifest.name);
  mkdirSync(dataDir, { recursive: true });

  const requests = requestView(resolvePermissions(manifest, instance.config, { dataDir, jobs: '', transfer: '' }));
  const tap = <N extends HookName>(name: N, handler: HookHandler<N>, options: TapOptions = {}, what?: string): void => {
    const owned: OwnedTap = {
      owner: instance.owner,
      options,
      tap: hookTap(instance, name, withRequestView(name, handler as (arg: never) => unknown, requests), {
        timeoutMs: deps.hookTimeoutMs,
        logger: deps.logger,
        ...(what ? { what } : {}),
      }),
    };
    instance.ledger.add('tap', name, () => deps.taps.replace(name, instance.id, []));
    if (instance.committed) {
      deps.taps.replace(name, undefined, [owned]);
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
    if (staged.has(key))
      throw new KernelError('KRN_ERR_DUPLICATE', `${registry.kind} "${key}" registered twice`, {
        plugin: manifest.name,
      });
    const sealed = sealProvider(instance, registry.kind, key, provider);
    staged.set(key, sealed);
    instance.staged.registries.set(registry as Registry<unknown>, staged);
    instance.ledger.add('registry', `${registry.kind} ${key}`, () => registry.removeOwner(instance.id));
    if (instance.committed) registry.replaceOwner(undefined, instance.owner, new Map([[key, sealed]]));
  };

  const services = deps.container.createChildContainer();
  instance.ledger.add('services', 'DI container', () => services.dispose());
  const timers = trackedTimers(instance, instance.ledger, logger);

  return Object.freeze({
    manifest: Object.freeze({ ...manifest }),
    config: Object.freeze({ ...instance.config }),
    logger,
    dataDir,
    assetsDir: path.join(instance.dir, 'assets'),
    signal: instance.abort.signal,
    kernel: Object.freeze({ version: deps.kernelVersion, pluginApiVersion: PLUGIN_API_VERSION }),
    auth: {
      preAuth: (h, o) => tap('auth.preAuth', h, o),
      authenticate: (h, o) => tap('auth.authenticate', h, o),
      authorize: (h, o) => tap('auth.authorize', h, o),
      onPostAuthenticate: (h, o) => tap('auth.postAuthenticate', h, o),
      onPostSignup: (h, o) => tap('auth.postSignup', h, o),
      signedUp: (event) => {
        if (!instance.ledger.isClosed) deps.signedUp(manifest.name, event);
      },
    },
    jobTypes: {
      register: (p) => register(deps.registries.jobTypes, `${p.name}:${p.version}`, p),
      validateManifest: (h, o) => tap('jobs.validateManifest', h, o),
    },
    scheduling: {
      registerScheduler: (name, p) => register(deps.registries.schedulers, name, p),
      admit: (h, o) => tap('scheduling.admit', h, o),
      filter: (h, o) => tap('scheduling.filter', h, o),
    },
    infrastructure: {
      registerTarget: (name, p) => register(deps.registries.targets, name, p),
      reportJobState: (report) => {
        if (!instance.ledger.isClosed) deps.reportJobState(manifest.name, report);
      },
    },
    storage: { registerBackend: (name, p) => register(deps.registries.storage, name, p) },
    events: {
      on: (pattern, handler, options) => {
        for (const hook of eventHooksFor(pattern)) {
          const listener = (event: KernelEvent) => (matchesEvent(pattern, event.type) ? handler(event) : undefined);
          tap(hook, listener, options, `listener on "${pattern}"`);
        }
      },
    },
    plugins: { inUse: (h, o) => tap('plugins.inUse', h, o) },
    http: {
      route: (method, routePath, handler) => {
        if (!routePath.startsWith('/'))
          throw new KernelError('KRN_ERR_BAD_REQUEST', `route path "${routePath}" must start with /`, {
            plugin: manifest.name,
          });
        instance.routes.push({ method, path: routePath, handler });
        instance.ledger.add('route', `${method} ${routePath}`, () => void instance.routes.splice(0));
      },
    },
    actions: {
      register: (name, action: ActionDefinition) => {
        if (instance.actions.has(name))
          throw new KernelError('KRN_ERR_DUPLICATE', `action "${name}" registered twice`, { plugin: manifest.name });
        instance.actions.set(name, { ...action, handler: action.handler.bind(action) });
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
