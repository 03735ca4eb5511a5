import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import semver from 'semver';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { resolveConfig } from '../config/plugin-config.js';
import { describeError, KernelError } from '../errors/kernel-error.js';
import type { KernelHooks } from '../hooks/hooks.js';
import { loadOrder } from '../loader/load-order.js';
import type { PluginHost } from '../loader/plugin-host.js';
import type { PluginRecord, PluginState, StateStore } from '../state/store.js';
import type { ActivityRecorder } from '../system/activity-recorder.js';
import { type HomePaths, pluginDir } from '../system/home-paths.js';
import type { KernelMetrics } from '../system/kernel-metrics.js';
import type { PluginIsolation } from './plugin-isolation.js';

/**
 * The setting that names the version being activated right now. Set before `activate()` and
 * cleared after it, so a kernel that died or hung in a plugin's activation finds it at the next
 * boot and does not activate that version again (boot-safety.ts).
 */
export const ACTIVATING_SETTING = 'plugins.activating';

/** What the plugin lifecycle steps share. */
export interface LifecycleParts {
  paths: HomePaths;
  /** Who runs in a process of its own, and how (plugin-isolation.ts). */
  isolation: PluginIsolation;
  store: StateStore;
  host: PluginHost;
  hooks: KernelHooks;
  activity: ActivityRecorder;
  metrics: KernelMetrics;
  logger: Logger;
}

export const byVersionDesc = (a: PluginRecord, b: PluginRecord): number => semver.rcompare(a.version, b.version);

/** Installed plugin names with the `dependsOn` of their highest version. */
export function dependencyMap(records: readonly PluginRecord[]): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const record of [...records].sort(byVersionDesc)) {
    if (!deps.has(record.name)) deps.set(record.name, Object.keys(record.manifest.dependsOn ?? {}));
  }
  return deps;
}

/** The installed versions of `name`, highest first; `KRN_ERR_PLUGIN_NOT_FOUND` when there are none. */
export async function requireVersions(store: StateStore, name: string): Promise<PluginRecord[]> {
  const records = (await store.listPlugins()).filter((r) => r.name === name).sort(byVersionDesc);
  if (records.length === 0)
    throw new KernelError('KRN_ERR_PLUGIN_NOT_FOUND', `no plugin named "${name}" is installed`, { plugin: name });
  return records;
}

/**
 * Turning the stored, desired plugin set into running instances: which version of a name is
 * active, activating one (a swap when another is active), recording failures, stopping and
 * removing versions. Only the lifecycle's steps call it, inside its queue (plugin-lifecycle.ts).
 */
export class PluginActivation {
  constructor(private readonly parts: LifecycleParts) {}

  async versionsOf(name: string): Promise<PluginRecord[]> {
    return (await this.parts.store.listPlugins()).filter((r) => r.name === name).sort(byVersionDesc);
  }

  requireVersions(name: string): Promise<PluginRecord[]> {
    return requireVersions(this.parts.store, name);
  }

  /**
   * Activate `record` (with `config`, or the stored config), replacing the active instance of the
   * same name. On failure the record is marked `failed`, the old instance keeps serving, and the
   * error is thrown.
   */
  async activate(record: PluginRecord, actor: string, config?: Record<string, unknown>): Promise<void> {
    const { host, store, activity, metrics } = this.parts;
    const { name, version } = record;
    const previous = host.activeInstance(name);
    const isolated = this.parts.isolation.isolates(record);
    try {
      const resolved = resolveConfig(record.manifest, config ?? (await store.getConfig(name)));
      this.checkActiveDependencies(record.manifest);
      await store.putSetting(ACTIVATING_SETTING, {
        name,
        version,
        isolated,
        pid: process.pid,
        at: new Date().toISOString(),
      });
      await host.start(
        record.manifest,
        pluginDir(this.parts.paths, name, version),
        resolved,
        isolated ? (instance) => this.parts.isolation.code(instance) : undefined,
      );
    } catch (error) {
      const message = describeError(error);
      if (previous?.version !== version) await store.setPluginState(name, version, 'failed', message);
      metrics.failures.inc({ plugin: name });
      await activity.record({
        actor,
        action: 'plugin.failed',
        subject: `${name}@${version}`,
        plugin: name,
        outcome: 'error',
        details: { error: message, stillActive: previous?.version ?? null },
      });
      throw error;
    } finally {
      await store.putSetting(ACTIVATING_SETTING, null);
    }
    if (previous && previous.version !== version) await store.setPluginState(name, previous.version, 'installed', null);
    await store.setPluginState(name, version, 'active', null);
    if (previous) metrics.swaps.inc();
    const action = previous ? 'plugin.swapped' : 'plugin.activated';
    await activity.record({
      actor,
      action,
      subject: `${name}@${version}`,
      plugin: name,
      details: previous ? { from: previous.version, to: version } : { version },
    });
  }

