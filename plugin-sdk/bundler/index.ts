/** The plugin bundler, used by `spindle plugin bundle` and by scripts that build first-party plugins. */
export { bundlePlugin, findEntry, resolveSdkEntry, KERNEL_EXTERNALS } from './bundle-plugin.js';
export type { BundleOptions, BundleResult } from './bundle-plugin.js';
export { BundleError, readPluginJson } from './read-manifest.js';
export { collectBundleFiles } from './collect-files.js';
export { createIgnoreMatcher, ALWAYS_IGNORED } from './ignore.js';
export type { IgnoreMatcher } from './ignore.js';
