import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readlink, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';

export interface CopyTreeOptions {
  /** Refuse to copy onto anything that exists (the target directory itself included). */
  errorOnExist?: boolean;
  /** Keep each file's access and modification times. */
  preserveTimestamps?: boolean;
}

/**
 * Copy the directory `from` to `to`: files, directories and symbolic links (as links, with their
 * target text unchanged: never followed). Devices, FIFOs and sockets are left out. Unlike
 * `fs.cp`, it touches nothing above `to`, so it also works in an isolated plugin (Node's
 * permission model lets it see only its granted paths). Node 20's permission model does not let
 * an isolated plugin create links; copying a tree that has one then fails, saying which.
 */
export async function copyTree(from: string, to: string, options: CopyTreeOptions = {}): Promise<void> {
  await mkdir(to, { recursive: !options.errorOnExist });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      await copyTree(source, target, options);
    } else if (entry.isFile()) {
      await copyFile(source, target, options.errorOnExist ? constants.COPYFILE_EXCL : 0);
    } else if (entry.isSymbolicLink()) {
      const link = await readlink(source);
      try {
        await symlink(link, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_ACCESS_DENIED') throw error;
        throw new Error(
          `cannot copy the symbolic link ${source}: this plugin runs isolated, and Node's permission model forbids creating links`,
          { cause: error },
        );
      }
      continue;
    } else {
      continue;
    }
    if (options.preserveTimestamps) {
      const stat = await lstat(source);
      await utimes(target, stat.atime, stat.mtime);
    }
  }
}
