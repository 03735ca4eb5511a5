/**
 * Path confinement: every file operation goes through `confinePath`, so no path a caller gives
 * (nor a symlink a job left in its volume) reaches outside the volume's data directory.
 */
import { constants } from 'node:fs';
import { type FileHandle, lstat, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { VolumeError } from 'spindle/plugin-sdk';
import { errorCode, isMissing } from './error-code.js';

/** A confined path: `rel` as the caller sees it (`a/b.txt`, '' for the root), `abs` on the host. */
export interface VolumePath {
  rel: string;
  abs: string;
}

const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 4096;

/**
 * `a/b.txt` from what a caller gave: a leading `/`, empty and `.` segments are dropped; `..`,
 * backslashes, NUL bytes and over-long names are refused with `VolumeError('invalid-path')`.
 * Returns '' for the volume root.
 */
export function normalizeVolumePath(raw: string): string {
  const refuse = (why: string): never => {
    throw new VolumeError('invalid-path', `path ${JSON.stringify(raw)} ${why}`);
  };
  if (typeof raw !== 'string') refuse('is not a string');
  if (raw.includes('\0')) refuse('contains a NUL byte');
  if (raw.includes('\\')) refuse('contains a backslash (separate directories with /)');
  if (Buffer.byteLength(raw) > MAX_PATH_BYTES) refuse(`is longer than ${MAX_PATH_BYTES} bytes`);
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) refuse('has a .. segment (paths stay inside the volume)');
  if (segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES))
    refuse(`has a name longer than ${MAX_SEGMENT_BYTES} bytes`);
  return segments.join('/');
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root + path.sep);
}

/** The deepest of `abs` and its ancestors (up to `stop`) that exists, without following its last component. */
async function deepestExisting(abs: string, stop: string): Promise<string> {
  let probe = abs;
  while (probe !== stop) {
    try {
      await lstat(probe);
      return probe;
    } catch (error) {
      // ELOOP: a symlink loop on the way; the walk up reaches it and realpath refuses it.
      if (!isMissing(error) && errorCode(error) !== 'ELOOP') throw error;
      probe = path.dirname(probe);
    }
  }
  return stop;
}

export interface ConfineOptions {
  /** The volume root ('' or '/') is acceptable (listing, mkdir); not for writes to one entry. */
  allowRoot?: boolean;
  /**
   * Whether the operation follows the last component if it is a symlink (listing a directory,
   * mkdir, reading). When false (delete, rename, overwrite: they act on the link itself) only the
   * parent directory is checked, so a link pointing outside can still be removed.
   */
  followLast: boolean;
}

/**
 * Normalise `raw` and make sure it stays inside `dataDir`: the deepest existing ancestor (or the
 * path itself) must resolve, symlinks followed, to a place inside realpath(dataDir). A symlink
 * pointing outside, or at nothing, on the way is refused with `VolumeError('invalid-path')`.
 *
 * This is a check before use: a directory swapped for a symlink between check and use is not
 * caught here (readers narrow it with `openNoFollow` on the last component; see docs/usage.md).
 */
export async function confinePath(dataDir: string, raw: string, options: ConfineOptions): Promise<VolumePath> {
  const rel = normalizeVolumePath(raw);
  if (rel === '' && !options.allowRoot)
    throw new VolumeError(
      'invalid-path',
      `path ${JSON.stringify(raw)} is the volume root; name a file or directory in it`,
    );
  const abs = rel === '' ? dataDir : path.join(dataDir, ...rel.split('/'));
  const root = await realpath(dataDir);
  const checked = options.followLast || rel === '' ? abs : path.dirname(abs);
  const existing = await deepestExisting(checked, dataDir);
  let real: string;
  try {
    real = await realpath(existing);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ELOOP') throw error;
    const what = errorCode(error) === 'ELOOP' ? 'a loop of symlinks' : 'a symlink that points at nothing';
    throw new VolumeError(
      'invalid-path',
      `path ${JSON.stringify(rel)} leads through ${JSON.stringify(await firstSymlink(dataDir, existing))}, ${what}`,
    );
  }
  if (!isInside(root, real)) {
    throw new VolumeError(
      'invalid-path',
      `path ${JSON.stringify(rel)} leads outside the volume through the symlink ${JSON.stringify(await firstSymlink(dataDir, existing))}`,
    );
  }
  return { rel, abs };
}

function relativeTo(dataDir: string, abs: string): string {
  return path.relative(dataDir, abs).split(path.sep).join('/');
}

/** For the message: the first component of `abs` (below `dataDir`) that is a symlink. */
async function firstSymlink(dataDir: string, abs: string): Promise<string> {
  const parts = relativeTo(dataDir, abs).split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    const stat = await lstat(path.join(dataDir, prefix)).catch(() => undefined);
    if (stat?.isSymbolicLink()) return prefix;
  }
  return relativeTo(dataDir, abs);
}

/**
 * Open a file for reading without following a symlink at its last component (`ELOOP` then), and
 * without blocking on a FIFO. The caller checks with `stat()` that it opened a regular file.
 */
export function openNoFollow(abs: string): Promise<FileHandle> {
  return open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
}
