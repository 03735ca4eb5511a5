import AdmZip from 'adm-zip';
import type { ErrorCode } from '../errors/catalogue.js';
import { describeError, KernelError } from '../errors/kernel-error.js';
import { unsafePathReason } from './unsafe-path-reason.js';
import { formatBytes, type ZipLimits } from './zip-limits.js';

/** One entry that passed inspection; `entry` is inflated later, by `readEntryData` only. */
export interface InspectedEntry {
  /** The name exactly as stored in the archive. */
  name: string;
  /** The path inside the bundle: `name` without a directory's trailing slash. */
  path: string;
  isDirectory: boolean;
  /** Declared uncompressed size, from the central directory. */
  size: number;
  entry: AdmZip.IZipEntry;
}

// Tiny entries compress absurdly well (a 100-byte run of spaces), so ratios only count above these.
const RATIO_MIN_ENTRY_BYTES = 4 * 1024;
const RATIO_MIN_TOTAL_BYTES = 1024 * 1024;
const LOCAL_HEADER_BYTES = 30;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const REFUSED_TYPES: Readonly<Record<number, string>> = {
  0o120000: 'a symbolic link',
  0o020000: 'a character device',
  0o060000: 'a block device',
  0o010000: 'a FIFO (named pipe)',
  0o140000: 'a socket',
};

function refuse(code: ErrorCode, name: string, what: string, details: Record<string, unknown> = {}): KernelError {
  return new KernelError(code, `ZIP entry ${JSON.stringify(name)} ${what}`, { details: { entry: name, ...details } });
}

/**
 * Checks a plugin ZIP from its central directory alone — nothing is inflated here — and returns
 * its entries. Refuses (KernelError) anything too big, too compressed, or not a plain relative
 * file or directory; names are never rewritten.
 */
export function inspectZip(zip: Buffer, limits: ZipLimits): InspectedEntry[] {
  if (zip.length > limits.maxZipBytes) {
    throw new KernelError(
      'KRN_ERR_ZIP_TOO_LARGE',
      `the ZIP is ${formatBytes(zip.length)}, over the limit of ${formatBytes(limits.maxZipBytes)}`,
      { details: { size: zip.length, limit: limits.maxZipBytes } },
    );
  }
  const archive = openArchive(zip);
  // The end-of-central-directory count, read before a single entry header is parsed.
  const count = archive.getEntryCount();
  if (count > limits.maxEntries) {
    throw new KernelError(
      'KRN_ERR_ZIP_TOO_MANY_ENTRIES',
      `the ZIP has ${count} entries, over the limit of ${limits.maxEntries}`,
      {
        details: { entries: count, limit: limits.maxEntries },
      },
    );
  }
  const entries = readEntries(archive).map((entry) => inspectEntry(entry, limits));
  checkCollisions(entries);
  checkTotals(entries, zip.length, limits);
  checkLayout(entries, zip.length);
  return entries;
}

function openArchive(zip: Buffer): AdmZip {
  try {
    return new AdmZip(zip);
  } catch (error) {
    throw new KernelError('KRN_ERR_ZIP_INVALID', `the upload is not a readable ZIP archive (${stripPrefix(error)})`, {
      cause: error,
    });
  }
}

function readEntries(archive: AdmZip): AdmZip.IZipEntry[] {
  try {
    return archive.getEntries();
  } catch (error) {
    // adm-zip refuses duplicate names itself while reading the central directory.
    const duplicate = /^ADM-ZIP: Duplicate entry name "(.*)"$/s.exec(describeError(error));
    if (duplicate?.[1] !== undefined)
      throw refuse('KRN_ERR_ZIP_UNSAFE_ENTRY', duplicate[1], 'appears more than once in the archive');
    throw new KernelError('KRN_ERR_ZIP_INVALID', `the ZIP's central directory is corrupt (${stripPrefix(error)})`, {
      cause: error,
    });
  }
}

function stripPrefix(error: unknown): string {
  return describeError(error).replace(/^ADM-ZIP: /, '');
}

