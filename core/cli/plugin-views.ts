/** Text renderings of plugin listings for `spindle plugin list|get|install`. */
import type { InstallResult, PluginView } from '../http/kernel-api.js';
import { renderFields, renderTable } from './format.js';

/** One word for a plugin: the active version's state, else disabled / failed / installed. */
export function pluginStatus(view: PluginView): string {
  const active = view.versions.find((v) => v.version === view.activeVersion);
  if (active) return active.state;
  if (!view.enabled) return 'disabled';
  if (view.versions.some((v) => v.state === 'failed')) return 'failed';
  return 'installed';
}

export function renderPluginList(plugins: PluginView[]): string {
  if (plugins.length === 0) return 'No plugins installed. Install one with `spindle plugin install <zip|url>`.\n';
  const rows = plugins.map((p) => [
    p.name,
    p.activeVersion,
    pluginStatus(p),
    p.enabled ? 'yes' : 'no',
    p.pinnedVersion,
    p.category,
    p.versions.map((v) => (v.state === 'failed' ? `${v.version}(failed)` : v.version)).join(','),
  ]);
  return renderTable(['NAME', 'ACTIVE', 'STATUS', 'ENABLED', 'PINNED', 'CATEGORY', 'VERSIONS'], rows);
}

export function renderPlugin(p: PluginView): string {
  let text = renderFields([
    ['name', p.name],
    ['description', p.description],
    ['category', p.category],
    ['status', pluginStatus(p)],
    ['active version', p.activeVersion],
    ['pinned version', p.pinnedVersion],
    ['enabled', p.enabled ? 'yes' : 'no'],
    [
      'runs',
      p.runs === 'process' ? 'in its own process (isolated)' : p.runs === 'in-process' ? 'in the kernel process' : null,
    ],
    ['permissions', describePermissions(p.permissions)],
  ]);
  const versionRows = p.versions.map((v) => [
    v.version,
    v.state,
    v.active ? 'yes' : '',
    v.installedAt,
    v.source,
    v.error,
  ]);
  text += `\nVersions:\n${renderTable(['VERSION', 'STATE', 'ACTIVE', 'INSTALLED', 'SOURCE', 'ERROR'], versionRows)}`;
  if (p.actions.length > 0) {
    text += `\nActions:\n${renderTable(
      ['NAME', 'DESCRIPTION'],
      p.actions.map((a) => [a.name, a.description]),
    )}`;
  }
  if (p.routes.length > 0) {
    text += `\nRoutes:\n${renderTable(
      ['METHOD', 'PATH'],
      p.routes.map((r) => [r.method, r.path]),
    )}`;
  }
  if (p.docs.length > 0) text += `\nDocs: ${p.docs.join(', ')}\n`;
  return text;
}

/** A manifest's `permissions` in one line: what the operator grants by installing it. */
export function describePermissions(permissions: PluginView['permissions']): string {
  const parts: string[] = [];
  if (permissions.childProcess) parts.push('runs programs');
  if (permissions.workers) parts.push('worker threads');
  if (permissions.network) parts.push('network');
  if (permissions.fsRead?.length) parts.push(`reads ${permissions.fsRead.join(', ')}`);
  if (permissions.fsWrite?.length) parts.push(`writes ${permissions.fsWrite.join(', ')}`);
  const request = [
    ...(permissions.request?.headers ?? []).map((h) => `header ${h}`),
    ...(permissions.request?.cookies ?? []).map((c) => `cookie ${c}`),
  ];
  if (request.length > 0) parts.push(`sees ${request.join(', ')}`);
  if (permissions.memoryMb) parts.push(`heap ${permissions.memoryMb} MiB`);
  return parts.length === 0 ? 'none beyond its bundle and data directory' : parts.join('; ');
}

export function renderInstall(result: InstallResult): string {
  const parts = [`installed ${result.name}@${result.version}: ${result.state}`];
  if (result.plugin.runs === 'process') parts.push('isolated');
  if (result.swappedFrom) parts.push(`swapped from ${result.swappedFrom}`);
  if (result.removed.length > 0) parts.push(`removed ${result.removed.join(', ')}`);
  return `${parts.join('; ')}\npermissions: ${describePermissions(result.permissions)}\n`;
}

/** The error of the version just installed, when it did not become active. */
export function installFailure(result: InstallResult): string | undefined {
  if (result.state !== 'failed') return undefined;
  const version = result.plugin.versions.find((v) => v.version === result.version);
  return `${result.name}@${result.version} was installed but failed: ${version?.error ?? 'no reason recorded'}`;
}
