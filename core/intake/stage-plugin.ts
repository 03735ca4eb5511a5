import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { describeError, KernelError } from '../errors/kernel-error.js';
import { validateManifest } from '../manifest/validate-manifest.js';
import { checkCompat } from './check-compat.js';
import { createStagingDir, DIR_MODE, extractZip } from './extract-zip.js';
import { type InspectedEntry, inspectZip } from './inspect-zip.js';
import { verifyFiles } from './verify-files.js';
import type { ZipLimits } from './zip-limits.js';

export interface StageOptions {
  /** The kernel home; staging happens in `<home>/staging/`. */
  home: string;
  limits: ZipLimits;
  /** Versions of plugin `name` installed in this kernel, for `dependsOn`. */
  installedVersions(name: string): string[];
}

export interface StagedPlugin {
  manifest: PluginManifest;
  /** The extracted, verified bundle, ready for `commitStaged`. */
  stagingDir: string;
  /** sha256 (hex) of the ZIP as received. */
  sha256: string;
}

/**
 * The intake pipeline up to, not including, installation: inspect the ZIP without inflating it →
 * extract to a fresh staging dir → read and validate plugin.json → verify `files` → check
 * engines, isolation, main and dependsOn. On any failure the staging dir is removed before the
 * error is rethrown, so a refused bundle leaves nothing behind.
 */
export async function stagePlugin(zip: Buffer, options: StageOptions): Promise<StagedPlugin> {
  const sha256 = createHash('sha256').update(zip).digest('hex');
  const entries = inspectZip(zip, options.limits);
  const stagingDir = await createStagingDir(options.home);
  try {
    await extractZip(entries, stagingDir);
    const manifest = await readManifest(stagingDir, entries);
    if (manifest.files) await verifyFiles(stagingDir, manifest.files, manifest.name);
    await checkCompat(manifest, stagingDir, { installedVersions: options.installedVersions });
    return { manifest, stagingDir, sha256 };
  } catch (error) {
    await rm(stagingDir, { recursive: true, force: true });
    throw error;
  }
}

async function readManifest(dir: string, entries: readonly InspectedEntry[]): Promise<PluginManifest> {
  const root = entries.find((item) => item.path === 'plugin.json');
  if (!root || root.isDirectory) {
    const nested = entries.find((item) => !item.isDirectory && item.path.endsWith('/plugin.json'));
    const tip = nested ? ` (found ${JSON.stringify(nested.path)}: zip the folder's contents, not the folder)` : '';
    throw new KernelError('KRN_ERR_MANIFEST_MISSING', `the bundle has no plugin.json at its root${tip}`);
  }
  // A BOM is harmless noise some editors add; JSON.parse refuses it.
  const text = (await readFile(path.join(dir, 'plugin.json'), 'utf8')).replace(/^\uFEFF/, '');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new KernelError('KRN_ERR_MANIFEST_INVALID', `plugin.json is not valid JSON (${describeError(error)})`, {
      cause: error,
    });
  }
  return validateManifest(data, nameHint(data));
}

function nameHint(data: unknown): string | undefined {
  const name = (data as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^[a-z0-9-]{1,64}$/.test(name) ? name : undefined;
}

/**
 * Moves a staged bundle to `<home>/plugins/<name>/<version>/` with one rename (atomic: the
 * version dir is either absent or complete). Refuses KRN_ERR_ALREADY_INSTALLED when that version
 * is there. On failure the staging dir is removed. Two installs of the same name@version must not
 * race here: callers serialise installs.
 */
export async function commitStaged(stagingDir: string, home: string, manifest: PluginManifest): Promise<string> {
  assertStagingDir(stagingDir, home);
  const parent = path.join(home, 'plugins', manifest.name);
  const target = path.join(parent, manifest.version);
  try {
    assertSegment(manifest.name, 'name', manifest.name);
    assertSegment(manifest.version, 'version', manifest.name);
    await mkdir(parent, { recursive: true, mode: DIR_MODE });
    // rename() would silently replace an existing *empty* directory, so look first.
    if (await exists(target)) throw alreadyInstalled(manifest);
    await chmod(stagingDir, DIR_MODE);
    await rename(stagingDir, target);
    return target;
  } catch (error) {
    await rm(stagingDir, { recursive: true, force: true });
    await rmdir(parent).catch(() => undefined); // only succeeds when we left it empty
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw alreadyInstalled(manifest, error);
    throw error;
  }
}

function alreadyInstalled(manifest: PluginManifest, cause?: unknown): KernelError {
  return new KernelError('KRN_ERR_ALREADY_INSTALLED', `version ${manifest.version} is already installed`, {
    plugin: manifest.name,
    details: { version: manifest.version },
    cause,
  });
}

function assertStagingDir(stagingDir: string, home: string): void {
  const relative = path.relative(path.resolve(home, 'staging'), path.resolve(stagingDir));
  if (relative === '' || relative.includes(path.sep) || relative.startsWith('..') || path.isAbsolute(relative)) {
    // Not ours to remove: a caller bug, not a bad bundle.
    throw new KernelError(
      'KRN_ERR_INTERNAL',
      `commitStaged was given ${stagingDir}, which is not a staging dir of ${home}`,
    );
  }
}

function assertSegment(value: string, field: string, plugin: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what this refuses
  if (value === '' || value === '.' || value === '..' || /[/\\\u0000]/.test(value)) {
    throw new KernelError(
      'KRN_ERR_MANIFEST_INVALID',
      `${field} ${JSON.stringify(value)} cannot be used as a directory name`,
      { plugin },
    );
  }
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/**
 * Removes whatever is left in `<home>/staging/` — installs cut short by a crash or SIGKILL.
 * Called at kernel start, before any install can run. Returns the names removed.
 */
export async function cleanStaging(home: string): Promise<string[]> {
  const root = path.join(home, 'staging');
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  for (const name of names) await rm(path.join(root, name), { recursive: true, force: true });
  return names;
}
