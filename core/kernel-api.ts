/**
 * What the HTTP API and the CLI need from the kernel. `Kernel` (core/kernel.ts) implements it;
 * `core/http` turns it into routes. Every method throws `KernelError` on refusal.
 */
import type { Registry as PromRegistry } from 'prom-client';
import type { PluginHttpRequest, PluginHttpResponse } from '../plugin-sdk/context.js';
import type { Principal, RequestInfo, ResourceRef } from '../plugin-sdk/hook-types.js';
import type { PluginCategory } from '../plugin-sdk/manifest.js';
import type { JobsApi } from './jobs/jobs-api.js';
import type { VolumesApi } from './volumes/volume-service.js';
import type { ActivityInput } from './activity-recorder.js';
import type { ReplicaRecord } from './cluster/cluster-store.js';
import type { MaintenanceState } from './maintenance.js';
import type { ActivityEntry, ActivityFilter, PluginState } from './state/store.js';

export interface PluginVersionView {
  version: string;
  state: PluginState;
  error: string | null;
  installedAt: string;
  sha256: string;
  source: string;
  /** True for the version that serves calls now. */
  active: boolean;
}

export interface PluginView {
  name: string;
  description: string | null;
  category: PluginCategory;
  /** The version serving calls, or null when none is active. */
  activeVersion: string | null;
  pinnedVersion: string | null;
  enabled: boolean;
  versions: PluginVersionView[];
  actions: { name: string; description: string; inputSchema: Record<string, unknown> | null }[];
  routes: { method: string; path: string }[];
  docs: string[];
}

export type InstallSource =
  | { kind: 'upload'; data: Buffer; filename?: string }
  | { kind: 'path'; path: string }
  | { kind: 'url'; url: string }
  /** A file in the drop-in dir; `data` when the watcher has read it already. */
  | { kind: 'drop-in'; file: string; data?: Buffer };

export interface InstallOptions {
  /** Remove every other installed version of the plugin after this one is active. */
  replace?: boolean;
  actor: string;
}

export interface InstallResult {
  name: string;
  version: string;
  /** State of the new version after install: `active` on success, `failed` (with error) otherwise. */
  state: PluginState;
  /** The version that was active before and was swapped out, if any. */
  swappedFrom: string | null;
  /** Versions removed by `replace`. */
  removed: string[];
  plugin: PluginView;
}

export interface ConfigView {
  /** The stored config with defaults applied, `x-secret` fields masked as "********". */
  config: Record<string, unknown>;
  schema: Record<string, unknown> | null;
}

export interface HealthView {
  status: 'ok' | 'degraded';
  version: string;
  pluginApiVersion: string;
  uptimeSeconds: number;
  plugins: Record<PluginState, number>;
  /** True while maintenance mode refuses changes. */
  maintenance: boolean;
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
  uninstall(name: string, version: string | undefined, options: { force?: boolean; actor: string }): Promise<{ removed: string[] }>;
  /** Pin a version (it becomes active) or unpin with null (the highest becomes active). */
  pin(name: string, version: string | null, actor: string): Promise<PluginView>;
  setEnabled(name: string, enabled: boolean, actor: string): Promise<PluginView>;
  getConfig(name: string): Promise<ConfigView>;
  /** Replace the config (or merge into it); validated, then the plugin is re-activated with it. */
  setConfig(name: string, config: Record<string, unknown>, options: { actor: string; merge?: boolean }): Promise<ConfigView>;
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
