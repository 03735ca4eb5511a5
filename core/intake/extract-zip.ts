import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KernelError } from '../errors/kernel-error.js';
import type { InspectedEntry } from './inspect-zip.js';
import { readEntryData } from './read-entry-data.js';

/** Modes every extracted directory and file gets, whatever the archive said (no setuid, no exec). */
export const DIR_MODE = 0o755;
export const FILE_MODE = 0o644;

/** A fresh, private `<home>/staging/<random>` directory. Same file system as `<home>/plugins`. */
export async function createStagingDir(home: string): Promise<string> {
  const root = path.join(home, 'staging');
  await mkdir(root, { recursive: true, mode: DIR_MODE });
  return mkdtemp(path.join(root, 'install-'));
}

/**
 * Writes inspected entries into `dir` (fresh and empty), each held to its declared
 * size. Our own loop rather than adm-zip's extractAllTo, which rewrites `..` instead of refusing it
 * and keeps the archive's modes. Files are created exclusively (`wx`), so nothing is overwritten
 * or followed.
 */
export async function extractZip(entries: readonly InspectedEntry[], dir: string): Promise<void> {
  const root = path.resolve(dir);
  const made = new Set<string>();
  const files: { target: string; item: InspectedEntry }[] = [];
  // Directories first, in order (parents before children); then files, several at a time.
  for (const item of entries) {
    const target = insideRoot(root, item);
    const segments = item.path.split('/');
    await makeDirs(root, item.isDirectory ? segments : segments.slice(0, -1), made);
    if (!item.isDirectory) files.push({ target, item });
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const { target, item } = files[next++]!;
      const data = readEntryData(item);
      await writeFile(target, data, { mode: FILE_MODE, flag: 'wx' });
      // The create mode is filtered by the umask; chmod makes the result exact.
      await chmod(target, FILE_MODE);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, files.length) }, worker));
}

/** Files written at once: enough to hide the per-file latency of the disk, few enough for fds. */
const WRITE_CONCURRENCY = 16;

async function makeDirs(root: string, segments: readonly string[], made: Set<string>): Promise<void> {
  let current = root;
  for (const segment of segments) {
    current = path.join(current, segment);
    if (made.has(current)) continue;
    await mkdir(current, { mode: DIR_MODE });
    await chmod(current, DIR_MODE);
    made.add(current);
  }
}

// Names were checked by inspectZip; this is the belt to those braces.
function insideRoot(root: string, item: InspectedEntry): string {
  const target = path.resolve(root, item.path);
  const relative = path.relative(root, target);
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new KernelError(
      'KRN_ERR_ZIP_UNSAFE_ENTRY',
      `ZIP entry ${JSON.stringify(item.name)} resolves outside the bundle`,
      {
        details: { entry: item.name },
      },
    );
  }
  return target;
}
