import type { Logger } from 'pino';
import type { DefinedPlugin } from '../../plugin-sdk/define-plugin.js';
import type { HookName } from '../../plugin-sdk/hook-catalogue.js';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { describeError } from '../errors/kernel-error.js';
import { allRegistries } from '../registries/registries.js';
import { forgetSlot } from './loop-watchdog.js';
import { evictModules, loadPluginModule } from './module-loader.js';
import { callPlugin, callPluginSync, callPoint, sharedPoint } from './plugin-call.js';
import { type ContextDeps, createPluginContext } from './plugin-context.js';
import { PluginInstance } from './plugin-instance.js';

export interface HostTimeouts {
  activationMs: number;
  drainMs: number;
  deactivationMs: number;
}

const LOAD = sharedPoint('load', 'loading the bundle', 0);

/**
 * Runs plugin instances: loads and activates a new one, makes its registrations visible in one
 * step (replacing the active instance of the same name: the swap), and retires the old one —
 * drain, `deactivate`, undo the ledger, evict its modules. Plugin code runs only through the
 * plugin-call seam (loader/plugin-call.ts).
 */
export class PluginHost {
  private readonly active = new Map<string, PluginInstance>();
  private readonly retiring = new Set<Promise<void>>();
  private readonly activatePoint;
  private readonly deactivatePoint;

  constructor(
    private readonly deps: Omit<ContextDeps, 'activeInstanceOf'>,
    private readonly timeouts: HostTimeouts,
    private readonly logger: Logger,
  ) {
    this.activatePoint = callPoint('activate', 'activate()', timeouts.activationMs);
    this.deactivatePoint = callPoint('deactivate', 'deactivate()', timeouts.deactivationMs);
  }

  activeInstance(name: string): PluginInstance | undefined {
    return this.active.get(name);
  }

  activeInstances(): PluginInstance[] {
    return [...this.active.values()];
  }

  /**
   * Load and activate `manifest` from `dir`. On success the new instance serves all new calls at
   * once and the previous instance (if any) drains and unloads in the background. On failure
   * everything the new instance did is undone, the previous one stays, and a KernelError is thrown.
   */
  async start(
    manifest: PluginManifest,
    dir: string,
    config: Record<string, unknown>,
    /**
     * Where the code comes from: by default `main` is loaded from `dir` into this process; the test
     * kit passes already-loaded code; an isolated plugin passes a factory of its process's stand-in.
     */
    code?: DefinedPlugin | ((instance: PluginInstance) => DefinedPlugin),
  ): Promise<{ replaced: PluginInstance | undefined }> {
    const instance = new PluginInstance(manifest, dir, config);
    const previous = this.active.get(manifest.name);
    try {
      instance.isolated = typeof code === 'function';
      const definition =
        typeof code === 'function'
          ? code(instance)
          : (code ?? callPluginSync(instance, LOAD, () => loadPluginModule(dir, manifest.main, manifest.name)));
      const ctx = createPluginContext(instance, { ...this.deps, activeInstanceOf: (n) => this.active.get(n) });
      instance.definition = definition;
      instance.ctx = ctx;
      await callPlugin(instance, this.activatePoint, definition.activate.bind(definition), ctx);
      this.commit(instance, previous);
    } catch (error) {
      await this.discard(instance);
      throw error;
    }
    if (previous) this.retireInBackground(previous);
    return { replaced: previous };
  }

  /** Take the active instance of `name` out of service and unload it (after draining). */
  async stop(name: string): Promise<void> {
    const instance = this.active.get(name);
    if (!instance) return;
    this.withdraw(instance);
    this.active.delete(name);
    await this.retire(instance);
  }

  /** Wait for every background retirement (drains) to finish. */
  async settled(): Promise<void> {
    while (this.retiring.size > 0) await Promise.all([...this.retiring]);
  }

  /** Stop every instance, dependents first (`order` is load order). */
  async stopAll(order: string[]): Promise<void> {
    const names = [
      ...order.filter((n) => this.active.has(n)),
      ...[...this.active.keys()].filter((n) => !order.includes(n)),
    ];
    for (const name of names.reverse()) await this.stop(name);
    await this.settled();
  }

  private commit(instance: PluginInstance, previous: PluginInstance | undefined): void {
    const registries = allRegistries(this.deps.registries);
    for (const registry of registries) {
      for (const key of instance.staged.registries.get(registry)?.keys() ?? [])
        registry.checkFree(key, instance.owner, previous?.id);
    }
    for (const registry of registries) {
      registry.replaceOwner(previous?.id, instance.owner, instance.staged.registries.get(registry) ?? new Map());
    }
    const hooks = new Set<HookName>(instance.staged.taps.keys());
    if (previous) for (const name of this.deps.taps.hooksOf(previous.id)) hooks.add(name);
    for (const name of hooks) this.deps.taps.replace(name, previous?.id, instance.staged.taps.get(name) ?? []);
    instance.staged.taps.clear();
    instance.staged.registries.clear();
    instance.committed = true;
    this.active.set(instance.name, instance);
  }

  private withdraw(instance: PluginInstance): void {
    for (const registry of allRegistries(this.deps.registries)) registry.removeOwner(instance.id);
    this.deps.taps.removeInstance(instance.id);
  }

  private retireInBackground(instance: PluginInstance): void {
    const done = this.retire(instance).finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }

  private async retire(instance: PluginInstance): Promise<void> {
    const { drained, inflight } = await instance.drain(this.timeouts.drainMs);
    if (!drained) {
      this.logger.warn(
        { plugin: instance.name, version: instance.version, inflight },
        `drain deadline passed with ${inflight} call(s) still running; unloading anyway`,
      );
    }
    const { definition, ctx } = instance;
    instance.abort.abort();
    if (definition?.deactivate && ctx) {
      try {
        await callPlugin(instance, this.deactivatePoint, definition.deactivate.bind(definition), ctx);
      } catch (error) {
        this.logger.warn(
          { plugin: instance.name, version: instance.version, err: describeError(error) },
          'deactivate() failed; unloading anyway',
        );
      }
    }
    await this.discard(instance);
  }

  /** Undo the ledger and drop the code. Used for retired and for failed instances. */
  private async discard(instance: PluginInstance): Promise<void> {
    instance.abort.abort();
    for (const { entry, error } of await instance.ledger.undoAll()) {
      this.logger.warn(
        { plugin: instance.name, what: `${entry.kind} ${entry.what}`, err: describeError(error) },
        'could not undo a registration',
      );
    }
    if (![...this.active.values()].some((other) => other !== instance && other.dir === instance.dir))
      evictModules(instance.dir);
    instance.definition = undefined;
    instance.ctx = undefined;
    forgetSlot(instance.slot);
  }
}
