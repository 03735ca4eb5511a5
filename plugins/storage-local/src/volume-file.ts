import type { Stats } from 'node:fs';
import type { VolumeFile } from 'spindle/plugin-sdk';

/** A directory entry as the contract reports it: symlinks as symlinks (never followed), directories with size 0. */
export function toVolumeFile(rel: string, stat: Stats): VolumeFile {
  const type = stat.isSymbolicLink() ? 'symlink' : stat.isDirectory() ? 'directory' : 'file';
  return { path: rel, type, size: type === 'directory' ? 0 : stat.size, modifiedAt: stat.mtime.toISOString() };
}
