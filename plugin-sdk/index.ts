/**
 * `spindle/plugin-sdk`: what plugin authors import. The runtime part is tiny (`definePlugin`, the
 * error classes, the hook and event catalogues) and is bundled into each plugin; everything else
 * is types. Helpers for schedulers and infrastructure targets are the subpaths
 * `spindle/plugin-sdk/scheduling` and `spindle/plugin-sdk/targets`; the test kit is
 * `spindle/plugin-sdk/testing`. The whole contract is recorded in `plugin-sdk/api-report.md`.
 */

export type * from './context.js';
export type { DefinedPlugin, PluginDefinition } from './define-plugin.js';
export { definePlugin, isDefinedPlugin } from './define-plugin.js';
export type { VolumeErrorKind } from './errors.js';
export { isPluginError, PluginError, RejectedError, VolumeError, volumeErrorKind } from './errors.js';
export type { EventFamily, KernelEventType } from './event-catalogue.js';
export { EVENT_FAMILIES, EVENT_TYPES, isKernelEventType } from './event-catalogue.js';
export type * from './hook-catalogue.js';
export { HOOK_KINDS } from './hook-catalogue.js';
export type * from './hook-types.js';
export type * from './manifest.js';
export type * from './providers.js';
export { PLUGIN_API_VERSION, SDK_BRAND } from './version.js';
