import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { KernelError } from '../errors/kernel-error.js';
import { unsafePathReason } from './unsafe-path-reason.js';

export interface FileMismatch {
  file: string;
  expected: string;
  /** The sha256 found, or null when the file is missing or not a regular file. */
  actual: string | null;
}

/**
 * Checks the manifest's `files` map (bundle path → sha256 hex) against the extracted tree in
 * `dir`. Every listed path must be a safe relative path (KRN_ERR_MANIFEST_INVALID otherwise) and
 * every listed file must exist with that hash; all mismatches are reported together
 * (KRN_ERR_HASH_MISMATCH). Files not listed are not checked.
 */
export async function verifyFiles(
  dir: string,
  files: Readonly<Record<string, string>>,
  plugin?: string,
): Promise<void> {
  const subject = plugin ? { plugin } : {};
  for (const file of Object.keys(files)) {
    const reason = unsafePathReason(file);
    if (reason) {
      throw new KernelError('KRN_ERR_MANIFEST_INVALID', `"files" lists ${JSON.stringify(file)}, which ${reason}`, {
        ...subject,
        details: { file },
      });
    }
  }
  const mismatches: FileMismatch[] = [];
  for (const [file, expected] of Object.entries(files)) {
    const actual = await hashFile(path.join(dir, file));
    if (actual !== expected.toLowerCase()) mismatches.push({ file, expected, actual });
  }
  if (mismatches.length === 0) return;
  const listed = mismatches.map(({ file, expected, actual }) =>
    actual === null
      ? `${JSON.stringify(file)} is listed in "files" but is not a file in the bundle`
      : `${JSON.stringify(file)} has sha256 ${actual}, but "files" says ${expected}`,
  );
  throw new KernelError('KRN_ERR_HASH_MISMATCH', listed.join('; '), {
    ...subject,
    details: { file: mismatches[0]!.file, mismatches },
  });
}

async function hashFile(file: string): Promise<string | null> {
  try {
    if (!(await lstat(file)).isFile()) return null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR')
      return null;
    throw error;
  }
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}
