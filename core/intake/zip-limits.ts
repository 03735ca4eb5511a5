import { KernelError } from '../errors/kernel-error.js';

/** Bounds checked on a plugin ZIP before anything in it is inflated. */
export interface ZipLimits {
  /** Size of the ZIP itself (an upload or a download). */
  maxZipBytes: number;
  maxEntries: number;
  /** Declared uncompressed size of one entry. */
  maxEntryBytes: number;
  /** Sum of the declared uncompressed sizes of all entries. */
  maxTotalBytes: number;
  /** Uncompressed / compressed, per entry and for the whole archive. */
  maxRatio: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxZipBytes: 64 * MiB,
  maxEntries: 10_000,
  maxEntryBytes: 64 * MiB,
  maxTotalBytes: 256 * MiB,
  maxRatio: 100,
});

const ENV_NAMES: Readonly<Record<keyof ZipLimits, string>> = {
  maxZipBytes: 'SPINDLE_ZIP_MAX_BYTES',
  maxEntries: 'SPINDLE_ZIP_MAX_ENTRIES',
  maxEntryBytes: 'SPINDLE_ZIP_MAX_ENTRY_BYTES',
  maxTotalBytes: 'SPINDLE_ZIP_MAX_TOTAL_BYTES',
  maxRatio: 'SPINDLE_ZIP_MAX_RATIO',
};

/**
 * The limits, with each `SPINDLE_ZIP_MAX_*` variable that is set overriding its default. A value
 * that is not a positive number is refused rather than ignored, so a typo never silently falls
 * back to a default.
 */
export function limitsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  defaults: Readonly<ZipLimits> = DEFAULT_ZIP_LIMITS,
): ZipLimits {
  const limits: ZipLimits = { ...defaults };
  for (const key of Object.keys(ENV_NAMES) as (keyof ZipLimits)[]) {
    const name = ENV_NAMES[key];
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    const integral = key !== 'maxRatio';
    if (!Number.isFinite(value) || value <= 0 || (integral && !Number.isSafeInteger(value))) {
      throw new KernelError(
        'KRN_ERR_BAD_REQUEST',
        `${name} must be a positive ${integral ? `whole number of ${key === 'maxEntries' ? 'entries' : 'bytes'}` : 'number'}, got ${JSON.stringify(raw)}`,
        { details: { setting: name, value: raw } },
      );
    }
    limits[key] = value;
  }
  return limits;
}

/** `1536` → `1536 bytes (1.5 KiB)`, for refusal messages. */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = '';
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return unit ? `${bytes} bytes (${Number(value.toFixed(1))} ${unit})` : `${bytes} bytes`;
}
