/** Valid plugin bundles for intake tests, to which a test adds the one thing it wants to break. */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { type RawEntry, rawZip } from './raw-zip.js';

export const MAIN_SOURCE = 'module.exports = { default: { brand: "spindle.plugin-sdk" } };\n';

export function manifest(overrides: Partial<PluginManifest> = {}): PluginManifest {
  return {
    name: 'hello-plugin',
    version: '1.0.0',
    category: 'core',
    main: 'dist/index.cjs',
    engines: { spindle: '^1.0.0' },
    ...overrides,
  };
}

/** plugin.json + dist/index.cjs, then `extra` entries (hostile or not), as a raw ZIP. */
export function bundle(overrides: Partial<PluginManifest> = {}, extra: readonly RawEntry[] = []): Buffer {
  return rawZip([
    { name: 'plugin.json', data: JSON.stringify(manifest(overrides)) },
    { name: 'dist/index.cjs', data: MAIN_SOURCE },
    ...extra,
  ]);
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function tempHome(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'spindle-intake-'));
}

/** Names under `<home>/<dir>`, or [] when the dir does not exist. */
export async function listDir(home: string, dir: string): Promise<string[]> {
  return readdir(path.join(home, dir)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
}

export async function removeHome(home: string): Promise<void> {
  await rm(home, { recursive: true, force: true });
}
