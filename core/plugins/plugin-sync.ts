import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { resolveConfig } from '../config/plugin-config.js';
import { describeError } from '../errors/kernel-error.js';
import { commitStaged, stagePlugin } from '../intake/stage-plugin.js';
import type { ZipLimits } from '../intake/zip-limits.js';
import type { PluginHost } from '../loader/plugin-host.js';
import type { ClusterStore } from '../state/cluster-store.js';
import type { PluginRecord, StateStore } from '../state/store.js';
import { type HomePaths, pluginDir } from '../system/home-paths.js';
import type { PluginActivation } from './plugin-activation.js';

export interface PluginSyncDeps {
  cluster: ClusterStore;
  store: StateStore;
  host: PluginHost;
  activation: PluginActivation;
  paths: HomePaths;
  limits: ZipLimits;
  logger: Logger;
  /** The kernel's lifecycle queue: a sync never runs beside an install or a swap. */
  serial<T>(work: () => Promise<T>): Promise<T>;
  replicaId: string;
  /** How often to look for a missed announcement (LISTEN/NOTIFY is the fast path). */
  pollMs: number;
  /** Re-read other shared settings on each poll (maintenance mode). */
  refresh(): Promise<void>;
}

/**
 * Keeps this replica's running plugins equal to the desired set in the shared database. Every
 * change bumps the set's generation and announces it; each replica then applies the set: fetches
 * the ZIPs it lacks from the database (content addressed), drops versions uninstalled elsewhere,
 * and activates, swaps, reconfigures or stops plugins to match. Applying is idempotent, so a
 * missed or doubled announcement costs one extra pass, never a wrong state.
 */
export class PluginSync {
  /** The generation this replica runs. */
  applied = 0;
  private readonly startedAt = new Date().toISOString();
  private url: string | null = null;
  private pending: Promise<void> | undefined;
  private stopWatching: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: PluginSyncDeps) {}

  /** Before boot activates plugins: have the files of every recorded version on this disk. */
  async prepareBoot(): Promise<void> {
    this.applied = await this.deps.cluster.generation();
    if (this.deps.cluster.shared) await this.fetchFiles(await this.deps.store.listPlugins());
  }

  /** After boot: listen for announcements, poll as a fallback, and report this replica. */
  async start(url: string | null): Promise<void> {
    this.url = url;
    await this.heartbeat();
    if (!this.deps.cluster.shared) return;
    this.stopWatching = await this.deps.cluster
      .watchGenerations((generation) => {
        if (generation > this.applied) this.poke();
      })
      .catch((error: unknown) => {
        this.deps.logger.warn({ err: describeError(error) }, 'cannot listen for plugin changes; polling only');
        return undefined;
      });
    this.timer = setInterval(() => {
      this.poke();
      this.deps
        .refresh()
        .catch((error: unknown) =>
          this.deps.logger.warn({ err: describeError(error) }, 'could not re-read shared settings'),
        );
    }, this.deps.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.stopWatching?.();
    await this.pending;
    await this.deps.cluster.deleteReplica(this.deps.replicaId).catch(() => undefined);
  }

  /** Inside the lifecycle queue, before a local change: apply what other replicas changed first. */
  async catchUp(): Promise<void> {
    const generation = await this.deps.cluster.generation();
    if (generation <= this.applied) return;
    await this.apply();
    this.applied = generation;
    await this.heartbeat();
  }

  /** After a local change bumped the generation to `generation`. */
  async committed(generation: number): Promise<void> {
    // With replicas, a jump of more than one means another change slipped in (or a pin/enable
    // bumped the generation itself): apply the whole set again to be sure. Alone, nothing can.
    if (!this.deps.cluster.shared || generation === this.applied + 1) this.applied = generation;
    else this.poke();
    await this.heartbeat();
  }

  private poke(): void {
    this.pending ??= this.deps
      .serial(() => this.catchUp())
      .catch((error: unknown) =>
        this.deps.logger.error({ err: describeError(error) }, 'could not apply the plugin set from the database'),
      )
      .finally(() => (this.pending = undefined));
  }

  private async heartbeat(): Promise<void> {
    const now = new Date().toISOString();
    await this.deps.cluster
      .putReplica({
        id: this.deps.replicaId,
        url: this.url,
        generation: this.applied,
        startedAt: this.startedAt,
        heartbeatAt: now,
      })
      .catch((error: unknown) => this.deps.logger.warn({ err: describeError(error) }, 'could not report this replica'));
  }

  private async apply(): Promise<void> {
    const { store, host, activation } = this.deps;
    const actor = `replica ${this.deps.replicaId}`;
    const records = await store.listPlugins();
    await this.fetchFiles(records);
    const recorded = (name: string, version: string) => records.some((r) => r.name === name && r.version === version);
    for (const instance of host.activeInstances())
      if (!recorded(instance.name, instance.version)) await host.stop(instance.name);
    await this.dropUnrecorded(recorded);
    for (const name of await activation.loadOrder()) {
      const desired = await store.getDesired(name);
      const active = host.activeInstance(name);
      if (desired && !desired.enabled) {
        if (active) await host.stop(name);
        continue;
      }
      const record = records.find((r) => r.name === name && r.version === active?.version);
      try {
        if (active && record && (await this.configChanged(record, active.config)))
          await activation.activate(record, actor);
        else await activation.activateBest(name, actor, { retryFailed: false });
      } catch (error) {
        this.deps.logger.error(
          { plugin: name, err: describeError(error) },
          'a plugin of the shared set failed to start on this replica',
        );
      }
    }
    this.deps.logger.info({ replica: this.deps.replicaId }, 'applied the plugin set from the database');
  }

  private async configChanged(record: PluginRecord, running: Record<string, unknown>): Promise<boolean> {
    const wanted = resolveConfig(record.manifest, await this.deps.store.getConfig(record.name));
    return JSON.stringify(wanted) !== JSON.stringify(running);
  }

  /** Extract every recorded version missing on this disk from its ZIP in the database. */
  private async fetchFiles(records: PluginRecord[]): Promise<void> {
    const { cluster, paths, limits, logger } = this.deps;
    for (const record of records) {
      if (existsSync(pluginDir(paths, record.name, record.version))) continue;
      const zip = await cluster.getBlob(record.sha256);
      if (!zip) {
        logger.error(
          { plugin: record.name, version: record.version },
          'the database has no ZIP for this plugin version; install it again',
        );
        continue;
      }
      const staged = await stagePlugin(zip, { home: paths.root, limits, installedVersions: () => [] });
      await commitStaged(staged.stagingDir, paths.root, staged.manifest);
      logger.info({ plugin: record.name, version: record.version }, 'fetched a plugin version from the database');
    }
  }

  /** Versions on this disk that no record names any more (uninstalled through another replica). */
  private async dropUnrecorded(recorded: (name: string, version: string) => boolean): Promise<void> {
    const dirs = async (dir: string) =>
      (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name);
    for (const name of await dirs(this.deps.paths.plugins)) {
      for (const version of await dirs(path.join(this.deps.paths.plugins, name))) {
        if (!recorded(name, version))
          await rm(pluginDir(this.deps.paths, name, version), { recursive: true, force: true });
      }
    }
  }
}