function inspectEntry(entry: AdmZip.IZipEntry, limits: ZipLimits): InspectedEntry {
  const name = entry.entryName;
  const { header } = entry;
  const reason = unsafePathReason(name, { allowDirectory: true });
  if (reason) throw refuse('KRN_ERR_ZIP_UNSAFE_ENTRY', name, reason);
  // Unix mode in the high 16 bits of the external attributes; checked whatever host wrote it.
  const type = (header.attr >>> 16) & S_IFMT;
  const refusedType = REFUSED_TYPES[type];
  if (refusedType)
    throw refuse('KRN_ERR_ZIP_UNSAFE_ENTRY', name, `is ${refusedType}; only plain files and directories are allowed`);
  if (type === S_IFDIR && !entry.isDirectory) {
    throw refuse('KRN_ERR_ZIP_UNSAFE_ENTRY', name, "is marked as a directory but its name does not end with '/'");
  }
  if (header.encrypted) throw refuse('KRN_ERR_ZIP_INVALID', name, 'is encrypted; bundles must not be encrypted');
  if (header.method !== 0 && header.method !== 8) {
    throw refuse(
      'KRN_ERR_ZIP_INVALID',
      name,
      `uses compression method ${header.method}; only stored (0) and deflate (8) are supported`,
    );
  }
  if (entry.isDirectory && header.size > 0) {
    throw refuse('KRN_ERR_ZIP_INVALID', name, 'is a directory entry that carries data');
  }
  if (header.size > limits.maxEntryBytes) {
    throw refuse(
      'KRN_ERR_ZIP_TOO_LARGE',
      name,
      `declares ${formatBytes(header.size)} uncompressed, over the per-entry limit of ${formatBytes(limits.maxEntryBytes)}`,
      { size: header.size, limit: limits.maxEntryBytes },
    );
  }
  if (header.size >= RATIO_MIN_ENTRY_BYTES && header.size > header.compressedSize * limits.maxRatio) {
    throw refuse(
      'KRN_ERR_ZIP_RATIO',
      name,
      `would inflate ${ratioText(header.compressedSize, header.size, limits.maxRatio)}`,
      {
        size: header.size,
        compressedSize: header.compressedSize,
      },
    );
  }
  const path = entry.isDirectory ? name.slice(0, -1) : name;
  return { name, path, isDirectory: entry.isDirectory, size: header.size, entry };
}

function ratioText(compressed: number, size: number, limit: number): string {
  const ratio = compressed === 0 ? 'unbounded' : `${Math.round(size / compressed)}:1`;
  return `${formatBytes(compressed)} to ${formatBytes(size)} (ratio ${ratio}, limit ${limit}:1)`;
}

/**
 * Same path twice (also when differing only by case or Unicode normalisation, which collide on
 * macOS and Windows file systems), or a path below something that is a file.
 */
function checkCollisions(entries: readonly InspectedEntry[]): void {
  const seen = new Map<string, InspectedEntry>();
  for (const item of entries) {
    const key = foldPath(item.path);
    const other = seen.get(key);
    if (other) {
      throw refuse(
        'KRN_ERR_ZIP_UNSAFE_ENTRY',
        item.name,
        `collides with entry ${JSON.stringify(other.name)} (same path, ignoring case)`,
      );
    }
    seen.set(key, item);
  }
  for (const item of entries) {
    const segments = foldPath(item.path).split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = seen.get(segments.slice(0, i).join('/'));
      if (parent && !parent.isDirectory) {
        throw refuse(
          'KRN_ERR_ZIP_UNSAFE_ENTRY',
          item.name,
          `lies inside ${JSON.stringify(parent.name)}, which is a file`,
        );
      }
    }
  }
}

function foldPath(path: string): string {
  return path.normalize('NFC').toLowerCase();
}

function checkTotals(entries: readonly InspectedEntry[], zipBytes: number, limits: ZipLimits): void {
  let total = 0;
  let largest: InspectedEntry | undefined;
  for (const item of entries) {
    total += item.size;
    if (!largest || item.size > largest.size) largest = item;
    if (total > limits.maxTotalBytes) {
      throw refuse(
        'KRN_ERR_ZIP_TOO_LARGE',
        item.name,
        `brings the archive's declared uncompressed total past the limit of ${formatBytes(limits.maxTotalBytes)}`,
        { total, limit: limits.maxTotalBytes },
      );
    }
  }
  if (largest && total >= RATIO_MIN_TOTAL_BYTES && total > zipBytes * limits.maxRatio) {
    throw refuse(
      'KRN_ERR_ZIP_RATIO',
      largest.name,
      `is the largest entry of an archive that would inflate ${ratioText(zipBytes, total, limits.maxRatio)}`,
      { total, zipBytes },
    );
  }
}

/**
 * Entries whose data overlaps another's (the "non-recursive ZIP bomb": many central entries
 * pointing at one compressed blob) or runs past the end of the archive. `LOCAL_HEADER_BYTES` is a
 * lower bound of each local header, so a well-formed archive can never trip this.
 */
function checkLayout(entries: readonly InspectedEntry[], zipBytes: number): void {
  const byOffset = [...entries].sort((a, b) => a.entry.header.offset - b.entry.header.offset);
  for (let i = 0; i < byOffset.length; i++) {
    const item = byOffset[i]!;
    const end = item.entry.header.offset + LOCAL_HEADER_BYTES + item.entry.header.compressedSize;
    if (end > zipBytes) throw refuse('KRN_ERR_ZIP_INVALID', item.name, 'points past the end of the archive');
    const next = byOffset[i + 1];
    if (next && next.entry.header.offset < end) {
      throw refuse(
        'KRN_ERR_ZIP_RATIO',
        next.name,
        `overlaps the compressed data of entry ${JSON.stringify(item.name)} (entries sharing data are a ZIP bomb technique)`,
      );
    }
  }
}
