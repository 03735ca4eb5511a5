/** Packs a job directory into the source ZIP `spindle deploy` uploads. */
import { existsSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { createIgnoreMatcher, type IgnoreMatcher } from '../../plugin-sdk/bundler/ignore.js';
import { formatBytes } from './format.js';
import { CliError } from './io.js';

/** Never packed, whatever `.spindleignore` says: VCS data, dependencies, caches, build output. */
export const JOB_ALWAYS_IGNORED = ['.git/', 'node_modules/', 'venv/', '.venv/', '__pycache__/', 'dist/', '*.pyc'];

/** The kernel's default upload and ZIP limit. */
export const MAX_SOURCE_BYTES = 64 * 1024 * 1024;

export interface PackOptions {
  /** Absolute paths never to pack, e.g. the secret env file (its values travel apart). */
  exclude?: readonly string[];
  maxBytes?: number;
}

export interface PackedDirectory {
  zip: Buffer;
  /** Relative paths with `/`, sorted. */
  files: string[];
}

interface Walk {
  root: string;
  /** `root` with links resolved: where links must stay inside. */
  realRoot: string;
  ignored: IgnoreMatcher;
  exclude: Set<string>;
  maxBytes: number;
  /** Real paths of the directories entered, so a link back up cannot loop. */
  entered: Set<string>;
  found: { rel: string; file: string; mode: number; size: number }[];
}

export async function packDirectory(dir: string, options: PackOptions = {}): Promise<PackedDirectory> {
  const root = path.resolve(dir);
  const ignoreFile = path.join(root, '.spindleignore');
  const ignoreText = existsSync(ignoreFile) ? await readFile(ignoreFile, 'utf8') : '';
  const walk: Walk = {
    root,
    realRoot: await realpath(root),
    ignored: createIgnoreMatcher(ignoreText, JOB_ALWAYS_IGNORED),
    exclude: new Set((options.exclude ?? []).map((file) => path.resolve(file))),
    maxBytes: options.maxBytes ?? MAX_SOURCE_BYTES,
    entered: new Set(),
    found: [],
  };
  await walkDir(walk, root, '');
  walk.found.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));

  const zip = new AdmZip();
  for (const entry of walk.found) zip.addFile(entry.rel, await readFile(entry.file), '', entry.mode & 0o777);
  const buffer = zip.toBuffer();
  if (buffer.length > walk.maxBytes) {
    const largest = [...walk.found]
      .sort((a, b) => b.size - a.size)
      .slice(0, 3)
      .map((f) => `${f.rel} (${formatBytes(f.size)})`);
    throw new CliError(
      `the job directory ${dir} packs to ${formatBytes(buffer.length)}, over the ${formatBytes(walk.maxBytes)} limit; largest files: ${largest.join(', ')}; list what the job does not need in ${path.join(dir, '.spindleignore')}`,
    );
  }
  return { zip: buffer, files: walk.found.map((f) => f.rel) };
}

async function walkDir(walk: Walk, absDir: string, relDir: string): Promise<void> {
  walk.entered.add(await realpath(absDir));
  const entries = await readdir(absDir, { withFileTypes: true });
  for (const entry of entries) {
    const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
    const abs = path.join(absDir, entry.name);
    if (walk.exclude.has(abs)) continue;
    let info = entry.isSymbolicLink() ? await followLink(walk, abs, rel) : entry;
    if (!info) continue;
    if (info.isDirectory()) {
      // A trailing `/` asks whether the directory itself is ignored: then nothing under it is packed.
      if (walk.ignored(`${rel}/`)) continue;
      if (walk.entered.has(await realpath(abs))) continue;
      await walkDir(walk, abs, rel);
    } else if (info.isFile()) {
      if (walk.ignored(rel)) continue;
      info = await stat(abs);
      if (info.size > walk.maxBytes) {
        throw new CliError(
          `${path.join(walk.root, rel)} is ${formatBytes(info.size)}, over the ${formatBytes(walk.maxBytes)} upload limit; add it to .spindleignore if the job does not need it`,
        );
      }
      walk.found.push({ rel, file: abs, mode: info.mode, size: info.size });
    }
  }
}

/** What a link points at, packed as a plain file or directory; a link out of the job directory is refused. */
async function followLink(walk: Walk, abs: string, rel: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  if (walk.ignored(rel) || walk.ignored(`${rel}/`)) return undefined;
  const target = await realpath(abs).catch(() => {
    throw new CliError(`${rel} in ${walk.root} is a broken symbolic link; remove it or list it in .spindleignore`);
  });
  const inside = path.relative(walk.realRoot, target);
  if (inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    throw new CliError(
      `${rel} in ${walk.root} is a symbolic link to ${target}, outside the job directory; copy what the job needs into it`,
    );
  }
  return stat(target);
}
