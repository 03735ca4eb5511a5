import { KernelError } from '../errors/kernel-error.js';
import type { LifecycleParts, PluginActivation } from './plugin-activation.js';

export interface UninstallDeps extends LifecycleParts {
  activation: PluginActivation;
  /** Who still uses `version` of the plugin: jobs, volumes, `plugins.inUse` taps. */
  usersOf(version: string): Promise<string[]>;
  /** Before the active version goes: returns what to do once it is gone (mark its jobs). */
  beforeRemoved(version: string): Promise<() => Promise<void>>;
}

/**
 * Remove one version, or every version, of a plugin (a step of the lifecycle, in its queue). Taking
 * away the active version is refused while something uses it or depends on it, unless forced;
 * another version then takes over when one is left.
 */
export async function uninstallPlugin(
  deps: UninstallDeps,
  name: string,
  version: string | undefined,
  options: { force?: boolean; actor: string },
): Promise<{ removed: string[] }> {
  const { host, store, activation } = deps;
  const records = await activation.requireVersions(name);
  const targets = version ? records.filter((r) => r.version === version) : records;
  if (targets.length === 0) {
    throw new KernelError(
      'KRN_ERR_PLUGIN_NOT_FOUND',
      `version ${version} is not installed (installed: ${records.map((r) => r.version).join(', ')})`,
      { plugin: name },
    );
  }
  const active = host.activeInstance(name);
  const removesActive = !!active && targets.some((r) => r.version === active.version);
  if (removesActive && !options.force)
    await refuseIfUsed(
      deps,
      name,
      active.version,
      targets.map((r) => r.version),
    );
  const markJobs = removesActive ? await deps.beforeRemoved(active.version) : undefined;
  if (removesActive) await host.stop(name);
  await markJobs?.();
  for (const record of targets) await activation.removeVersion(record, options.actor);
  const desired = await store.getDesired(name);
  if (!version) await store.deleteDesired(name);
  else if (desired?.pinnedVersion === version) await store.putDesired({ ...desired, pinnedVersion: null });
  if (removesActive && version) await activation.activateBest(name, options.actor, { retryFailed: false });
  return { removed: targets.map((r) => r.version) };
}

async function refuseIfUsed(deps: UninstallDeps, name: string, version: string, removing: string[]): Promise<void> {
  const users = await deps.usersOf(version);
  if (users.length > 0) {
    throw new KernelError('KRN_ERR_PLUGIN_IN_USE', `${name}@${version} is in use by ${users.join(', ')}`, {
      plugin: name,
      details: { users },
    });
  }
  const dependents = await deps.activation.dependentsOf(name, removing);
  if (dependents.length > 0) {
    throw new KernelError('KRN_ERR_PLUGIN_DEPENDED_ON', `${dependents.join(', ')} depend on ${name}`, {
      plugin: name,
      details: { dependents },
    });
  }
}
