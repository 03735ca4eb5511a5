import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { describeError } from '../errors/kernel-error.js';
import { cleanStaging } from '../intake/stage-plugin.js';
import { validateManifest } from '../manifest/validate-manifest.js';
import type { StateStore } from '../state/store.js';
import { type HomePaths, pluginDir } from '../system/home-paths.js';

async function listDirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/**
 * Make disk and database agree after any stop, including SIGKILL mid-install. A bundle reaches
 * `plugins/<name>/<version>/` only by one atomic rename from staging, so:
 * - whatever is left in `staging/` and `trash/` was never installed (or already removed): delete it;
 * - a record without its directory was removed mid-way: drop the record;
 * - a directory without a record was renamed in just before the kill: it is complete, so record it.
 * With a shared database (several replicas) only the first step runs.
 */
export async function recoverHome(
  paths: HomePaths,
  store: StateStore,
  logger: Logger,
  options: { shared: boolean },
): Promise<void> {
  for (const left of await cleanStaging(paths.root)) logger.info({ dir: left }, 'removed an unfinished install');
  await rm(paths.trash, { recursive: true, force: true });
  await rm(paths.transfer, { recursive: true, force: true });
  // With a shared database the records are the truth: the plugin sync fetches missing
  // directories and drops unrecorded ones, so this disk cannot change what other replicas run.
  if (options.shared) return;

  const records = await store.listPlugins();
  for (const record of records) {
    const exists = await stat(pluginDir(paths, record.name, record.version)).then(
      () => true,
      () => false,
    );
    if (!exists) {
      logger.warn({ plugin: record.name, version: record.version }, 'plugin directory is gone; forgetting the record');
      await store.deletePlugin(record.name, record.version);
    }
  }
  const known = new Set(records.map((r) => `${r.name}@${r.version}`));
  for (const name of await listDirs(paths.plugins)) {
    for (const version of await listDirs(path.join(paths.plugins, name))) {
      if (known.has(`${name}@${version}`)) continue;
      const dir = pluginDir(paths, name, version);
      try {
        const manifest = validateManifest(JSON.parse(await readFile(path.join(dir, 'plugin.json'), 'utf8')), name);
        if (manifest.name !== name || manifest.version !== version)
          throw new Error(`plugin.json says ${manifest.name}@${manifest.version}`);
        await store.putPlugin({
          name,
          version,
          state: 'installed',
          error: null,
          manifest,
          sha256: '',
          source: 'recovered',
          installedAt: new Date().toISOString(),
        });
        logger.info({ plugin: name, version }, 'recorded a plugin installed just before the kernel stopped');
      } catch (error) {
        logger.warn({ plugin: name, version, err: describeError(error) }, 'removing an unreadable plugin directory');
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
}
