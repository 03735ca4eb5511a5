import { mkdir } from 'node:fs/promises';
import type { PluginPermissions } from '../../plugin-sdk/manifest.js';
import { KernelError } from '../errors/kernel-error.js';
import { type InstallSource, readInstallSource } from '../intake/read-install-source.js';
import type { ZipLimits } from '../intake/zip-limits.js';
import type { IsolationSettings } from '../isolation/isolated-plugin.js';
import type { ClusterStore } from '../state/cluster-store.js';
import type { PluginRecord } from '../state/store.js';
import type { MaintenanceSwitch } from '../system/maintenance.js';
import { recoverHome } from './boot-recovery.js';
import { failInterruptedActivation } from './boot-safety.js';
import { type ConfigView, changeConfig } from './config-changes.js';
import { LifecycleQueue } from './lifecycle-queue.js';
import { type LifecycleParts, PluginActivation, requireVersions } from './plugin-activation.js';
import type { PluginDirectory } from './plugin-directory.js';
import { PluginInstaller } from './plugin-installer.js';
import { type IsolationPolicy, PluginIsolation } from './plugin-isolation.js';
import { DEFAULT_SUPERVISION, PluginSupervisor, type SupervisorSettings } from './plugin-supervisor.js';
import { PluginSync } from './plugin-sync.js';
import { uninstallPlugin } from './plugin-uninstall.js';
import type { PluginView } from './plugin-view.js';

/** How often a replica checks the shared plugin set without an announcement. */
const SYNC_POLL_MS = 5_000;

export interface InstallOptions {
  /** Remove every other installed version of the plugin after this one is active. */
  replace?: boolean;
  actor: string;
}

export interface InstallResult {
  name: string;
  version: string;
  /** State of the new version after install: `active` on success, `failed` (with error) otherwise. */
  state: PluginView['versions'][number]['state'];
  /** The version that was active before and was swapped out, if any. */
  swappedFrom: string | null;
  /** Versions removed by `replace`. */
  removed: string[];
  /** What the installed version declares it needs (its manifest's `permissions`). */
  permissions: PluginPermissions;
  plugin: PluginView;
}

export interface LifecycleDeps extends Omit<LifecycleParts, 'isolation'> {
  /** Who runs isolated (`SPINDLE_ISOLATION`) and how isolated processes are started. */
  isolation: {
    policy: IsolationPolicy;
    settings: IsolationSettings;
    packageRoot: string;
    supervision?: SupervisorSettings;
  };
  directory: PluginDirectory;
  cluster: ClusterStore;
  limits: ZipLimits;
  maintenance: Pick<MaintenanceSwitch, 'assertWritable' | 'load'>;
  replicaId: string;
  /** Who outside plugins uses `name@version` (jobs, volumes): an uninstall is refused while any does. */
  usersOf(name: string, version: string): Promise<string[]>;
  /** Before an active version goes: returns what to do once it is gone (mark the jobs of its job types). */
  beforeRemoved(name: string, version: string): Promise<() => Promise<void>>;
  /** After each change, once its caller has the answer: jobs follow the targets whose plugin changed. */
  afterChange(): Promise<void>;
}

/**
 * Every change to the plugin set — install, uninstall, pin, enable, config, failure, boot,
 * shutdown — one at a time: the lifecycle owns its queue, so no two changes ever interleave.
 * Each change is a chain of steps (installer, activation, uninstall, config) that only run in
 * here. With replicas, other replicas' changes are applied first, and afterwards the generation
 * of the desired set is bumped, which tells the others (plugin-sync.ts).
 */
export class PluginLifecycle {
  readonly sync: PluginSync;
  readonly isolation: PluginIsolation;
  private readonly parts: LifecycleParts & Omit<LifecycleDeps, 'isolation'>;
  private readonly activation: PluginActivation;
  private readonly supervisor: PluginSupervisor;
  private readonly installer: PluginInstaller;
  private readonly queue: LifecycleQueue;

  constructor(deps: LifecycleDeps) {
    this.isolation = new PluginIsolation({
      ...deps.isolation,
      onFailure: (failure) => this.supervisor.failed(failure),
    });
    const parts = (this.parts = { ...deps, isolation: this.isolation });
    this.activation = new PluginActivation(parts);
    this.installer = new PluginInstaller({ ...deps, keepZip: (sha256, zip) => deps.cluster.putBlob(sha256, zip) });
    this.queue = new LifecycleQueue(async () => {
      await deps.host.settled();
      await deps.afterChange();
    });
    this.supervisor = new PluginSupervisor({
      ...parts,
      activation: this.activation,
      settings: deps.isolation.supervision ?? DEFAULT_SUPERVISION,
      serial: (work) => this.queue.run(work),
    });
    this.sync = new PluginSync({
      ...parts,
      activation: this.activation,
      serial: (work) => this.queue.run(work),
      pollMs: SYNC_POLL_MS,
      refresh: () => deps.maintenance.load(),
    });
  }

