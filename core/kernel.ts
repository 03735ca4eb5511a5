import 'reflect-metadata';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { container } from 'tsyringe';
import type { PluginHttpRequest, PluginHttpResponse } from '../plugin-sdk/context.js';
import type { Principal, RequestInfo, ResourceRef } from '../plugin-sdk/hook-types.js';
import { PLUGIN_API_VERSION } from '../plugin-sdk/version.js';
import { ActivityRecorder, type ActivityInput } from './activity-recorder.js';
import { AdminTokenCache } from './auth/admin-token-cache.js';
import { AuthChain } from './auth/auth-chain.js';
import { reportSignup } from './auth/report-signup.js';
import { recoverHome } from './boot-recovery.js';
import { changeConfig, configView } from './config/config-changes.js';
import { KernelError } from './errors/kernel-error.js';
import { assertTapableCompatible, createKernelHooks, type KernelHooks } from './hooks.js';
import { homePaths, pluginDir, type HomePaths } from './home-paths.js';
import type { ZipLimits } from './intake/zip-limits.js';
import type { ConfigView, HealthView, InstallOptions, InstallResult, InstallSource, KernelApi, PluginView } from './kernel-api.js';
import { KernelMetrics } from './kernel-metrics.js';
import { PluginHost, type HostTimeouts } from './loader/plugin-host.js';
import type { PluginInstance } from './loader/plugin-instance.js';
import { dispatchRoute, listDocPages, readDocPage, runAction } from './plugin-dispatch.js';
import type { JobStore } from './jobs/job-store.js';
import { KernelJobs } from './jobs/kernel-jobs.js';
import { MaintenanceSwitch, type MaintenanceState } from './maintenance.js';
import { LifecycleQueue } from './lifecycle-queue.js';
import { PluginInstaller } from './plugin-installer.js';
import { uninstallPlugin } from './plugin-uninstall.js';
import { PluginLifecycle, byVersionDesc, type LifecycleParts } from './plugin-lifecycle.js';
import { buildPluginView } from './plugin-view.js';
import { createRegistries, type KernelRegistries } from './registries.js';
import type { ActivityEntry, ActivityFilter, PluginRecord, PluginState, StateStore } from './state/store.js';
import { VolumeService } from './volumes/volume-service.js';
import type { ClusterStore, ReplicaRecord } from './cluster/cluster-store.js';
import { PluginSync } from './cluster/plugin-sync.js';
import type { VolumeStore } from './volumes/volume-store.js';

/** How often a replica checks the shared plugin set without an announcement. */
const SYNC_POLL_MS = 5_000;

export interface KernelOptions {
  home: string;
  store: StateStore;
  jobStore: JobStore;
  volumeStore: VolumeStore;
  /** What replicas on one database share; SQLite's is one kernel's own. */
  cluster: ClusterStore;
  /** This kernel's name among replicas (`SPINDLE_REPLICA_ID`, default host and pid). */
  replicaId: string;
  /** Scheduler of queues without their own config (`SPINDLE_DEFAULT_SCHEDULER`, default `fifo`). */
  defaultScheduler: string;
  schedulerTickMs: number;
  /** SIGTERM-to-SIGKILL grace when a job is stopped. */
  jobStopGraceMs: number;
  logger: Logger;
  version: string;
  limits: ZipLimits;
  timeouts: HostTimeouts;
  hookTimeoutMs: number;
}

/**
 * The composition root: hooks, registries, the plugin host and the store, behind `KernelApi`.
 * Lifecycle operations (install, uninstall, pin, enable, config) run one at a time.
 */
export class Kernel implements KernelApi {
  readonly version: string;
  readonly pluginApiVersion = PLUGIN_API_VERSION;
  readonly hooks: KernelHooks = createKernelHooks();
  readonly registries: KernelRegistries = createRegistries();
  readonly paths: HomePaths;
  readonly host: PluginHost;
  readonly store: StateStore;
  private readonly kernelMetrics: KernelMetrics;
  private readonly activity: ActivityRecorder;
  private readonly parts: LifecycleParts;
  private readonly lifecycle: PluginLifecycle;
  private readonly installer: PluginInstaller;
  readonly jobs: KernelJobs;
  readonly volumes: VolumeService;
  readonly sync: PluginSync;
  private readonly cluster: ClusterStore;
  readonly maintenance: MaintenanceSwitch;
  private readonly auth: AuthChain;
  private readonly logger: Logger;
  private readonly startedAt = Date.now();
  private readonly lifecycleQueue = new LifecycleQueue(() => this.followTargets());

