import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createIgnoreMatcher } from './ignore.js';

/** Where the extra files of a bundle come from, besides plugin.json and the `main` bundle. */
const DIR_PATTERNS: { dir: string; recursive: boolean; accept: (name: string) => boolean }[] = [
  { dir: 'assets', recursive: true, accept: () => true },
  { dir: 'docs', recursive: false, accept: (name) => name.endsWith('.md') },
];

async function walk(root: string, rel: string, recursive: boolean, out: string[]): Promise<void> {
  const entries = await readdir(join(root, rel), { withFileTypes: true });
  for (const entry of entries) {
    const childRel = `${rel}/${entry.name}`;
    // Follow links so their content is packed as plain files: the kernel refuses link entries.
    const kind = entry.isSymbolicLink() ? await stat(join(root, childRel)) : entry;
    if (kind.isDirectory()) {
      if (recursive) await walk(root, childRel, recursive, out);
    } else if (kind.isFile()) {
      out.push(childRel);
    }
  }
}

/**
 * The relative paths (with `/`) of the files to pack besides plugin.json: the `main` bundle,
 * `assets/**`, `docs/*.md` and `README.md`, minus what `.spindleignore` and the fixed excludes
 * drop. The bundle itself is always packed. Sorted, so ZIPs are stable.
 */
export async function collectBundleFiles(dir: string, main: string): Promise<string[]> {
  const ignoreFile = join(dir, '.spindleignore');
  const ignoreText = existsSync(ignoreFile) ? await readFile(ignoreFile, 'utf8') : '';
  const ignored = createIgnoreMatcher(ignoreText);
  const candidates: string[] = [];
  for (const pattern of DIR_PATTERNS) {
    if (!existsSync(join(dir, pattern.dir))) continue;
    const found: string[] = [];
    await walk(dir, pattern.dir, pattern.recursive, found);
    candidates.push(...found.filter((rel) => pattern.accept(rel.slice(rel.lastIndexOf('/') + 1))));
  }
  if (existsSync(join(dir, 'README.md'))) candidates.push('README.md');
  const kept = new Set(candidates.filter((rel) => rel !== 'plugin.json' && !ignored(rel)));
  kept.add(main);
  return [...kept].sort();
}