  /**
   * Recover the home after any stop, fail the version whose activation the last kernel did not
   * survive, then activate every plugin in dependency order (in safe mode only those shipped
   * with the kernel; the others stay installed).
   */
  async boot(options: { safeMode?: boolean } = {}): Promise<void> {
    const { paths, store, logger, cluster } = this.parts;
    for (const dir of [paths.plugins, paths.dropIn, paths.data]) await mkdir(dir, { recursive: true });
    await recoverHome(paths, store, logger, { shared: cluster.shared });
    const interrupted = await failInterruptedActivation(this.parts);
    await this.sync.prepareBoot();
    const shipped = (record: PluginRecord) => this.isolation.isShipped(record);
    const survived = (record: PluginRecord) => `${record.name}@${record.version}` !== interrupted;
    const skip = options.safeMode
      ? {
          only: (record: PluginRecord) => shipped(record) && survived(record),
          why: 'safe mode runs only the plugins shipped with the kernel',
        }
      : interrupted
        ? { only: survived, why: `${interrupted} stopped the last kernel in its activate()` }
        : undefined;
    if (options.safeMode) logger.warn('safe mode: only the plugins shipped with the kernel are activated');
    await this.queue.run(() => this.activation.activateAll('kernel', skip));
  }

  /** Stop every plugin (dependents first, each drained). Changes after this are refused. */
  async shutdown(): Promise<void> {
    await this.sync.stop();
    await this.queue.close(() => this.parts.host.stopAll(this.parts.host.activeInstances().map((i) => i.name)));
  }

  async install(source: InstallSource, options: InstallOptions): Promise<InstallResult> {
    this.parts.maintenance.assertWritable('installing a plugin');
    const { zip, label } = await readInstallSource(source, this.parts.limits);
    return this.change(async () => {
      const { metrics, activity } = this.parts;
      try {
        const result = await this.installAndActivate(zip, label, options);
        metrics.installs.inc({ outcome: result.state === 'active' ? 'active' : 'installed' });
        return result;
      } catch (error) {
        const activationFailed = (error as KernelError).code === 'KRN_ERR_ACTIVATION_FAILED';
        metrics.installs.inc({ outcome: activationFailed ? 'failed' : 'refused' });
        if (!activationFailed)
          await activity.record({
            actor: options.actor,
            action: 'plugin.install-refused',
            subject: label,
            outcome: 'error',
            details: { error: (error as Error).message },
          });
        throw error;
      }
    });
  }

  private async installAndActivate(zip: Buffer, label: string, options: InstallOptions): Promise<InstallResult> {
    const { host, directory } = this.parts;
    const { record, fresh } = await this.installer.install(zip, label, options.actor);
    const { name, version } = record;
    const previous = host.activeInstance(name)?.version ?? null;
    if (fresh && (await this.activation.shouldActivate(record))) {
      try {
        await this.activation.activate(record, options.actor);
      } catch (error) {
        const why = (error as KernelError).what ?? (error as Error).message;
        throw new KernelError(
          'KRN_ERR_ACTIVATION_FAILED',
          `${name}@${version} was installed but failed to activate: ${why}; ${previous ? `version ${previous} stays active` : 'no version is active'}`,
          {
            plugin: name,
            status: 422,
            details: { installed: true, name, version, activeVersion: previous, code: (error as KernelError).code },
          },
        );
      }
      await this.activation.activateWaitingDependents(name, options.actor);
    }
    const removed =
      options.replace && host.activeInstance(name)?.version === version
        ? await this.removeOthers(name, version, options.actor)
        : [];
    const plugin = await directory.get(name);
    const state = plugin.versions.find((v) => v.version === version)!.state;
    const permissions = record.manifest.permissions ?? {};
    return {
      name,
      version,
      state,
      swappedFrom: fresh && state === 'active' ? previous : null,
      removed,
      permissions,
      plugin,
    };
  }