  constructor(options: KernelOptions) {
    assertTapableCompatible();
    this.version = options.version;
    this.store = options.store;
    this.cluster = options.cluster;
    this.logger = options.logger;
    this.paths = homePaths(options.home);
    this.host = new PluginHost(
      {
        hooks: this.hooks,
        registries: this.registries,
        logger: this.logger,
        container: container.createChildContainer(),
        dataRoot: this.paths.data,
        kernelVersion: this.version,
        hookTimeoutMs: options.hookTimeoutMs,
        reportJobState: (plugin, report) => this.jobs.report(plugin, report),
        signedUp: (plugin, event) => reportSignup({ hooks: this.hooks, activity: this.activity, logger: this.logger }, plugin, event),
      },
      options.timeouts,
      this.logger,
    );
    this.kernelMetrics = new KernelMetrics(() => this.countByState());
    this.activity = new ActivityRecorder(this.store, this.hooks, this.logger);
    this.maintenance = new MaintenanceSwitch(this.store, this.activity);
    const adminTokens = new AdminTokenCache(this.store);
    this.auth = new AuthChain(this.hooks, this.logger, (token) => adminTokens.authenticate(token));
    this.parts = { paths: this.paths, store: this.store, host: this.host, hooks: this.hooks, activity: this.activity, metrics: this.kernelMetrics, logger: this.logger };
    this.lifecycle = new PluginLifecycle(this.parts);
    this.installer = new PluginInstaller(this.parts, this.lifecycle, options.limits, (sha256, zip) => options.cluster.putBlob(sha256, zip));
    this.sync = new PluginSync({
      ...this.parts,
      cluster: options.cluster,
      lifecycle: this.lifecycle,
      limits: options.limits,
      serial: (work) => this.serial(work),
      replicaId: options.replicaId,
      pollMs: SYNC_POLL_MS,
      refresh: () => this.maintenance.load(),
    });
    this.volumes = new VolumeService({
      store: options.volumeStore,
      jobs: options.jobStore,
      registries: this.registries,
      activity: this.activity,
      maintenance: this.maintenance,
      authorize: (principal, action, resource) => this.authorize(principal, action, resource),
      transferDir: this.paths.transfer,
    });
    this.jobs = new KernelJobs({
      volumes: this.volumes,
      replicaId: options.replicaId,
      sharedState: options.cluster.shared,
      ...(options.cluster.shared ? { lead: (queue: string) => options.cluster.lead(`queue:${queue}`) } : {}),
      store: options.jobStore,
      registries: this.registries,
      hooks: this.hooks,
      activity: this.activity,
      paths: this.paths,
      limits: options.limits,
      logger: this.logger,
      kernelVersion: this.version,
      defaultScheduler: options.defaultScheduler,
      schedulerTickMs: options.schedulerTickMs,
      stopGraceMs: options.jobStopGraceMs,
      maintenance: this.maintenance,
    });
  }

  get metrics() {
    return this.kernelMetrics.registry;
  }

  /** Recover the home after any stop, then activate every plugin in dependency order. */
  async boot(): Promise<void> {
    for (const dir of [this.paths.plugins, this.paths.dropIn, this.paths.data]) await mkdir(dir, { recursive: true });
    await recoverHome(this.paths, this.store, this.logger, { shared: this.cluster.shared });
    await this.sync.prepareBoot();
    await this.maintenance.load();
    await this.serial(() => this.lifecycle.activateAll('kernel'));
    await this.jobs.start();
    this.activity.emit('system.started', { version: this.version });
  }

  /** Stop every plugin (dependents first, each drained). Lifecycle calls after this are refused. */
  async shutdown(): Promise<void> {
    this.activity.emit('system.stopping', {});
    await this.sync.stop();
    await this.jobs.stop();
    await this.lifecycleQueue.close(() => this.host.stopAll(this.host.activeInstances().map((i) => i.name)));
  }

