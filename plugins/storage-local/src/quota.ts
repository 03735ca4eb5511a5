import { RejectedError, VolumeError } from 'spindle/plugin-sdk';

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `512 bytes`, `2.0 MiB`, `1.5 GiB` (binary units, one decimal), as the CLI writes sizes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** What the operator allows (plugin config). */
export interface QuotaLimits {
  defaultQuotaBytes: number | null;
  maxQuotaBytes: number | null;
}

/**
 * The quota a volume gets when a caller asks for `requested`. For a new volume (create, clone)
 * null means "none given": the configured default, else the maximum. For `setQuota` null means
 * "no limit". A quota above `maxQuotaBytes` (no limit included) is refused with `RejectedError`.
 */
export function allowedQuota(limits: QuotaLimits, requested: number | null, forNewVolume: boolean): number | null {
  const quota = requested === null && forNewVolume ? (limits.defaultQuotaBytes ?? limits.maxQuotaBytes) : requested;
  if (quota !== null && (!Number.isSafeInteger(quota) || quota < 0)) {
    throw new RejectedError(
      `quota ${JSON.stringify(quota)} is invalid: give a whole number of bytes (0 or more), or null for no limit`,
    );
  }
  const max = limits.maxQuotaBytes;
  if (max !== null && (quota === null || quota > max)) {
    const exact = (bytes: number) => (bytes < 1024 ? formatBytes(bytes) : `${formatBytes(bytes)} (${bytes} bytes)`);
    const asked = quota === null ? 'no limit' : `a quota of ${exact(quota)}`;
    throw new RejectedError(`${asked} is above the highest quota this storage backend allows, ${exact(max)}`, {
      details: { quotaBytes: quota, maxQuotaBytes: max },
    });
  }
  return quota;
}

/** Amounts in one message: binary units, or exact bytes when the rounded ones would look equal. */
function amounts(used: number, quota: number): [string, string] {
  const [u, q] = [formatBytes(used), formatBytes(quota)];
  return u === q ? [`${used} bytes`, `${quota} bytes`] : [u, q];
}

/** `upload of 2.0 MiB to x.bin would use 3.1 MiB of volume data's 3.0 MiB quota`. */
export function quotaExceeded(what: string, volume: string, wouldUse: number, quota: number): VolumeError {
  const [used, limit] = amounts(wouldUse, quota);
  return new VolumeError('quota-exceeded', `${what} would use ${used} of volume ${volume}'s ${limit} quota`, {
    details: { volume, wouldUseBytes: wouldUse, quotaBytes: quota },
  });
}
