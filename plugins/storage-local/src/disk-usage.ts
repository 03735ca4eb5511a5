import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isMissing } from './error-code.js';

/**
 * Bytes of the regular files under `dir` (apparent sizes, as `ls -l` shows them). Symlinks are
 * not followed and count nothing; entries that vanish while the walk runs are skipped.
 */
export async function diskUsage(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return 0;
    throw error;
  }
  let total = 0;
  for (const entry of entries) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await diskUsage(child);
    else if (entry.isFile())
      total += await lstat(child).then(
        (s) => s.size,
        (error: unknown) => (isMissing(error) ? 0 : Promise.reject(error)),
      );
  }
  return total;
}
