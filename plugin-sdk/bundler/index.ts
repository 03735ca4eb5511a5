/** The plugin bundler, used by `spindle plugin bundle` and by scripts that build first-party plugins. */

export type { BundleOptions, BundleResult } from './bundle-plugin.js';
export { bundlePlugin, findEntry, KERNEL_EXTERNALS, resolveSdkEntry } from './bundle-plugin.js';
export { collectBundleFiles } from './collect-files.js';
export type { IgnoreMatcher } from './ignore.js';
export { ALWAYS_IGNORED, createIgnoreMatcher } from './ignore.js';
export { BundleError, readPluginJson } from './read-manifest.js';
