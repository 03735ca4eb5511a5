/**
 * Plugin bundles for the benchmarks, built without esbuild: `plugin.json` plus a CommonJS
 * `dist/index.cjs` with a tiny inline `definePlugin` that carries the SDK brand, as a bundled SDK
 * would. Self-contained on purpose: `bench/` is compiled to `build/bench/` and must not import
 * from `tests/`.
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import type { PluginManifest } from '../plugin-sdk/manifest.js';

export interface BenchPlugin {
  name: string;
  version: string;
  /** CommonJS source; must set `module.exports = definePlugin({...})`. */
  source: string;
  /** Extra files: bundle path -> content. */
  files?: Record<string, string | Buffer>;
  /** Manifest fields over the defaults (`isolation`, `permissions`, …). */
  manifest?: Partial<PluginManifest>;
}

const SDK_SHIM = `
const definePlugin = (d) => Object.freeze({ ...d, $$brand: 'spindle.plugin-sdk', $$kind: 'plugin', $$apiVersion: '1.0.0' });
`;

export function benchManifest(plugin: BenchPlugin): PluginManifest {
  return {
    name: plugin.name,
    version: plugin.version,
    category: 'core',
    main: 'dist/index.cjs',
    engines: { spindle: '^1.0.0' },
    ...plugin.manifest,
  };
}

function bundleFiles(plugin: BenchPlugin): Record<string, string | Buffer> {
  return {
    'plugin.json': JSON.stringify(benchManifest(plugin), null, 2),
    'dist/index.cjs': `'use strict';\n${SDK_SHIM}\n${plugin.source}\n`,
    ...plugin.files,
  };
}

/** Write the bundle's files into `dir`, as an installed plugin directory looks. */
export function writePluginDir(dir: string, plugin: BenchPlugin): string {
  for (const [rel, content] of Object.entries(bundleFiles(plugin))) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return dir;
}

/**
 * The bundle as a ZIP. `store` keeps entries uncompressed (method 0): much faster to build for
 * large random content, which deflate cannot shrink anyway.
 */
export function pluginZip(plugin: BenchPlugin, options: { store?: boolean } = {}): Buffer {
  const zip = new AdmZip();
  for (const [rel, content] of Object.entries(bundleFiles(plugin))) {
    zip.addFile(rel, Buffer.from(content));
    if (options.store) zip.getEntry(rel)!.header.method = 0;
  }
  return zip.toBuffer();
}

/** A plugin whose route `GET /version` answers its version (after `delayMs`, if given). */
export function versionPlugin(name: string, version: string, options: { delayMs?: number } = {}): BenchPlugin {
  const wait = options.delayMs ? `await new Promise((r) => setTimeout(r, ${options.delayMs}));` : '';
  return {
    name,
    version,
    source: `module.exports = definePlugin({
  async activate(ctx) {
    ctx.http.route('GET', '/version', async () => { ${wait} return { body: { version: '${version}' } }; });
  },
});`,
  };
}

/**
 * `count` asset files of incompressible random bytes, about `totalBytes` in all, spread over
 * sub-directories of 100 files each.
 */
export function randomAssets(count: number, totalBytes: number): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  const each = Math.floor(totalBytes / count);
  for (let i = 0; i < count; i++) {
    const dir = `d${String(Math.floor(i / 100)).padStart(2, '0')}`;
    files[`assets/${dir}/blob-${String(i).padStart(4, '0')}.bin`] = randomBytes(each);
  }
  return files;
}

/**
 * ZIPs of one plugin at many versions that share large fixed files: the fixed entries are added
 * (and compressed) once, and each call only rewrites `plugin.json` and the code.
 */
export function zipFactory(
  make: (version: string) => BenchPlugin,
  fixed: Record<string, Buffer>,
): (version: string) => Buffer {
  const zip = new AdmZip();
  for (const [rel, content] of Object.entries(fixed)) zip.addFile(rel, content);
  return (version) => {
    for (const [rel, content] of Object.entries(bundleFiles(make(version)))) {
      if (zip.getEntry(rel)) zip.updateFile(rel, Buffer.from(content));
      else zip.addFile(rel, Buffer.from(content));
    }
    return zip.toBuffer();
  };
}

/**
 * A plugin whose module holds a distinct `bytes`-long string constant, kept reachable from its
 * route, so every load compiles a module of that size and an old instance that is not released
 * shows up in the heap.
 */
export function heavyPlugin(name: string, version: string, bytes: number): BenchPlugin {
  const big = `${version}:${randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64')}`.slice(0, bytes);
  return {
    name,
    version,
    source: `const BIG = '${big}';
module.exports = definePlugin({
  async activate(ctx) {
    ctx.http.route('GET', '/version', async () => ({ body: { version: '${version}', size: BIG.length } }));
  },
});`,
  };
}
