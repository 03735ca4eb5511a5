import type { PluginContext } from './context.js';
import { PLUGIN_API_VERSION, SDK_BRAND } from './version.js';

/** What a plugin module implements. Only `activate` is required. */
export interface PluginDefinition<Config = Record<string, unknown>> {
  /** Register everything through `ctx`. Must resolve within the activation time limit. */
  activate(ctx: PluginContext<Config>): void | Promise<void>;
  /** Flush and close. Errors are logged; unloading goes on regardless. */
  deactivate?(ctx: PluginContext<Config>): void | Promise<void>;
}

/** A plugin definition, branded so the kernel can recognise it across bundled SDK copies. */
export interface DefinedPlugin<Config = Record<string, unknown>> extends PluginDefinition<Config> {
  readonly $$brand: typeof SDK_BRAND;
  readonly $$kind: 'plugin';
  readonly $$apiVersion: string;
}

/** Declare a plugin. Export the result as the module's default export. */
export function definePlugin<Config = Record<string, unknown>>(
  definition: PluginDefinition<Config>,
): DefinedPlugin<Config> {
  if (typeof definition?.activate !== 'function') {
    throw new TypeError('definePlugin: `activate(ctx)` must be a function');
  }
  return Object.freeze({
    ...definition,
    $$brand: SDK_BRAND,
    $$kind: 'plugin' as const,
    $$apiVersion: PLUGIN_API_VERSION,
  });
}

/** True for an object made by any copy of `definePlugin` (checked by brand, never `instanceof`). */
export function isDefinedPlugin(value: unknown): value is DefinedPlugin {
  const v = value as Partial<DefinedPlugin> | null;
  return !!v && v.$$brand === SDK_BRAND && v.$$kind === 'plugin' && typeof v.activate === 'function';
}
