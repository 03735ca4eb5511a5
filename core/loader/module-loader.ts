import { createRequire } from 'node:module';
import path from 'node:path';
import { isDefinedPlugin, type DefinedPlugin } from '../../plugin-sdk/define-plugin.js';
import { KernelError, describeError } from '../errors/kernel-error.js';

type CachedModule = NodeJS.Module & { children: NodeJS.Module[] };

function isUnder(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/**
 * Forget every module loaded from `dir`: delete it from `require.cache` and drop it from every
 * parent's `module.children`. Both steps are needed, or the old code stays reachable
 * (nodejs/node#8443).
 */
export function evictModules(dir: string): number {
  const require = createRequire(import.meta.url);
  const cache = require.cache as Record<string, CachedModule | undefined>;
  let evicted = 0;
  for (const key of Object.keys(cache)) {
    if (isUnder(key, dir)) {
      delete cache[key];
      evicted++;
    }
  }
  for (const mod of Object.values(cache)) {
    if (mod?.children?.some((child) => isUnder(child.filename ?? child.id, dir))) {
      mod.children = mod.children.filter((child) => !isUnder(child.filename ?? child.id, dir));
    }
  }
  return evicted;
}

/** Modules under `dir` still in `require.cache` (or linked as a child): for tests and health checks. */
export function cachedModulesUnder(dir: string): string[] {
  const require = createRequire(import.meta.url);
  const cache = require.cache as Record<string, CachedModule | undefined>;
  const found = new Set(Object.keys(cache).filter((key) => isUnder(key, dir)));
  for (const mod of Object.values(cache)) {
    for (const child of mod?.children ?? []) if (isUnder(child.filename ?? child.id, dir)) found.add(child.filename ?? child.id);
  }
  return [...found];
}

/**
 * Load a plugin bundle as a fresh CommonJS module and return its `definePlugin` object. Any copy
 * of the same files loaded before is evicted first, so each instance gets its own module state.
 */
export function loadPluginModule(dir: string, main: string, pluginName: string): DefinedPlugin {
  const file = path.resolve(dir, main);
  if (!isUnder(file, path.resolve(dir))) {
    throw new KernelError('KRN_ERR_PLUGIN_LOAD_FAILED', `main "${main}" points outside the bundle`, { plugin: pluginName });
  }
  evictModules(dir);
  let exported: unknown;
  try {
    // A throwaway parent per load: its `children` link to the bundle dies with it.
    exported = createRequire(path.join(dir, 'spindle-loader.cjs'))(file);
  } catch (error) {
    evictModules(dir);
    throw new KernelError('KRN_ERR_PLUGIN_LOAD_FAILED', `loading ${main} threw: ${describeError(error)}`, {
      plugin: pluginName,
      cause: error,
    });
  }
  const candidate = (exported as { default?: unknown } | null)?.default ?? exported;
  if (!isDefinedPlugin(candidate)) {
    evictModules(dir);
    throw new KernelError(
      'KRN_ERR_PLUGIN_LOAD_FAILED',
      `${main} does not export a plugin made with definePlugin() (default export has no SDK brand)`,
      { plugin: pluginName },
    );
  }
  return candidate;
}
