import os from 'node:os';
import path from 'node:path';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { KernelError } from '../errors/kernel-error.js';

/** Where the placeholders of `permissions` point, for one plugin in one kernel. */
export interface PermissionPlaces {
  dataDir: string;
  /** `$JOBS`: `<home>/jobs`. */
  jobs: string;
  /** `$TRANSFER`: `<home>/transfer`. */
  transfer: string;
}

/** A manifest's `permissions` with every placeholder resolved: what the kernel grants and shows. */
export interface ResolvedPermissions {
  childProcess: boolean;
  workers: boolean;
  network: boolean;
  /** Absolute paths, read (besides the bundle and the data directory). */
  fsRead: string[];
  /** Absolute paths, read and write (besides the data directory). */
  fsWrite: string[];
  memoryMb: number | undefined;
  /** Credential headers (lower-case) and cookie names auth taps may see. */
  headers: string[];
  cookies: string[];
}

/** Headers that carry credentials: an auth tap sees one only when it names it in `permissions.request.headers`. */
export const CREDENTIAL_REQUEST_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'x-spindle-auth',
  'cookie',
  'x-api-key',
];

function expand(
  text: string,
  manifest: PluginManifest,
  config: Record<string, unknown>,
  places: PermissionPlaces,
): string | undefined {
  let missing = false;
  const out = text
    .replace(/\$\{config\.([A-Za-z0-9_.-]+)\}/g, (_, key: string) => {
      const value = key
        .split('.')
        .reduce<unknown>(
          (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
          config,
        );
      if (typeof value !== 'string' && typeof value !== 'number') {
        missing = true;
        return '';
      }
      return String(value);
    })
    .replace(
      /\$(JOBS|TRANSFER|HOME|DATA)\b/g,
      (_, name: string) =>
        ({ JOBS: places.jobs, TRANSFER: places.transfer, HOME: os.homedir(), DATA: places.dataDir })[name]!,
    );
  if (missing) return undefined;
  if (out.includes('$'))
    throw new KernelError(
      'KRN_ERR_MANIFEST_INVALID',
      `permissions: "${text}" has an unknown placeholder (use $JOBS, $TRANSFER, $HOME, $DATA or \${config.<key>})`,
      { plugin: manifest.name },
    );
  return out;
}

/** Resolve `manifest.permissions` for `config`; a `${config.x}` that is unset drops the entry. */
export function resolvePermissions(
  manifest: PluginManifest,
  config: Record<string, unknown>,
  places: PermissionPlaces,
): ResolvedPermissions {
  const declared = manifest.permissions ?? {};
  const paths = (list: string[] | undefined) =>
    (list ?? [])
      .map((p) => expand(p, manifest, config, places))
      .filter((p): p is string => p !== undefined && p !== '')
      .map((p) => path.resolve(places.dataDir, p));
  const names = (list: string[] | undefined) =>
    (list ?? [])
      .map((n) => expand(n, manifest, config, places))
      .filter((n): n is string => n !== undefined && n !== '');
  return {
    childProcess: declared.childProcess === true,
    workers: declared.workers === true,
    network: declared.network === true,
    fsRead: paths(declared.fsRead),
    fsWrite: paths(declared.fsWrite),
    memoryMb: declared.memoryMb,
    headers: names(declared.request?.headers).map((h) => h.toLowerCase()),
    cookies: names(declared.request?.cookies),
  };
}
