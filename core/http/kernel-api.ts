/**
 * What the HTTP API and the CLI need from the kernel. `Kernel` (core/kernel.ts) implements it;
 * `core/http` turns it into routes. Every method throws `KernelError` on refusal.
 */
import type { Registry as PromRegistry } from 'prom-client';
import type { PluginHttpRequest, PluginHttpResponse } from '../../plugin-sdk/context.js';
import type { Principal, RequestInfo, ResourceRef } from '../../plugin-sdk/hook-types.js';
import type { InstallSource } from '../intake/read-install-source.js';
import type { JobsApi } from '../jobs/jobs-api.js';
import type { ConfigView } from '../plugins/config-changes.js';
import type { InstallOptions, InstallResult } from '../plugins/plugin-lifecycle.js';
import type { PluginView } from '../plugins/plugin-view.js';
import type { ReplicaRecord } from '../state/cluster-store.js';
import type { ActivityEntry, ActivityFilter, PluginState } from '../state/store.js';
import type { ActivityInput } from '../system/activity-recorder.js';
import type { MaintenanceState } from '../system/maintenance.js';
import type { VolumesApi } from '../volumes/volume-service.js';

export type { InstallSource } from '../intake/read-install-source.js';
export type { ConfigView } from '../plugins/config-changes.js';
export type { InstallOptions, InstallResult } from '../plugins/plugin-lifecycle.js';
export type { PluginVersionView, PluginView } from '../plugins/plugin-view.js';

export interface HealthView {
  status: 'ok' | 'degraded';
  version: string;
  pluginApiVersion: string;
  uptimeSeconds: number;
  plugins: Record<PluginState, number>;
  /** True while maintenance mode refuses changes. */
  maintenance: boolean;
  /** True when the kernel was started with `--safe-mode` (only shipped plugins activated). */
  safeMode: boolean;
  /** Which plugins run in a process of their own (`SPINDLE_ISOLATION`). */
  isolation: 'manifest' | 'third-party' | 'all';
}

export interface KernelApi {
  readonly version: string;
  /** Jobs, queues and the scheduler's view. */
  readonly jobs: JobsApi;
  /** Volumes on the storage backends, with ownership and shares. */
  readonly volumes: VolumesApi;
  readonly pluginApiVersion: string;
  readonly metrics: PromRegistry;

  listPlugins(): Promise<PluginView[]>;
  getPlugin(name: string): Promise<PluginView>;
  install(source: InstallSource, options: InstallOptions): Promise<InstallResult>;
  /** Without `version`, removes every version of the plugin. Returns the versions removed. */
  uninstall(
    name: string,
    version: string | undefined,
    options: { force?: boolean; actor: string },
  ): Promise<{ removed: string[] }>;
  /** Pin a version (it becomes active) or unpin with null (the highest becomes active). */
  pin(name: string, version: string | null, actor: string): Promise<PluginView>;
  setEnabled(name: string, enabled: boolean, actor: string): Promise<PluginView>;
  getConfig(name: string): Promise<ConfigView>;
  /** Replace the config (or merge into it); validated, then the plugin is re-activated with it. */
  setConfig(
    name: string,
    config: Record<string, unknown>,
    options: { actor: string; merge?: boolean },
  ): Promise<ConfigView>;
  runAction(name: string, action: string, input: unknown, actor: string): Promise<unknown>;
  listDocs(name: string): Promise<string[]>;
  getDoc(name: string, page: string): Promise<string>;
  dispatchPluginRoute(name: string, request: PluginHttpRequest): Promise<PluginHttpResponse>;
  listActivity(filter: ActivityFilter): Promise<ActivityEntry[]>;
  /** Write an activity entry (and fire its event); used for changes the API refused. */
  recordActivity(input: ActivityInput): Promise<void>;
  health(): Promise<HealthView>;
  getMaintenance(): MaintenanceState;
  /** The kernel replicas on this database (one, on SQLite), with the plugin-set generation each runs. */
  listReplicas(): Promise<ReplicaRecord[]>;
  setMaintenance(enabled: boolean, message: string | null, actor: string): Promise<MaintenanceState>;
  /** The auth chain: admin token, then `auth.preAuth`, then `auth.authenticate`; throws 401 / 503. */
  authenticateRequest(request: RequestInfo, token: string | undefined): Promise<Principal>;
  /** `auth.authorize` for an action on a resource; throws 403 (or 503 when a tap fails). */
  authorize(principal: Principal, action: string, resource: ResourceRef): Promise<void>;
}