  /**
   * Make the version the operator wants active: the pinned one, else the highest that works. Tries
   * candidates highest first, so a failing newest version falls back to the last known good one.
   * Versions already `failed` are skipped unless `retryFailed` (at boot, on pin or enable).
   */
  async activateBest(
    name: string,
    actor: string,
    options: { retryFailed: boolean; only?: (record: PluginRecord) => boolean },
  ): Promise<KernelError | undefined> {
    const { host, store } = this.parts;
    const desired = await store.getDesired(name);
    const active = host.activeInstance(name);
    if (desired && !desired.enabled) return undefined;
    const records = await this.versionsOf(name);
    const wanted = desired?.pinnedVersion ? records.filter((r) => r.version === desired.pinnedVersion) : records;
    const candidates = wanted.filter(
      (r) => options.retryFailed || r.state !== 'failed' || r.version === active?.version,
    );
    let firstError: KernelError | undefined;
    for (const record of candidates) {
      if (record.version === active?.version) return firstError;
      try {
        await this.activate(record, actor);
        return firstError;
      } catch (error) {
        firstError ??= error as KernelError;
      }
    }
    return firstError;
  }

  /** Whether a newly installed `record` is the version to run now. */
  async shouldActivate(record: PluginRecord): Promise<boolean> {
    const desired = await this.parts.store.getDesired(record.name);
    if (desired && !desired.enabled) return false;
    if (desired?.pinnedVersion) return desired.pinnedVersion === record.version;
    return (
      !this.parts.host.activeInstance(record.name) ||
      (await this.versionsOf(record.name))[0]?.version === record.version
    );
  }

  /** Activate every plugin in dependency order (boot). A cycle fails its members, not the rest. */
  async activateAll(actor: string, skip?: { only: (record: PluginRecord) => boolean; why: string }): Promise<void> {
    const only = skip?.only;
    for (const name of await this.loadOrder()) {
      if (only && !(await this.versionsOf(name)).some(only)) {
        this.parts.logger.warn({ plugin: name }, `not activated: ${skip.why}`);
        continue;
      }
      await this.activateBest(name, actor, { retryFailed: true, ...(only ? { only } : {}) });
    }
  }

  /** Plugins with no active version that depend on `name` may start now that it is active. */
  async activateWaitingDependents(name: string, actor: string): Promise<void> {
    const records = await this.parts.store.listPlugins();
    const waiting = new Set(
      records.filter((r) => r.manifest.dependsOn?.[name] && !this.parts.host.activeInstance(r.name)).map((r) => r.name),
    );
    for (const dependent of waiting) await this.activateBest(dependent, actor, { retryFailed: true });
  }

  /** Take the active instance of `name` out of service (drained), leaving its version in `state`. */
  async stop(name: string, state: PluginState, error: string | null = null): Promise<void> {
    const active = this.parts.host.activeInstance(name);
    if (!active) return;
    await this.parts.host.stop(name);
    await this.parts.store.setPluginState(name, active.version, state, error);
  }

  /** Every installed plugin name, dependencies first (the highest version's `dependsOn`); cycles left out. */
  async loadOrder(): Promise<string[]> {
    const deps = dependencyMap(await this.parts.store.listPlugins());
    for (;;) {
      try {
        return loadOrder(deps);
      } catch (error) {
        const cycle = ((error as KernelError).details.cycle as string[] | undefined) ?? [];
        if (cycle.length === 0) throw error;
        this.parts.logger.error({ cycle }, describeError(error));
        for (const name of cycle) deps.delete(name);
      }
    }
  }

  private checkActiveDependencies(manifest: PluginManifest): void {
    for (const [dep, range] of Object.entries(manifest.dependsOn ?? {})) {
      const active = this.parts.host.activeInstance(dep);
      if (!active || !semver.satisfies(active.version, range, { includePrerelease: true })) {
        throw new KernelError(
          'KRN_ERR_DEPENDENCY_MISSING',
          `needs ${dep}@${range} active, but ${active ? `${dep}@${active.version} is` : 'none is'} active`,
          {
            plugin: manifest.name,
            details: { dependency: dep, range, active: active?.version ?? null },
          },
        );
      }
    }
  }

  /** Who still uses `name@version`: asks every `plugins.inUse` tap. A failing tap is logged, not fatal. */
  async usersOf(name: string, version: string): Promise<string[]> {
    try {
      const answer = await this.parts.hooks['plugins.inUse'].promise({ name, version, users: [] });
      return answer?.users ?? [];
    } catch (error) {
      this.parts.logger.warn(
        { plugin: name, err: describeError(error) },
        'a plugins.inUse tap failed; treating it as no users',
      );
      return [];
    }
  }

  /** Active plugins whose `dependsOn` names `name` and that no remaining version would satisfy. */
  async dependentsOf(name: string, removing: string[]): Promise<string[]> {
    const remaining = (await this.versionsOf(name)).filter((r) => !removing.includes(r.version)).map((r) => r.version);
    return this.parts.host
      .activeInstances()
      .filter((i) => {
        const range = i.manifest.dependsOn?.[name];
        return range !== undefined && !remaining.some((v) => semver.satisfies(v, range, { includePrerelease: true }));
      })
      .map((i) => `${i.name}@${i.version}`);
  }

  /** Remove one installed version's files and record; the active instance must be stopped first. */
  async removeVersion(record: PluginRecord, actor: string): Promise<void> {
    const { paths, store, activity } = this.parts;
    const dir = pluginDir(paths, record.name, record.version);
    const trash = path.join(paths.trash, `${record.name}@${record.version}-${randomUUID()}`);
    await mkdir(paths.trash, { recursive: true });
    await rename(dir, trash).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await store.deletePlugin(record.name, record.version);
    await rm(trash, { recursive: true, force: true });
    await activity.record({
      actor,
      action: 'plugin.uninstalled',
      subject: `${record.name}@${record.version}`,
      plugin: record.name,
    });
  }
}
