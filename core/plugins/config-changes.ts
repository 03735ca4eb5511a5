import { deepMerge, maskSecrets, resolveConfig, unmaskSecrets } from '../config/plugin-config.js';
import { KernelError } from '../errors/kernel-error.js';
import type { PluginRecord } from '../state/store.js';
import type { LifecycleParts, PluginActivation } from './plugin-activation.js';

export interface ConfigView {
  /** The stored config with defaults applied, `x-secret` fields masked as "********". */
  config: Record<string, unknown>;
  schema: Record<string, unknown> | null;
}

/** A plugin's config as the API shows it: defaults applied, secrets masked. */
export async function configView(parts: Pick<LifecycleParts, 'store'>, record: PluginRecord): Promise<ConfigView> {
  const stored = await parts.store.getConfig(record.name);
  let config: Record<string, unknown>;
  try {
    config = resolveConfig(record.manifest, stored);
  } catch {
    config = stored ?? {};
  }
  return { config: maskSecrets(record.manifest.configSchema, config), schema: record.manifest.configSchema ?? null };
}

/**
 * Validate and store a new config. An active plugin is swapped to an instance with it (a config
 * it fails with leaves the old instance and the old config); one that could not start, often for
 * want of config, gets another chance.
 */
export async function changeConfig(
  parts: LifecycleParts,
  activation: PluginActivation,
  record: PluginRecord,
  config: Record<string, unknown>,
  options: { actor: string; merge?: boolean },
): Promise<ConfigView> {
  const { name } = record;
  const schema = record.manifest.configSchema;
  const stored = (await parts.store.getConfig(name)) ?? {};
  const incoming = unmaskSecrets(schema, options.merge ? deepMerge(stored, config) : config, stored);
  resolveConfig(record.manifest, incoming);
  const wasActive = !!parts.host.activeInstance(name);
  if (wasActive) await activation.activate(record, options.actor, incoming);
  await parts.store.putConfig(name, incoming);
  await parts.activity.record({
    actor: options.actor,
    action: 'plugin.config-changed',
    subject: name,
    plugin: name,
    details: { config: maskSecrets(schema, incoming) },
  });
  if (!wasActive && (await parts.store.getDesired(name))?.enabled !== false) {
    const error = await activation.activateBest(name, options.actor, { retryFailed: true });
    if (error && !parts.host.activeInstance(name)) {
      throw new KernelError(
        'KRN_ERR_ACTIVATION_FAILED',
        `the config was saved, but ${name} still does not activate: ${error.what}`,
        { plugin: name, details: { saved: true } },
      );
    }
  }
  return { config: maskSecrets(schema, resolveConfig(record.manifest, incoming)), schema: schema ?? null };
}
