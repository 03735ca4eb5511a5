import { rm } from 'node:fs/promises';
import { KernelError } from '../errors/kernel-error.js';
import { commitStaged, stagePlugin } from '../intake/stage-plugin.js';
import type { ZipLimits } from '../intake/zip-limits.js';
import { loadOrder } from '../loader/load-order.js';
import type { PluginRecord, StateStore } from '../state/store.js';
import type { ActivityRecorder } from '../system/activity-recorder.js';
import type { HomePaths } from '../system/home-paths.js';
import { dependencyMap } from './plugin-activation.js';

/** What an install step did: the version's record, and whether it was new. */
export interface InstallStep {
  record: PluginRecord;
  /** False when the same bytes were installed already (a no-op). */
  fresh: boolean;
}

/**
 * The install step, from a ZIP to a recorded version on disk: stage (every intake check), refuse
 * what cannot be installed next to what is there, keep the ZIP for other replicas, commit with one
 * rename, record. It never activates: the lifecycle decides that (plugin-lifecycle.ts).
 */
export class PluginInstaller {
  constructor(
    private readonly deps: {
      paths: HomePaths;
      store: StateStore;
      activity: ActivityRecorder;
      limits: ZipLimits;
      /** Keeps the ZIP where other replicas can fetch it (the shared database), by its sha256. */
      keepZip(sha256: string, zip: Buffer): Promise<void>;
    },
  ) {}

  async install(zip: Buffer, label: string, actor: string): Promise<InstallStep> {
    const { paths, store, activity, limits } = this.deps;
    const records = await store.listPlugins();
    const staged = await stagePlugin(zip, {
      home: paths.root,
      limits,
      installedVersions: (n) => records.filter((r) => r.name === n).map((r) => r.version),
    });
    const { manifest } = staged;
    const same = records.find((r) => r.name === manifest.name && r.version === manifest.version);
    if (same) {
      await rm(staged.stagingDir, { recursive: true, force: true });
      if (same.sha256 !== staged.sha256) {
        throw new KernelError(
          'KRN_ERR_ALREADY_INSTALLED',
          `${manifest.name}@${manifest.version} is already installed with different content`,
          { plugin: manifest.name },
        );
      }
      return { record: same, fresh: false };
    }
    try {
      // A `dependsOn` that would close a cycle with what is installed is refused here.
      loadOrder(dependencyMap(records).set(manifest.name, Object.keys(manifest.dependsOn ?? {})));
    } catch (error) {
      await rm(staged.stagingDir, { recursive: true, force: true });
      throw error;
    }
    await this.deps.keepZip(staged.sha256, zip);
    await commitStaged(staged.stagingDir, paths.root, manifest);
    const record: PluginRecord = {
      name: manifest.name,
      version: manifest.version,
      state: 'installed',
      error: null,
      manifest,
      sha256: staged.sha256,
      source: label,
      installedAt: new Date().toISOString(),
    };
    await store.putPlugin(record);
    await activity.record({
      actor,
      action: 'plugin.installed',
      subject: `${manifest.name}@${manifest.version}`,
      plugin: manifest.name,
      details: { source: label, sha256: staged.sha256 },
    });
    return { record, fresh: true };
  }
}
