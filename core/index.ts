/**
 * `spindle` (the package's main entry): run a kernel from your own program.
 *
 * ```ts
 * import { startKernel } from 'spindle';
 * const running = await startKernel({ home: './.spindle', port: 7070, host: '127.0.0.1', withDefaults: true });
 * console.log(running.url, running.generatedAdminToken);
 * await running.close();
 * ```
 *
 * Plugins import `spindle/plugin-sdk` (and its subpaths), never this entry.
 */

export { PLUGIN_API_VERSION } from '../plugin-sdk/version.js';
export type { ErrorCode } from './errors/catalogue.js';
export { ERROR_CATALOGUE } from './errors/catalogue.js';
export { isKernelError, KernelError } from './errors/kernel-error.js';
export type { KernelApi } from './http/kernel-api.js';
export type { Kernel } from './kernel.js';
export type { RunningKernel, StartOptions } from './start.js';
export { startKernel } from './start.js';
