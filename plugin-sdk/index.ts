/**
 * `spindle/plugin-sdk`: what plugin authors import. The runtime part is tiny (`definePlugin` and
 * the error classes) and is bundled into each plugin; everything else is types.
 */
export { definePlugin, isDefinedPlugin } from './define-plugin.js';
export type { DefinedPlugin, PluginDefinition } from './define-plugin.js';
export { PluginError, RejectedError, VolumeError, isPluginError, volumeErrorKind } from './errors.js';
export type { VolumeErrorKind } from './errors.js';
export { PLUGIN_API_VERSION, SDK_BRAND } from './version.js';
export { HOOK_KINDS } from './hook-catalogue.js';
export type * from './context.js';
export type * from './hook-catalogue.js';
export type * from './hook-types.js';
export type * from './manifest.js';
export type * from './providers.js';