  /**
   * A lifecycle operation that changes the desired plugin set: other replicas' changes are applied
   * first, and afterwards the set's generation is bumped, which tells the other replicas.
   */
  private change<T>(work: () => Promise<T>): Promise<T> {
    return this.serial(async () => {
      await this.sync.catchUp();
      try {
        return await work();
      } finally {
        await this.sync.committed(await this.cluster.bumpGeneration());
      }
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    return this.lifecycleQueue.run(work);
  }

  /** After each lifecycle operation: jobs follow the targets whose serving instance changed. */
  private async followTargets(): Promise<void> {
    await this.host.settled();
    await this.jobs.afterPluginChange().catch((error: unknown) => this.logger.error({ err: (error as Error).message }, 'could not reconcile jobs after a plugin change'));
  }

  private async countByState(): Promise<Record<PluginState, number>> {
    const counts: Record<PluginState, number> = { installed: 0, active: 0, failed: 0, disabled: 0 };
    for (const record of await this.store.listPlugins()) counts[record.state]++;
    return counts;
  }

  async listPlugins(): Promise<PluginView[]> {
    const records = await this.store.listPlugins();
    const names = [...new Set(records.map((r) => r.name))].sort();
    return Promise.all(names.map((name) => this.viewOf(name, records.filter((r) => r.name === name))));
  }

  async getPlugin(name: string): Promise<PluginView> {
    return this.viewOf(name, await this.lifecycle.requireVersions(name));
  }

  private async viewOf(name: string, records: PluginRecord[]): Promise<PluginView> {
    const active = this.host.activeInstance(name);
    const shown = active ? pluginDir(this.paths, name, active.version) : pluginDir(this.paths, name, records.sort(byVersionDesc)[0]!.version);
    return buildPluginView(records, await this.store.getDesired(name), active, await listDocPages(shown));
  }

  async install(source: InstallSource, options: InstallOptions): Promise<InstallResult> {
    this.maintenance.assertWritable('installing a plugin');
    const { zip, label } = await this.installer.readSource(source);
    return this.change(async () => {
      try {
        const installed = await this.installer.install(zip, label, options);
        const plugin = await this.getPlugin(installed.name);
        const state = plugin.versions.find((v) => v.version === installed.version)!.state;
        const result = { ...installed, state, swappedFrom: state === 'active' ? installed.swappedFrom : null, plugin };
        this.kernelMetrics.installs.inc({ outcome: result.state === 'active' ? 'active' : 'installed' });
        return result;
      } catch (error) {
        const activationFailed = (error as KernelError).code === 'KRN_ERR_ACTIVATION_FAILED';
        this.kernelMetrics.installs.inc({ outcome: activationFailed ? 'failed' : 'refused' });
        if (activationFailed) throw error;
        await this.activity.record({ actor: options.actor, action: 'plugin.install-refused', subject: label, outcome: 'error', details: { error: (error as Error).message } });
        throw error;
      }
    });
  }

  async uninstall(name: string, version: string | undefined, options: { force?: boolean; actor: string }): Promise<{ removed: string[] }> {
    this.maintenance.assertWritable(`uninstalling ${name}`);
    const users = async (version: string) => [...(await this.jobs.service.usersOf(name)), ...(await this.volumes.usersOf(name)), ...(await this.lifecycle.usersOf(name, version))];
    return this.change(async () =>
      uninstallPlugin({ ...this.parts, lifecycle: this.lifecycle, usersOf: users, beforeRemoved: (v) => this.jobs.service.beforePluginRemoved(name, v) }, name, version, options),
    );
  }

  async pin(name: string, version: string | null, actor: string): Promise<PluginView> {
    this.maintenance.assertWritable(`pinning ${name}`);
    return this.change(async () => {
      const records = await this.lifecycle.requireVersions(name);
      if (version !== null && !records.some((r) => r.version === version)) {
        throw new KernelError('KRN_ERR_PLUGIN_NOT_FOUND', `cannot pin ${version}: not installed (installed: ${records.map((r) => r.version).join(', ')})`, { plugin: name });
      }
      const desired = (await this.store.getDesired(name)) ?? { name, pinnedVersion: null, enabled: true };
      await this.store.putDesired({ ...desired, pinnedVersion: version });
      await this.activity.record({ actor, action: version ? 'plugin.pinned' : 'plugin.unpinned', subject: version ? `${name}@${version}` : name, plugin: name });
      const error = await this.lifecycle.activateBest(name, actor, { retryFailed: true });
      const active = this.host.activeInstance(name)?.version;
      if (error && (version ? active !== version : !active)) {
        await this.store.putDesired(desired);
        throw error;
      }
      return this.getPlugin(name);
    });
  }

  async setEnabled(name: string, enabled: boolean, actor: string): Promise<PluginView> {
    this.maintenance.assertWritable(`${enabled ? 'enabling' : 'disabling'} ${name}`);
    return this.change(async () => {
      await this.lifecycle.requireVersions(name);
      const desired = (await this.store.getDesired(name)) ?? { name, pinnedVersion: null, enabled: true };
      await this.store.putDesired({ ...desired, enabled });
      await this.activity.record({ actor, action: enabled ? 'plugin.enabled' : 'plugin.disabled', subject: name, plugin: name });
      const active = this.host.activeInstance(name);
      if (!enabled && active) {
        await this.host.stop(name);
        await this.store.setPluginState(name, active.version, 'disabled', null);
      }
      if (enabled) {
        for (const r of await this.lifecycle.versionsOf(name)) if (r.state === 'disabled') await this.store.setPluginState(name, r.version, 'installed', null);
        const error = await this.lifecycle.activateBest(name, actor, { retryFailed: true });
        if (error && !this.host.activeInstance(name)) throw error;
      }
      return this.getPlugin(name);
    });
  }

  /** Take `name@version` out of service after it failed outside any call (see start.ts). */
  async failPlugin(name: string, version: string, message: string): Promise<void> {
    await this.serial(async () => {
      if (this.host.activeInstance(name)?.version !== version) return;
      await this.host.stop(name);
      await this.store.setPluginState(name, version, 'failed', message);
      await this.activity.record({ actor: 'kernel', action: 'plugin.failed', subject: `${name}@${version}`, plugin: name, outcome: 'error', details: { error: message } });
      await this.lifecycle.activateBest(name, 'kernel', { retryFailed: false });
    });
  }

  private async configTarget(name: string): Promise<PluginRecord> {
    const records = await this.lifecycle.requireVersions(name);
    const active = this.host.activeInstance(name);
    return records.find((r) => r.version === active?.version) ?? records[0]!;
  }

  async getConfig(name: string): Promise<ConfigView> {
    return configView(this.parts, await this.configTarget(name));
  }

  async setConfig(name: string, config: Record<string, unknown>, options: { actor: string; merge?: boolean }): Promise<ConfigView> {
    this.maintenance.assertWritable(`changing the config of ${name}`);
    return this.change(async () => changeConfig(this.parts, this.lifecycle, await this.configTarget(name), config, options));
  }

  private requireActive(name: string): PluginInstance {
    const instance = this.host.activeInstance(name);
    if (!instance) throw new KernelError('KRN_ERR_PLUGIN_NOT_ACTIVE', `no version of "${name}" is active`, { plugin: name });
    return instance;
  }

  async runAction(name: string, action: string, input: unknown, actor: string): Promise<unknown> {
    await this.lifecycle.requireVersions(name);
    const instance = this.requireActive(name);
    try {
      const result = await runAction(instance, action, input);
      await this.activity.record({ actor, action: 'plugin.action', subject: `${name}:${action}`, plugin: name });
      return result;
    } catch (error) {
      await this.activity.record({ actor, action: 'plugin.action', subject: `${name}:${action}`, plugin: name, outcome: 'error', details: { error: (error as Error).message } });
      throw error;
    }
  }

  async listDocs(name: string): Promise<string[]> {
    return (await this.getPlugin(name)).docs;
  }

  async getDoc(name: string, page: string): Promise<string> {
    const record = await this.configTarget(name);
    return readDocPage(pluginDir(this.paths, name, record.version), name, page);
  }

  async dispatchPluginRoute(name: string, request: PluginHttpRequest): Promise<PluginHttpResponse> {
    const instance = this.host.activeInstance(name);
    if (!instance) {
      await this.lifecycle.requireVersions(name);
      this.requireActive(name);
    }
    return dispatchRoute(instance!, request);
  }

  recordActivity(input: ActivityInput): Promise<void> {
    return this.activity.record(input);
  }

  listActivity(filter: ActivityFilter): Promise<ActivityEntry[]> {
    return this.store.listActivity(filter);
  }

  async health(): Promise<HealthView> {
    const plugins = await this.countByState();
    return {
      status: plugins.failed > 0 ? 'degraded' : 'ok',
      version: this.version,
      pluginApiVersion: this.pluginApiVersion,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      plugins,
      maintenance: this.maintenance.current.enabled,
    };
  }

  authenticateRequest(request: RequestInfo, token: string | undefined): Promise<Principal> {
    return this.auth.authenticate(request, token);
  }

  authorize(principal: Principal, action: string, resource: ResourceRef): Promise<void> {
    return this.auth.authorize(principal, action, resource);
  }

  listReplicas(): Promise<ReplicaRecord[]> {
    return this.cluster.listReplicas();
  }

  getMaintenance(): MaintenanceState {
    return this.maintenance.current;
  }

  setMaintenance(enabled: boolean, message: string | null, actor: string): Promise<MaintenanceState> {
    return this.maintenance.set(enabled, message, actor);
  }
}
