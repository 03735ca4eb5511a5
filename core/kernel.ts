import type { Logger } from 'pino';
import type { PluginHttpRequest, PluginHttpResponse } from '../plugin-sdk/context.js';
import type { Principal, RequestInfo, ResourceRef } from '../plugin-sdk/hook-types.js';
import { PLUGIN_API_VERSION } from '../plugin-sdk/version.js';
import { AdminTokenCache } from './auth/admin-token-cache.js';
import { AuthChain } from './auth/auth-chain.js';
import { reportSignup } from './auth/report-signup.js';
import { describeError } from './errors/kernel-error.js';
import type { KernelHooks } from './hooks/hooks.js';
import type { HealthView, KernelApi } from './http/kernel-api.js';
import type { InstallSource } from './intake/read-install-source.js';
import type { ZipLimits } from './intake/zip-limits.js';
import { ProcessLaunch } from './isolation/process-launch.js';
import { JobOrchestrator } from './jobs/job-orchestrator.js';
import { createPluginHost } from './loader/create-plugin-host.js';
import { dispatchRoute, runAction } from './loader/plugin-dispatch.js';
import type { HostTimeouts, PluginHost } from './loader/plugin-host.js';
import type { ConfigView } from './plugins/config-changes.js';
import { PluginDirectory } from './plugins/plugin-directory.js';
import type { IsolationPolicy } from './plugins/plugin-isolation.js';
import { type InstallOptions, type InstallResult, PluginLifecycle } from './plugins/plugin-lifecycle.js';
import type { SupervisorSettings } from './plugins/plugin-supervisor.js';
import type { PluginView } from './plugins/plugin-view.js';
import type { KernelRegistries } from './registries/registries.js';
import type { ClusterStore, ReplicaRecord } from './state/cluster-store.js';
import type { JobStore } from './state/job-store.js';
import type { ActivityEntry, ActivityFilter, StateStore } from './state/store.js';
import type { VolumeStore } from './state/volume-store.js';
import { type ActivityInput, ActivityRecorder } from './system/activity-recorder.js';
import { type HomePaths, homePaths } from './system/home-paths.js';
import { KernelMetrics } from './system/kernel-metrics.js';
import { type MaintenanceState, MaintenanceSwitch } from './system/maintenance.js';
import { packageRoot } from './system/package-root.js';
import { VolumeService } from './volumes/volume-service.js';

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
  /** Isolated plugins: the policy (`SPINDLE_ISOLATION`), their processes' limits, their supervision. */
  isolation: {
    policy: IsolationPolicy;
    memoryMb: number;
    /** How much lower than the kernel's the processes' CPU priority is (nice 0–19). */
    nice: number;
    unresponsiveMs: number;
    messageMaxBytes: number;
    supervision: SupervisorSettings;
    /** The environment the processes inherit the allowed variables from. */
    env: Record<string, string | undefined>;
  };
}

/**
 * The composition root: the plugin runtime (hooks, registries, host), the plugin lifecycle, jobs,
 * volumes, auth and the system parts, wired once; then a thin `KernelApi` adapter over them for
 * `core/http`. Logic lives in the parts (docs/architecture.md has the map).
 */
export class Kernel implements KernelApi {
  readonly version: string;
  readonly pluginApiVersion = PLUGIN_API_VERSION;
  readonly paths: HomePaths;
  readonly store: StateStore;
  readonly hooks: KernelHooks;
  readonly registries: KernelRegistries;
  readonly host: PluginHost;
  readonly plugins: PluginLifecycle;
  readonly directory: PluginDirectory;
  readonly jobs: JobOrchestrator;
  readonly volumes: VolumeService;
  readonly maintenance: MaintenanceSwitch;
  private readonly kernelMetrics: KernelMetrics;
  private readonly activity: ActivityRecorder;
  private readonly auth: AuthChain;
  private readonly cluster: ClusterStore;
  private readonly startedAt = Date.now();
  private safeMode = false;

