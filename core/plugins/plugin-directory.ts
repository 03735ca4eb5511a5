import { KernelError } from '../errors/kernel-error.js';
import type { PluginHost } from '../loader/plugin-host.js';
import type { PluginInstance } from '../loader/plugin-instance.js';
import type { PluginRecord, PluginState, StateStore } from '../state/store.js';
import { type HomePaths, pluginDir } from '../system/home-paths.js';
import { type ConfigView, configView } from './config-changes.js';
import { byVersionDesc, requireVersions } from './plugin-activation.js';
import { listDocPages, readDocPage } from './plugin-docs.js';
import { buildPluginView, type PluginView } from './plugin-view.js';

/** What is installed and what runs, as the API shows it. Reads only; changes go through the lifecycle. */
export class PluginDirectory {
  constructor(private readonly parts: { paths: HomePaths; store: StateStore; host: PluginHost }) {}

  async list(): Promise<PluginView[]> {
    const records = await this.parts.store.listPlugins();
    const names = [...new Set(records.map((r) => r.name))].sort();
    return Promise.all(
      names.map((name) =>
        this.viewOf(
          name,
          records.filter((r) => r.name === name),
        ),
      ),
    );
  }

  async get(name: string): Promise<PluginView> {
    return this.viewOf(name, await requireVersions(this.parts.store, name));
  }

  async config(name: string): Promise<ConfigView> {
    return configView(this.parts, await this.current(name));
  }

  async docs(name: string): Promise<string[]> {
    return (await this.get(name)).docs;
  }

  async doc(name: string, page: string): Promise<string> {
    const record = await this.current(name);
    return readDocPage(pluginDir(this.parts.paths, name, record.version), name, page);
  }

  /** The instance serving `name` now: `KRN_ERR_PLUGIN_NOT_FOUND` or `KRN_ERR_PLUGIN_NOT_ACTIVE` otherwise. */
  async activeInstance(name: string): Promise<PluginInstance> {
    const instance = this.parts.host.activeInstance(name);
    if (instance) return instance;
    await requireVersions(this.parts.store, name);
    throw new KernelError('KRN_ERR_PLUGIN_NOT_ACTIVE', `no version of "${name}" is active`, { plugin: name });
  }

  /** The record of the active version, or of the highest installed one. */
  async current(name: string): Promise<PluginRecord> {
    const records = await requireVersions(this.parts.store, name);
    const active = this.parts.host.activeInstance(name);
    return records.find((r) => r.version === active?.version) ?? records[0]!;
  }

  async countByState(): Promise<Record<PluginState, number>> {
    const counts: Record<PluginState, number> = { installed: 0, active: 0, failed: 0, disabled: 0 };
    for (const record of await this.parts.store.listPlugins()) counts[record.state]++;
    return counts;
  }

  private async viewOf(name: string, records: PluginRecord[]): Promise<PluginView> {
    const active = this.parts.host.activeInstance(name);
    const shown = active
      ? pluginDir(this.parts.paths, name, active.version)
      : pluginDir(this.parts.paths, name, [...records].sort(byVersionDesc)[0]!.version);
    return buildPluginView(records, await this.parts.store.getDesired(name), active, await listDocPages(shown));
  }
}