  private async removeOthers(name: string, keep: string, actor: string): Promise<string[]> {
    const others = (await this.activation.versionsOf(name)).filter((r) => r.version !== keep);
    for (const record of others) await this.activation.removeVersion(record, actor);
    return others.map((r) => r.version);
  }

  async uninstall(
    name: string,
    version: string | undefined,
    options: { force?: boolean; actor: string },
  ): Promise<{ removed: string[] }> {
    this.parts.maintenance.assertWritable(`uninstalling ${name}`);
    const usersOf = async (v: string) => [
      ...(await this.parts.usersOf(name, v)),
      ...(await this.activation.usersOf(name, v)),
    ];
    return this.change(() =>
      uninstallPlugin(
        {
          ...this.parts,
          activation: this.activation,
          usersOf,
          beforeRemoved: (v) => this.parts.beforeRemoved(name, v),
        },
        name,
        version,
        options,
      ),
    );
  }

  /** Pin a version (it becomes active) or unpin with null (the highest that works becomes active). */
  async pin(name: string, version: string | null, actor: string): Promise<PluginView> {
    this.parts.maintenance.assertWritable(`pinning ${name}`);
    return this.change(async () => {
      const { store, activity, host, directory } = this.parts;
      const records = await requireVersions(store, name);
      if (version !== null && !records.some((r) => r.version === version)) {
        throw new KernelError(
          'KRN_ERR_PLUGIN_NOT_FOUND',
          `cannot pin ${version}: not installed (installed: ${records.map((r) => r.version).join(', ')})`,
          { plugin: name },
        );
      }
      const desired = (await store.getDesired(name)) ?? { name, pinnedVersion: null, enabled: true };
      await store.putDesired({ ...desired, pinnedVersion: version });
      await activity.record({
        actor,
        action: version ? 'plugin.pinned' : 'plugin.unpinned',
        subject: version ? `${name}@${version}` : name,
        plugin: name,
      });
      const error = await this.activation.activateBest(name, actor, { retryFailed: true });
      const active = host.activeInstance(name)?.version;
      if (error && (version ? active !== version : !active)) {
        await store.putDesired(desired);
        throw error;
      }
      return directory.get(name);
    });
  }

  async setEnabled(name: string, enabled: boolean, actor: string): Promise<PluginView> {
    this.parts.maintenance.assertWritable(`${enabled ? 'enabling' : 'disabling'} ${name}`);
    return this.change(async () => {
      const { store, activity, host, directory } = this.parts;
      await requireVersions(store, name);
      const desired = (await store.getDesired(name)) ?? { name, pinnedVersion: null, enabled: true };
      await store.putDesired({ ...desired, enabled });
      await activity.record({
        actor,
        action: enabled ? 'plugin.enabled' : 'plugin.disabled',
        subject: name,
        plugin: name,
      });
      if (!enabled) await this.activation.stop(name, 'disabled');
      if (enabled) {
        for (const r of await this.activation.versionsOf(name))
          if (r.state === 'disabled') await store.setPluginState(name, r.version, 'installed', null);
        const error = await this.activation.activateBest(name, actor, { retryFailed: true });
        if (error && !host.activeInstance(name)) throw error;
      }
      return directory.get(name);
    });
  }

  /** Replace the config (or merge into it); validated, then the plugin is re-activated with it. */
  async setConfig(
    name: string,
    config: Record<string, unknown>,
    options: { actor: string; merge?: boolean },
  ): Promise<ConfigView> {
    this.parts.maintenance.assertWritable(`changing the config of ${name}`);
    return this.change(async () =>
      changeConfig(this.parts, this.activation, await this.parts.directory.current(name), config, options),
    );
  }

  /** Take `name@version` out of service after it failed outside any call; another version takes over. */
  async fail(name: string, version: string, message: string): Promise<void> {
    await this.queue.run(async () => {
      if (this.parts.host.activeInstance(name)?.version !== version) return;
      await this.activation.stop(name, 'failed', message);
      await this.parts.activity.record({
        actor: 'kernel',
        action: 'plugin.failed',
        subject: `${name}@${version}`,
        plugin: name,
        outcome: 'error',
        details: { error: message },
      });
      await this.activation.activateBest(name, 'kernel', { retryFailed: false });
    });
  }

  /** A change to the desired set: other replicas' changes first, then bump the generation. */
  private change<T>(work: () => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      await this.sync.catchUp();
      try {
        return await work();
      } finally {
        await this.sync.committed(await this.parts.cluster.bumpGeneration());
      }
    });
  }
}