  constructor(options: KernelOptions) {
    const { logger, store } = options;
    this.version = options.version;
    this.store = store;
    this.cluster = options.cluster;
    this.paths = homePaths(options.home);
    ({
      hooks: this.hooks,
      registries: this.registries,
      host: this.host,
    } = createPluginHost({
      logger,
      dataRoot: this.paths.data,
      kernelVersion: this.version,
      hookTimeoutMs: options.hookTimeoutMs,
      timeouts: options.timeouts,
      reportJobState: (plugin, report) => this.jobs.report(plugin, report),
      signedUp: (plugin, event) => reportSignup({ hooks: this.hooks, activity: this.activity, logger }, plugin, event),
    }));
    this.directory = new PluginDirectory({ paths: this.paths, store, host: this.host });
    this.kernelMetrics = new KernelMetrics(() => this.directory.countByState());
    this.activity = new ActivityRecorder(store, this.hooks, logger);
    this.maintenance = new MaintenanceSwitch(store, this.activity);
    const adminTokens = new AdminTokenCache(store);
    this.auth = new AuthChain(this.hooks, logger, (token) => adminTokens.authenticate(token));
    this.volumes = new VolumeService({
      store: options.volumeStore,
      jobs: options.jobStore,
      registries: this.registries,
      activity: this.activity,
      maintenance: this.maintenance,
      authorize: (principal, action, resource) => this.authorize(principal, action, resource),
      transferDir: this.paths.transfer,
    });
    this.jobs = new JobOrchestrator({
      ...options,
      store: options.jobStore,
      registries: this.registries,
      hooks: this.hooks,
      activity: this.activity,
      paths: this.paths,
      kernelVersion: this.version,
      volumes: this.volumes,
      maintenance: this.maintenance,
      stopGraceMs: options.jobStopGraceMs,
      sharedState: options.cluster.shared,
      ...(options.cluster.shared ? { lead: (queue: string) => options.cluster.lead(`queue:${queue}`) } : {}),
    });
    this.plugins = new PluginLifecycle({
      paths: this.paths,
      store,
      host: this.host,
      hooks: this.hooks,
      activity: this.activity,
      metrics: this.kernelMetrics,
      logger,
      directory: this.directory,
      cluster: options.cluster,
      limits: options.limits,
      maintenance: this.maintenance,
      isolation: {
        policy: options.isolation.policy,
        packageRoot: packageRoot(),
        supervision: options.isolation.supervision,
        settings: {
          launch: new ProcessLaunch({
            packageRoot: packageRoot(),
            places: { jobs: this.paths.jobs, transfer: this.paths.transfer },
            memoryMb: options.isolation.memoryMb,
            nice: options.isolation.nice,
            env: options.isolation.env,
            logger,
          }),
          unresponsiveMs: options.isolation.unresponsiveMs,
          messageMaxBytes: options.isolation.messageMaxBytes,
          kernelVersion: this.version,
        },
      },
      replicaId: options.replicaId,
      usersOf: async (name) => [...(await this.jobs.usersOf(name)), ...(await this.volumes.usersOf(name))],
      beforeRemoved: (name, version) => this.jobs.beforePluginRemoved(name, version),
      afterChange: () =>
        this.jobs
          .afterPluginChange()
          .catch((error: unknown) =>
            logger.error({ err: describeError(error) }, 'could not reconcile jobs after a plugin change'),
          ),
    });
  }

  get metrics() {
    return this.kernelMetrics.registry;
  }

  /** Recover the home, activate every plugin, then recover and schedule jobs. */
  async boot(options: { safeMode?: boolean } = {}): Promise<void> {
    this.safeMode = options.safeMode === true;
    await this.maintenance.load();
    await this.plugins.boot(options);
    await this.jobs.start();
    this.activity.emit('system.started', { version: this.version });
  }

  /** Stop jobs' scheduling and every plugin (dependents first, each drained). */
  async shutdown(): Promise<void> {
    this.activity.emit('system.stopping', {});
    await this.jobs.stop();
    await this.plugins.shutdown();
  }

  listPlugins(): Promise<PluginView[]> {
    return this.directory.list();
  }

  getPlugin(name: string): Promise<PluginView> {
    return this.directory.get(name);
  }

  install(source: InstallSource, options: InstallOptions): Promise<InstallResult> {
    return this.plugins.install(source, options);
  }

  uninstall(
    name: string,
    version: string | undefined,
    options: { force?: boolean; actor: string },
  ): Promise<{ removed: string[] }> {
    return this.plugins.uninstall(name, version, options);
  }

  pin(name: string, version: string | null, actor: string): Promise<PluginView> {
    return this.plugins.pin(name, version, actor);
  }

  setEnabled(name: string, enabled: boolean, actor: string): Promise<PluginView> {
    return this.plugins.setEnabled(name, enabled, actor);
  }

  getConfig(name: string): Promise<ConfigView> {
    return this.directory.config(name);
  }

  setConfig(
    name: string,
    config: Record<string, unknown>,
    options: { actor: string; merge?: boolean },
  ): Promise<ConfigView> {
    return this.plugins.setConfig(name, config, options);
  }

  async runAction(name: string, action: string, input: unknown, actor: string): Promise<unknown> {
    const instance = await this.directory.activeInstance(name);
    const entry = { actor, action: 'plugin.action', subject: `${name}:${action}`, plugin: name } as const;
    try {
      const result = await runAction(instance, action, input);
      await this.activity.record(entry);
      return result;
    } catch (error) {
      await this.activity.record({ ...entry, outcome: 'error', details: { error: (error as Error).message } });
      throw error;
    }
  }

  listDocs(name: string): Promise<string[]> {
    return this.directory.docs(name);
  }

  getDoc(name: string, page: string): Promise<string> {
    return this.directory.doc(name, page);
  }

  async dispatchPluginRoute(name: string, request: PluginHttpRequest): Promise<PluginHttpResponse> {
    return dispatchRoute(this.host.activeInstance(name) ?? (await this.directory.activeInstance(name)), request);
  }

  recordActivity(input: ActivityInput): Promise<void> {
    return this.activity.record(input);
  }

  listActivity(filter: ActivityFilter): Promise<ActivityEntry[]> {
    return this.store.listActivity(filter);
  }

  async health(): Promise<HealthView> {
    const plugins = await this.directory.countByState();
    return {
      status: plugins.failed > 0 ? 'degraded' : 'ok',
      version: this.version,
      pluginApiVersion: this.pluginApiVersion,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      plugins,
      maintenance: this.maintenance.current.enabled,
      safeMode: this.safeMode,
      isolation: this.plugins.isolation.policy,
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
