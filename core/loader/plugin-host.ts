import type { Logger } from 'pino';
import type { DefinedPlugin } from '../../plugin-sdk/define-plugin.js';
import type { HookName } from '../../plugin-sdk/hook-catalogue.js';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { KernelError, describeError, isKernelError } from '../errors/kernel-error.js';
import { replaceTaps } from '../hooks.js';
import { allRegistries } from '../registries.js';
import { withTimeout } from './hook-wrappers.js';
import { evictModules, loadPluginModule } from './module-loader.js';
import { createPluginContext, type ContextDeps } from './plugin-context.js';
import { PluginInstance } from './plugin-instance.js';

export interface HostTimeouts {
  activationMs: number;
  drainMs: number;
  deactivationMs: number;
}

/**
 * Runs plugin instances: loads and activates a new one, makes its registrations visible in one
 * step (replacing the active instance of the same name: the swap), and retires the old one —
 * drain, `deactivate`, undo the ledger, evict its modules.
 */
export class PluginHost {
  private readonly active = new Map<string, PluginInstance>();
  private readonly retiring = new Set<Promise<void>>();

  constructor(
    private readonly deps: Omit<ContextDeps, 'activeInstanceOf'>,
    private readonly timeouts: HostTimeouts,
    private readonly logger: Logger,
  ) {}

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
    /** Already-loaded code (the SDK test kit); by default `main` is loaded from `dir`. */
    preloaded?: DefinedPlugin,
  ): Promise<{ replaced: PluginInstance | undefined }> {
    const instance = new PluginInstance(manifest, dir, config);
    const previous = this.active.get(manifest.name);
    try {
      instance.definition = preloaded ?? loadPluginModule(dir, manifest.main, manifest.name);
      instance.ctx = createPluginContext(instance, { ...this.deps, activeInstanceOf: (n) => this.active.get(n) });
      const definition = instance.definition;
      const ctx = instance.ctx;
      await withTimeout(
        Promise.resolve().then(() => definition.activate(ctx)),
        this.timeouts.activationMs,
        () => new KernelError('KRN_ERR_ACTIVATION_TIMEOUT', `activate() did not finish within ${this.timeouts.activationMs} ms`, { plugin: manifest.name }),
      );
      this.commit(instance, previous);
    } catch (error) {
      await this.discard(instance);
      if (isKernelError(error)) throw error;
      throw new KernelError('KRN_ERR_ACTIVATION_FAILED', `activate() threw: ${describeError(error)}`, { plugin: manifest.name, cause: error });
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
    const names = [...order.filter((n) => this.active.has(n)), ...[...this.active.keys()].filter((n) => !order.includes(n))];
    for (const name of names.reverse()) await this.stop(name);
    await this.settled();
  }

  private commit(instance: PluginInstance, previous: PluginInstance | undefined): void {
    const registries = allRegistries(this.deps.registries);
    for (const registry of registries) {
      for (const key of instance.staged.registries.get(registry)?.keys() ?? []) registry.checkFree(key, instance.owner, previous?.id);
    }
    for (const registry of registries) {
      registry.replaceOwner(previous?.id, instance.owner, instance.staged.registries.get(registry) ?? new Map());
    }
    for (const name of Object.keys(this.deps.hooks) as HookName[]) {
      const add = instance.staged.taps.get(name) ?? [];
      if (add.length > 0 || previous) replaceTaps(this.deps.hooks[name], previous?.id, add);
    }
    instance.staged.taps.clear();
    instance.staged.registries.clear();
    instance.committed = true;
    this.active.set(instance.name, instance);
  }

  private withdraw(instance: PluginInstance): void {
    for (const registry of allRegistries(this.deps.registries)) registry.removeOwner(instance.id);
    for (const name of Object.keys(this.deps.hooks) as HookName[]) {
      if (this.deps.hooks[name].taps.some((t) => (t as { owner?: { instanceId: string } }).owner?.instanceId === instance.id)) {
        replaceTaps(this.deps.hooks[name], instance.id, []);
      }
    }
  }

  private retireInBackground(instance: PluginInstance): void {
    const done = this.retire(instance).finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }

  private async retire(instance: PluginInstance): Promise<void> {
    const { drained, inflight } = await instance.drain(this.timeouts.drainMs);
    if (!drained) {
      this.logger.warn({ plugin: instance.name, version: instance.version, inflight }, `drain deadline passed with ${inflight} call(s) still running; unloading anyway`);
    }
    const definition = instance.definition;
    const ctx = instance.ctx;
    instance.abort.abort();
    if (definition?.deactivate && ctx) {
      try {
        await withTimeout(
          Promise.resolve().then(() => definition.deactivate?.(ctx)),
          this.timeouts.deactivationMs,
          () => new Error(`deactivate() did not finish within ${this.timeouts.deactivationMs} ms`),
        );
      } catch (error) {
        this.logger.warn({ plugin: instance.name, version: instance.version, err: describeError(error) }, 'deactivate() failed; unloading anyway');
      }
    }
    await this.discard(instance);
  }

  /** Undo the ledger and drop the code. Used for retired and for failed instances. */
  private async discard(instance: PluginInstance): Promise<void> {
    instance.abort.abort();
    for (const { entry, error } of await instance.ledger.undoAll()) {
      this.logger.warn({ plugin: instance.name, what: `${entry.kind} ${entry.what}`, err: describeError(error) }, 'could not undo a registration');
    }
    if (![...this.active.values()].some((other) => other !== instance && other.dir === instance.dir)) evictModules(instance.dir);
    instance.definition = undefined;
    instance.ctx = undefined;
  }
}
