import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Names of upload temp files in a volume (visible in listings while an upload is placed). */
export const UPLOAD_TEMP_PREFIX = '.spindle-upload-';

/**
 * Move `source` to `target` (replacing it), so that a reader sees the old file or the whole new
 * one, never half of it: the file goes to a temp name beside `target` first (a rename, or a copy
 * when `source` is on another filesystem), then is renamed over `target`. On success `source` is
 * gone; on failure it is left where it was and no temp file remains. The file ends up 0644, as a
 * job's own files are: the volume's folder keeps others out, and a job that mounts the volume,
 * which may run as a user of its own (infra-local confined), must be able to read it.
 */
export async function placeFile(source: string, target: string): Promise<void> {
  const temp = path.join(path.dirname(target), `${UPLOAD_TEMP_PREFIX}${randomUUID()}`);
  let copied = false;
  try {
    await rename(source, temp);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    copied = true;
    await copyFile(source, temp, constants.COPYFILE_EXCL).catch(async (copyError: unknown) => {
      await rm(temp, { force: true });
      throw copyError;
    });
  }
  try {
    await chmod(temp, 0o644);
    await rename(temp, target);
  } catch (error) {
    if (copied) await rm(temp, { force: true });
    else await rename(temp, source).catch(() => rm(temp, { force: true }));
    throw error;
  }
  if (copied) await rm(source, { force: true });
}
