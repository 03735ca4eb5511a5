import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KernelError } from '../errors/kernel-error.js';
import { fetchZip } from './fetch-zip.js';

/** Where a plugin ZIP comes from. */
export type InstallSource =
  | { kind: 'upload'; data: Buffer; filename?: string }
  | { kind: 'path'; path: string }
  | { kind: 'url'; url: string }
  /** A file in the drop-in dir; `data` when the watcher has read it already. */
  | { kind: 'drop-in'; file: string; data?: Buffer };

/**
 * The ZIP's bytes and the label its version records as `source` (a URL without credentials).
 * Runs before the lifecycle queue, so a slow download never holds up other plugin changes.
 */
export async function readInstallSource(
  source: InstallSource,
  limits: { maxZipBytes: number },
): Promise<{ zip: Buffer; label: string }> {
  switch (source.kind) {
    case 'upload':
      return { zip: source.data, label: source.filename ? `upload:${source.filename}` : 'upload' };
    case 'path':
      return { zip: await readZipFile(source.path), label: `path:${source.path}` };
    case 'drop-in':
      return { zip: source.data ?? (await readZipFile(source.file)), label: `drop-in:${path.basename(source.file)}` };
    case 'url':
      return {
        zip: await fetchZip(source.url, { maxBytes: limits.maxZipBytes }),
        label: `url:${withoutCredentials(source.url)}`,
      };
  }
}

async function readZipFile(file: string): Promise<Buffer> {
  return readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new KernelError('KRN_ERR_BAD_REQUEST', `cannot read ${file}: ${error.code ?? error.message}`);
  });
}

/** A URL as it may be stored and logged: without user name or password. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}
