import { describeError, KernelError } from '../errors/kernel-error.js';
import type { InspectedEntry } from './inspect-zip.js';
import { formatBytes } from './zip-limits.js';

/**
 * Inflates one inspected entry and holds it to the size its header declared: the header is what
 * the limits were checked against, so an entry whose data inflates to more (a lying header) is
 * refused. adm-zip caps inflation at the declared size, which surfaces as ERR_BUFFER_TOO_LARGE.
 */
export function readEntryData(item: InspectedEntry): Buffer {
  let data: Buffer;
  try {
    data = item.entry.getData();
  } catch (error) {
    if (isOutputCapError(error)) throw lyingSize(item);
    // adm-zip leaves unfilled `{0}` placeholders in some of its messages.
    const reason = describeError(error)
      .replace(/^ADM-ZIP: /, '')
      .replace(/\s*\{\d\}/g, '');
    throw new KernelError(
      'KRN_ERR_ZIP_INVALID',
      `ZIP entry ${JSON.stringify(item.name)} could not be inflated (${reason})`,
      {
        details: { entry: item.name },
        cause: error,
      },
    );
  }
  if (data.length > item.size) throw lyingSize(item);
  if (data.length < item.size) {
    throw new KernelError(
      'KRN_ERR_ZIP_INVALID',
      `ZIP entry ${JSON.stringify(item.name)} inflates to ${formatBytes(data.length)}, less than the ${formatBytes(item.size)} its header declares`,
      { details: { entry: item.name, declared: item.size, actual: data.length } },
    );
  }
  return data;
}

function isOutputCapError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_BUFFER_TOO_LARGE' || /exceeds the declared uncompressed size/.test(describeError(error));
}

function lyingSize(item: InspectedEntry): KernelError {
  return new KernelError(
    'KRN_ERR_ZIP_TOO_LARGE',
    `ZIP entry ${JSON.stringify(item.name)} inflates to more than the ${formatBytes(item.size)} its header declares`,
    { details: { entry: item.name, declared: item.size } },
  );
}
