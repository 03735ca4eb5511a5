import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PluginManifest } from '../manifest.js';

/** A bundling failure; the message says what is wrong and where. */
export class BundleError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BundleError';
  }
}

/**
 * Reads `<dir>/plugin.json` with light checks only (name, version, main): the kernel validates the
 * full schema at install, and duplicating that here would let the two drift apart.
 */
export async function readPluginJson(dir: string): Promise<PluginManifest> {
  const file = join(dir, 'plugin.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      if (!existsSync(dir)) throw new BundleError(`plugin directory ${dir} does not exist`);
      throw new BundleError(`no plugin.json in ${dir}; a plugin directory needs one (see docs/reference/manifest.md)`);
    }
    throw new BundleError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BundleError(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BundleError(`${file} must contain a JSON object`);
  }
  const manifest = parsed as Record<string, unknown>;
  for (const field of ['name', 'version', 'main'] as const) {
    if (typeof manifest[field] !== 'string' || manifest[field] === '') {
      throw new BundleError(`${file}: "${field}" is missing or not a non-empty string`);
    }
  }
  checkMain(file, manifest.main as string);
  return manifest as unknown as PluginManifest;
}

function checkMain(file: string, main: string): void {
  const parts = main.split('/');
  if (main.startsWith('/') || main.includes('\\') || parts.includes('..') || parts.includes('.')) {
    throw new BundleError(
      `${file}: "main" must be a plain relative path like dist/index.cjs, got ${JSON.stringify(main)}`,
    );
  }
  if (!/\.c?js$/.test(main)) {
    throw new BundleError(
      `${file}: "main" must end in .cjs or .js (it names the CommonJS bundle), got ${JSON.stringify(main)}`,
    );
  }
}
