/**
 * `spindle plugin bundle`: turns a plugin directory into the ZIP the kernel installs
 * (DESIGN.md §2): plugin.json with a `files` hash map, one CommonJS bundle, assets and docs.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';
import { build, type Message, type Plugin } from 'esbuild';
import type { PluginManifest } from '../manifest.js';
import { collectBundleFiles } from './collect-files.js';
import { BundleError, readPluginJson } from './read-manifest.js';

export interface BundleOptions {
  /** Directory the ZIP is written to; default `<dir>/dist`. */
  outDir?: string;
  /** ZIP file name; default `<name>-<version>.zip`. */
  outFilename?: string;
  /**
   * Where the built `main` is written before it is packed; default the plugin directory itself
   * (`<dir>/dist/index.cjs`). Give another to leave the plugin directory untouched.
   */
  buildDir?: string;
}

export interface BundleResult {
  zipPath: string;
  /** The manifest as written into the ZIP, with its `files` map. */
  manifest: PluginManifest;
  /** Number of entries in the ZIP, plugin.json included. */
  files: number;
  /** Size of the ZIP in bytes. */
  bytes: number;
}

/** Never bundled: the kernel provides them, and a second copy would split hook and DI state. */
export const KERNEL_EXTERNALS = ['tapable', 'tsyringe'];

const ENTRY_CANDIDATES = ['src/index.ts', 'src/index.js', 'index.ts', 'index.js'];

/** A fixed entry time keeps ZIPs of unchanged inputs byte-identical. */
const ZIP_ENTRY_TIME = new Date(2000, 0, 1);

export function findEntry(dir: string): string {
  const found = ENTRY_CANDIDATES.find((rel) => existsSync(join(dir, rel)));
  if (!found) {
    throw new BundleError(`no plugin entry in ${dir}: looked for ${ENTRY_CANDIDATES.join(', ')}`);
  }
  return join(dir, found);
}

/** The SDK entries a plugin may import, by subpath of `spindle/plugin-sdk` (testing is for tests only). */
export const SDK_ENTRIES = ['', '/scheduling', '/targets', '/files', '/sandbox'] as const;

/** The SDK entry plugins import as `spindle/plugin-sdk<subpath>`: the .ts source under vitest, the .js in build/. */
export function resolveSdkEntry(subpath: (typeof SDK_ENTRIES)[number] = ''): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [`..${subpath}/index.ts`, `..${subpath}/index.js`]) {
    const path = resolve(here, candidate);
    if (existsSync(path)) return path;
  }
  throw new BundleError(
    `cannot find the plugin SDK entry spindle/plugin-sdk${subpath} next to ${here} (is the kernel built?)`,
  );
}

/** Resolves `spindle/plugin-sdk` and its subpaths to this kernel's SDK, wherever the plugin lives. */
const sdkResolver: Plugin = {
  name: 'spindle-sdk',
  setup(build) {
    build.onResolve({ filter: /^spindle\/plugin-sdk(\/.*)?$/ }, (args) => {
      const subpath = args.path.slice('spindle/plugin-sdk'.length);
      if (!(SDK_ENTRIES as readonly string[]).includes(subpath)) {
        return {
          errors: [
            {
              text: `${args.path} is not a plugin SDK entry a plugin can bundle (there are: ${SDK_ENTRIES.map((e) => `spindle/plugin-sdk${e}`).join(', ')})`,
            },
          ],
        };
      }
      return { path: resolveSdkEntry(subpath as (typeof SDK_ENTRIES)[number]) };
    });
  },
};

function formatMessages(messages: Message[]): string {
  return messages
    .slice(0, 5)
    .map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text))
    .join('; ');
}

async function buildBundle(dir: string, entry: string, outfile: string): Promise<void> {
  try {
    await build({
      absWorkingDir: dir,
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: [...KERNEL_EXTERNALS, ...builtinModules, 'node:*'],
      plugins: [sdkResolver],
      logLevel: 'silent',
      write: true,
    });
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    const detail = errors?.length ? formatMessages(errors) : (error as Error).message;
    throw new BundleError(`esbuild failed for ${entry}: ${detail}`, { cause: error });
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function addEntry(zip: AdmZip, name: string, data: Buffer): void {
  const entry = zip.addFile(name, data);
  entry.header.time = ZIP_ENTRY_TIME;
}

/** Bundles the plugin in `dir` and writes its installable ZIP. */
export async function bundlePlugin(dir: string, options: BundleOptions = {}): Promise<BundleResult> {
  const root = resolve(dir);
  const source = await readPluginJson(root);
  const entry = findEntry(root);
  const built = join(resolve(options.buildDir ?? root), source.main);
  await buildBundle(root, entry, built);

  const paths = await collectBundleFiles(root, source.main);
  const zip = new AdmZip();
  const files: Record<string, string> = {};
  for (const rel of paths) {
    const data = await readFile(rel === source.main ? built : join(root, rel));
    files[rel] = sha256(data);
    addEntry(zip, rel, data);
  }
  const manifest: PluginManifest = { ...source, files };
  addEntry(zip, 'plugin.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));

  const outDir = resolve(options.outDir ?? join(root, 'dist'));
  const zipPath = join(outDir, options.outFilename ?? `${manifest.name}-${manifest.version}.zip`);
  const buffer = zip.toBuffer();
  await mkdir(outDir, { recursive: true });
  await writeFile(zipPath, buffer);
  return { zipPath, manifest, files: paths.length + 1, bytes: buffer.length };
}
