import { createRequire } from 'node:module';
import path from 'node:path';
import semver from 'semver';
import { type DefinedPlugin, isDefinedPlugin } from '../../plugin-sdk/define-plugin.js';
import { PLUGIN_API_VERSION } from '../../plugin-sdk/version.js';
import { describeError, KernelError } from '../errors/kernel-error.js';

type CachedModule = NodeJS.Module & { children: NodeJS.Module[] };

function isUnder(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/** Modules each bundle directory loaded, so eviction need not scan the whole cache (hot swap path). */
const loadedFrom = new Map<string, Set<CachedModule>>();

/** The module and everything it required from inside `dir`. */
function collectLoaded(root: CachedModule | undefined, dir: string, into: Set<CachedModule>): void {
  if (!root || into.has(root) || !isUnder(root.filename, dir)) return;
  into.add(root);
  for (const child of root.children ?? []) collectLoaded(child as CachedModule, dir, into);
}

/**
 * Forget every module loaded from `dir`: delete it from `require.cache` and drop it from every
 * parent's `module.children`. Both steps are needed, or the old code stays reachable
 * (nodejs/node#8443). A bundle's modules are only parents of each other (the loader's parent is
 * a throwaway), so unlinking them among themselves is enough; `full` also scans the whole cache.
 */
export function evictModules(dir: string, full = false): number {
  const require = createRequire(import.meta.url);
  const cache = require.cache as Record<string, CachedModule | undefined>;
  const modules = loadedFrom.get(dir) ?? new Set<CachedModule>();
  loadedFrom.delete(dir);
  let evicted = 0;
  for (const mod of modules) {
    if (cache[mod.filename] === mod) {
      delete cache[mod.filename];
      evicted++;
    }
    mod.children = [];
  }
  if (!full) return evicted;
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
    for (const child of mod?.children ?? [])
      if (isUnder(child.filename ?? child.id, dir)) found.add(child.filename ?? child.id);
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
    throw new KernelError('KRN_ERR_PLUGIN_LOAD_FAILED', `main "${main}" points outside the bundle`, {
      plugin: pluginName,
    });
  }
  // A directory loaded before (same version again, e.g. a config change) must load fresh.
  if (loadedFrom.has(dir)) evictModules(dir);
  let exported: unknown;
  const require = createRequire(path.join(dir, 'spindle-loader.cjs'));
  try {
    // A throwaway parent per load: its `children` link to the bundle dies with it.
    exported = require(file);
    const modules = new Set<CachedModule>();
    collectLoaded(require.cache[file] as CachedModule | undefined, dir, modules);
    loadedFrom.set(dir, modules);
  } catch (error) {
    evictModules(dir, true);
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
  try {
    checkBundledApiVersion(candidate, pluginName);
  } catch (error) {
    evictModules(dir);
    throw error;
  }
  return candidate;
}

/**
 * The SDK copy bundled into the plugin says which plugin API it was built against
 * (`$$apiVersion`). It must be this kernel's major version and not newer than this kernel: the
 * plugin could otherwise call what this kernel does not have. `engines.spindle` says what the
 * author meant; this is what the bundle really holds.
 */
function checkBundledApiVersion(plugin: DefinedPlugin, pluginName: string): void {
  const bundled = semver.valid(plugin.$$apiVersion);
  if (bundled && semver.major(bundled) === semver.major(PLUGIN_API_VERSION) && semver.lte(bundled, PLUGIN_API_VERSION))
    return;
  throw new KernelError(
    'KRN_ERR_ENGINE_MISMATCH',
    `the bundle was built with plugin SDK API ${plugin.$$apiVersion ?? '(none)'}, and this kernel provides ${PLUGIN_API_VERSION}`,
    {
      plugin: pluginName,
      details: { bundledApiVersion: plugin.$$apiVersion ?? null, kernelApiVersion: PLUGIN_API_VERSION },
    },
  );
}
