/**
 * The kernel plugin API version. A plugin's `engines.spindle` range must include it, or the
 * kernel refuses the plugin at install (`KRN_ERR_ENGINE_MISMATCH`). It moves by semver: a new
 * hook or extension-point method is a minor bump, a changed or removed one a major bump.
 */
export const PLUGIN_API_VERSION = '1.2.0';

/** Brand that marks objects made by this SDK; the kernel checks it instead of `instanceof`. */
export const SDK_BRAND = 'spindle.plugin-sdk';
