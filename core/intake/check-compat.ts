import { lstat } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { PLUGIN_API_VERSION } from '../../plugin-sdk/version.js';
import { KernelError } from '../errors/kernel-error.js';

export interface CompatOptions {
  /** Versions of plugin `name` installed in this kernel (empty when none). */
  installedVersions(name: string): string[];
  /** The kernel plugin API version; PLUGIN_API_VERSION unless a test says otherwise. */
  apiVersion?: string;
}

export interface MissingDependency {
  name: string;
  range: string;
  installed: string[];
}

/**
 * Whether a validated manifest can run on this kernel, with the bundle extracted in `dir`:
 * `engines.spindle`, `isolation`, the `main` file, then `dependsOn`.
 */
export async function checkCompat(manifest: PluginManifest, dir: string, options: CompatOptions): Promise<void> {
  checkEngine(manifest, options.apiVersion ?? PLUGIN_API_VERSION);
  checkPermissions(manifest);
  await checkMain(manifest, dir);
  checkDependencies(manifest, options.installedVersions);
}

export function checkEngine(manifest: PluginManifest, apiVersion: string = PLUGIN_API_VERSION): void {
  const range = manifest.engines.spindle;
  if (semver.validRange(range) === null) {
    throw new KernelError(
      'KRN_ERR_MANIFEST_INVALID',
      `engines.spindle ${JSON.stringify(range)} is not a semver range`,
      {
        plugin: manifest.name,
        details: { range },
      },
    );
  }
  if (!semver.satisfies(apiVersion, range)) {
    throw new KernelError(
      'KRN_ERR_ENGINE_MISMATCH',
      `needs kernel plugin API ${JSON.stringify(range)} (engines.spindle), but this kernel provides ${apiVersion}`,
      { plugin: manifest.name, details: { range, apiVersion } },
    );
  }
}

/**
 * `permissions` may name only placeholders the kernel knows ($JOBS, $TRANSFER, $HOME, $DATA) and
 * config keys the plugin's `configSchema` has (`${config.root}`), so what is granted is what the
 * operator reads.
 */
export function checkPermissions(manifest: PluginManifest): void {
  const { permissions } = manifest;
  if (!permissions) return;
  const keys = Object.keys((manifest.configSchema?.properties as Record<string, unknown> | undefined) ?? {});
  const strings = [
    ...(permissions.fsRead ?? []),
    ...(permissions.fsWrite ?? []),
    ...(permissions.request?.headers ?? []),
    ...(permissions.request?.cookies ?? []),
  ];
  for (const text of strings) {
    for (const [, key] of text.matchAll(/\$\{config\.([A-Za-z0-9_-]+)[^}]*\}/g)) {
      if (!keys.includes(key!)) {
        throw new KernelError(
          'KRN_ERR_MANIFEST_INVALID',
          `permissions: "${text}" names config key "${key}", which configSchema does not have`,
          { plugin: manifest.name },
        );
      }
    }
    const unknown = text.replace(/\$\{config\.[^}]+\}/g, '').match(/\$(?!(JOBS|TRANSFER|HOME|DATA)\b)[A-Za-z{]+/);
    if (unknown) {
      throw new KernelError(
        'KRN_ERR_MANIFEST_INVALID',
        `permissions: "${text}" has the unknown placeholder ${unknown[0]} (use $JOBS, $TRANSFER, $HOME, $DATA or \${config.<key>})`,
        { plugin: manifest.name },
      );
    }
  }
}

/** `main` must name a regular file inside the extracted bundle. */
export async function checkMain(manifest: PluginManifest, dir: string): Promise<void> {
  const root = path.resolve(dir);
  const file = path.resolve(root, manifest.main);
  const relative = path.relative(root, file);
  const inside =
    relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
  const isFile =
    inside &&
    (await lstat(file).then(
      (stats) => stats.isFile(),
      () => false,
    ));
  if (!isFile) {
    throw new KernelError(
      'KRN_ERR_MANIFEST_INVALID',
      `main ${JSON.stringify(manifest.main)} is not a file in the bundle`,
      {
        plugin: manifest.name,
        details: { main: manifest.main },
      },
    );
  }
}

/** Every `dependsOn` entry needs an installed version in range; all that do not are listed. */
export function checkDependencies(manifest: PluginManifest, installedVersions: (name: string) => string[]): void {
  const missing: MissingDependency[] = [];
  for (const [name, range] of Object.entries(manifest.dependsOn ?? {})) {
    if (name === manifest.name) {
      throw new KernelError('KRN_ERR_DEPENDENCY_CYCLE', 'lists itself in dependsOn', {
        plugin: manifest.name,
        details: { dependency: name },
      });
    }
    if (semver.validRange(range) === null) {
      throw new KernelError(
        'KRN_ERR_MANIFEST_INVALID',
        `dependsOn.${name} ${JSON.stringify(range)} is not a semver range`,
        {
          plugin: manifest.name,
          details: { dependency: name, range },
        },
      );
    }
    const installed = installedVersions(name);
    if (!installed.some((version) => semver.satisfies(version, range))) missing.push({ name, range, installed });
  }
  if (missing.length === 0) return;
  const listed = missing.map(
    ({ name, range, installed }) =>
      `${name}@${range} (${installed.length === 0 ? 'not installed' : `installed: ${installed.join(', ')}`})`,
  );
  throw new KernelError('KRN_ERR_DEPENDENCY_MISSING', `needs ${listed.join(', ')}`, {
    plugin: manifest.name,
    details: { dependency: missing[0]!.name, range: missing[0]!.range, installed: missing[0]!.installed, missing },
  });
}
