import type { PluginView } from './kernel-api.js';
import type { PluginInstance } from './loader/plugin-instance.js';
import { byVersionDesc } from './plugin-lifecycle.js';
import type { DesiredPlugin, PluginRecord } from './state/store.js';

/** What the API shows for one plugin name: its versions, which is active, and what it offers. */
export function buildPluginView(records: PluginRecord[], desired: DesiredPlugin | undefined, active: PluginInstance | undefined, docs: string[]): PluginView {
  const sorted = [...records].sort(byVersionDesc);
  const shown = sorted.find((r) => r.version === active?.version) ?? sorted[0]!;
  return {
    name: shown.name,
    description: shown.manifest.description ?? null,
    category: shown.manifest.category,
    activeVersion: active?.version ?? null,
    pinnedVersion: desired?.pinnedVersion ?? null,
    enabled: desired?.enabled ?? true,
    versions: sorted.map((r) => ({
      version: r.version,
      state: r.state,
      error: r.error,
      installedAt: r.installedAt,
      sha256: r.sha256,
      source: r.source,
      active: r.version === active?.version,
    })),
    actions: [...(active?.actions ?? new Map()).entries()].map(([name, a]) => ({ name, description: a.description, inputSchema: a.inputSchema ?? null })),
    routes: (active?.routes ?? []).map((r) => ({ method: r.method, path: r.path })),
    docs,
  };
}
