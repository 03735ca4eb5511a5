import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { bundlePlugin } from '../../plugin-sdk/bundler/bundle-plugin.js';
import { describeError, type KernelError } from '../errors/kernel-error.js';
import { packageRoot } from '../system/package-root.js';
import type { PluginLifecycle } from './plugin-lifecycle.js';

export { packageRoot } from '../system/package-root.js';

/** What `spindle start --with-defaults` (and `npm start`) installs: enough to run a Python job locally, with volumes. */
export const DEFAULT_PLUGINS = ['scheduler-fifo', 'jobtype-python', 'infra-local', 'storage-local'] as const;

/** First-party plugin directories (`plugins/<name>/plugin.json`), by name. */
export function firstPartyPlugins(root = packageRoot()): string[] {
  const dir = path.join(root, 'plugins');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'plugin.json')))
    .map((d) => d.name)
    .sort();
}

/** Bundle first-party plugins into `dist/plugins/<name>-<version>.zip` (byte-identical when unchanged). */
export async function bundleFirstPartyPlugins(
  names: readonly string[] = firstPartyPlugins(),
  root = packageRoot(),
): Promise<string[]> {
  const outDir = path.join(root, 'dist', 'plugins');
  const zips: string[] = [];
  for (const name of names) zips.push((await bundlePlugin(path.join(root, 'plugins', name), { outDir })).zipPath);
  return zips;
}

/**
 * Build and install the default plugins like any third-party plugin. Installing the same bytes
 * again is a no-op, so this runs at every start; a plugin whose code changed without a version
 * bump is left as installed, with a warning saying so.
 */
export async function installDefaultPlugins(plugins: Pick<PluginLifecycle, 'install'>, logger: Logger): Promise<void> {
  for (const zip of await bundleFirstPartyPlugins(DEFAULT_PLUGINS)) {
    try {
      const result = await plugins.install({ kind: 'path', path: zip }, { actor: 'kernel' });
      logger.info({ plugin: result.name, version: result.version, state: result.state }, 'default plugin ready');
    } catch (error) {
      const code = (error as KernelError).code;
      if (code === 'KRN_ERR_ALREADY_INSTALLED') {
        logger.warn(
          { zip: path.basename(zip) },
          'a default plugin changed without a version bump; the installed build stays (bump its version to install the new one)',
        );
      } else {
        logger.error({ zip: path.basename(zip), err: describeError(error) }, 'a default plugin could not be installed');
      }
    }
  }
}

export function listBundled(root = packageRoot()): string[] {
  const dir = path.join(root, 'dist', 'plugins');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.zip')) : [];
}
