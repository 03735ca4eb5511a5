import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { KernelError } from './errors/kernel-error.js';
import { fetchZip } from './intake/fetch-zip.js';
import { commitStaged, stagePlugin } from './intake/stage-plugin.js';
import type { ZipLimits } from './intake/zip-limits.js';
import type { InstallOptions, InstallSource } from './kernel-api.js';
import type { LifecycleParts, PluginLifecycle } from './plugin-lifecycle.js';
import type { PluginRecord } from './state/store.js';

/** What an install did; the kernel adds the plugin view. */
export interface Installed {
  name: string;
  version: string;
  /** The version active before, when this install swapped it out (or tried to). */
  swappedFrom: string | null;
  removed: string[];
}

/** Installing a bundle: from its source to a recorded version, activated when it should run. */
export class PluginInstaller {
  constructor(
    private readonly parts: LifecycleParts,
    private readonly lifecycle: PluginLifecycle,
    private readonly limits: ZipLimits,
    /** Keeps the ZIP where other replicas can fetch it (the shared database), by its sha256. */
    private readonly keepZip: (sha256: string, zip: Buffer) => Promise<void> = async () => undefined,
  ) {}

  async readSource(source: InstallSource): Promise<{ zip: Buffer; label: string }> {
    switch (source.kind) {
      case 'upload':
        return { zip: source.data, label: source.filename ? `upload:${source.filename}` : 'upload' };
      case 'path':
        return { zip: await readZipFile(source.path), label: `path:${source.path}` };
      case 'drop-in':
        return { zip: source.data ?? (await readZipFile(source.file)), label: `drop-in:${path.basename(source.file)}` };
      case 'url':
        return { zip: await fetchZip(source.url, { maxBytes: this.limits.maxZipBytes }), label: `url:${withoutCredentials(source.url)}` };
    }
  }

  /** Stage, commit and record a ZIP, then activate it when it is the version to run. */
  async install(zip: Buffer, label: string, options: InstallOptions): Promise<Installed> {
    const records = await this.parts.store.listPlugins();
    const staged = await stagePlugin(zip, {
      home: this.parts.paths.root,
      limits: this.limits,
      installedVersions: (n) => records.filter((r) => r.name === n).map((r) => r.version),
    });
    const { manifest } = staged;
    const same = records.find((r) => r.name === manifest.name && r.version === manifest.version);
    if (same) {
      await rm(staged.stagingDir, { recursive: true, force: true });
      if (same.sha256 !== staged.sha256) {
        throw new KernelError('KRN_ERR_ALREADY_INSTALLED', `${manifest.name}@${manifest.version} is already installed with different content`, { plugin: manifest.name });
      }
      return { name: manifest.name, version: manifest.version, swappedFrom: null, removed: [] };
    }
    try {
      await this.lifecycle.checkNoCycle(manifest);
    } catch (error) {
      await rm(staged.stagingDir, { recursive: true, force: true });
      throw error;
    }
    await this.keepZip(staged.sha256, zip);
    await commitStaged(staged.stagingDir, this.parts.paths.root, manifest);
    const record: PluginRecord = { name: manifest.name, version: manifest.version, state: 'installed', error: null, manifest, sha256: staged.sha256, source: label, installedAt: new Date().toISOString() };
    await this.parts.store.putPlugin(record);
    await this.parts.activity.record({ actor: options.actor, action: 'plugin.installed', subject: `${manifest.name}@${manifest.version}`, plugin: manifest.name, details: { source: label, sha256: staged.sha256 } });

    const previous = this.parts.host.activeInstance(manifest.name)?.version ?? null;
    if (await this.shouldActivate(record, previous)) {
      try {
        await this.lifecycle.activate(record, options.actor);
      } catch (error) {
        throw new KernelError('KRN_ERR_ACTIVATION_FAILED', `${manifest.name}@${manifest.version} was installed but failed to activate: ${(error as KernelError).what ?? (error as Error).message}; ${previous ? `version ${previous} stays active` : 'no version is active'}`, {
          plugin: manifest.name,
          status: 422,
          details: { installed: true, name: manifest.name, version: manifest.version, activeVersion: previous, code: (error as KernelError).code },
        });
      }
      await this.activateWaitingDependents(manifest.name, options.actor);
    }
    const removed = options.replace && this.parts.host.activeInstance(manifest.name)?.version === manifest.version ? await this.removeOthers(manifest.name, manifest.version, options.actor) : [];
    return { name: manifest.name, version: manifest.version, swappedFrom: previous, removed };
  }

  private async shouldActivate(record: PluginRecord, activeVersion: string | null): Promise<boolean> {
    const desired = await this.parts.store.getDesired(record.name);
    if (desired && !desired.enabled) return false;
    if (desired?.pinnedVersion) return desired.pinnedVersion === record.version;
    return activeVersion === null || (await this.lifecycle.versionsOf(record.name))[0]?.version === record.version;
  }

  /** Plugins with no active version that depend on `name` may start now that it is active. */
  private async activateWaitingDependents(name: string, actor: string): Promise<void> {
    const records = await this.parts.store.listPlugins();
    const waiting = new Set(records.filter((r) => r.manifest.dependsOn?.[name] && !this.parts.host.activeInstance(r.name)).map((r) => r.name));
    for (const dependent of waiting) await this.lifecycle.activateBest(dependent, actor, { retryFailed: true });
  }

  private async removeOthers(name: string, keep: string, actor: string): Promise<string[]> {
    const others = (await this.lifecycle.versionsOf(name)).filter((r) => r.version !== keep);
    for (const record of others) await this.lifecycle.removeVersion(record, actor);
    return others.map((r) => r.version);
  }
}

async function readZipFile(file: string): Promise<Buffer> {
  return readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new KernelError('KRN_ERR_BAD_REQUEST', `cannot read ${file}: ${error.code ?? error.message}`);
  });
}

/** A URL as it may be stored and logged: without user name or password. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}
