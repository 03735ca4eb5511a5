/**
 * Build plugin bundles for tests without esbuild: a CommonJS `dist/index.cjs` whose body is given
 * as source, with a tiny inline `definePlugin` that carries the SDK brand (as a bundled SDK would).
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';

export interface FixturePlugin {
  name: string;
  version: string;
  /** CommonJS source; must end with `module.exports = definePlugin({...})` or similar. */
  source: string;
  manifest?: Partial<PluginManifest>;
  /** Extra files: bundle path -> content. */
  files?: Record<string, string | Buffer>;
}

const SDK_SHIM = `
const definePlugin = (d) => Object.freeze({ ...d, $$brand: 'spindle.plugin-sdk', $$kind: 'plugin', $$apiVersion: '1.0.0' });
class PluginError extends Error { constructor(m, o = {}) { super(m); this.$$brand = 'spindle.plugin-sdk'; this.status = o.status ?? 400; this.details = o.details; } }
`;

export function fixtureManifest(plugin: FixturePlugin): PluginManifest {
  return {
    name: plugin.name,
    version: plugin.version,
    category: 'core',
    main: 'dist/index.cjs',
    engines: { spindle: '^1.0.0' },
    ...plugin.manifest,
  };
}

export function fixtureFiles(plugin: FixturePlugin): Record<string, string | Buffer> {
  return {
    'plugin.json': JSON.stringify(fixtureManifest(plugin), null, 2),
    'dist/index.cjs': `'use strict';\n${SDK_SHIM}\n${plugin.source}\n`,
    ...plugin.files,
  };
}

/** Write the bundle's files into `dir` (as an installed plugin directory looks). */
export function writePluginDir(dir: string, plugin: FixturePlugin): string {
  for (const [rel, content] of Object.entries(fixtureFiles(plugin))) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return dir;
}

/** The bundle as a ZIP, in memory. */
export function pluginZip(plugin: FixturePlugin): Buffer {
  const zip = new AdmZip();
  for (const [rel, content] of Object.entries(fixtureFiles(plugin))) zip.addFile(rel, Buffer.from(content));
  return zip.toBuffer();
}

/** A plugin whose single route `GET /hello` answers `{version}`, the usual swap probe. */
export function helloPlugin(version: string, extra = ''): FixturePlugin {
  return {
    name: 'hello',
    version,
    source: `module.exports = definePlugin({
  async activate(ctx) {
    ctx.http.route('GET', '/hello', async () => ({ body: { version: '${version}' } }));
    ${extra}
  },
});`,
  };
}
