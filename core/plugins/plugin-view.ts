import type { PluginCategory, PluginPermissions } from '../../plugin-sdk/manifest.js';
import type { PluginInstance } from '../loader/plugin-instance.js';
import type { DesiredPlugin, PluginRecord, PluginState } from '../state/store.js';
import { byVersionDesc } from './plugin-activation.js';

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

/** What the API shows for one plugin name: its versions, which is active, and what it offers. */
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
  /** How the active version runs: in the kernel's process, or in one of its own; null when none is active. */
  runs: 'in-process' | 'process' | null;
  /** What the shown version declares it needs (`permissions` in its plugin.json). */
  permissions: PluginPermissions;
}

export function buildPluginView(
  records: PluginRecord[],
  desired: DesiredPlugin | undefined,
  active: PluginInstance | undefined,
  docs: string[],
): PluginView {
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
    actions: [...(active?.actions ?? new Map()).entries()].map(([name, a]) => ({
      name,
      description: a.description,
      inputSchema: a.inputSchema ?? null,
    })),
    routes: (active?.routes ?? []).map((r) => ({ method: r.method, path: r.path })),
    docs,
    runs: active ? (active.isolated ? 'process' : 'in-process') : null,
    permissions: shown.manifest.permissions ?? {},
  };
}
