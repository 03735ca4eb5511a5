import { isPluginError, volumeErrorKind } from 'spindle/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { allowedQuota, formatBytes, quotaExceeded } from './quota.js';

const MiB = 1024 * 1024;

describe('formatBytes', () => {
  it('shows bytes, then binary units with one decimal', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1023)).toBe('1023 bytes');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(2 * MiB)).toBe('2.0 MiB');
    expect(formatBytes(3.1 * MiB)).toBe('3.1 MiB');
    expect(formatBytes(1.5 * 1024 * MiB)).toBe('1.5 GiB');
  });
});

describe('allowedQuota', () => {
  const open = { defaultQuotaBytes: null, maxQuotaBytes: null };
  const limited = { defaultQuotaBytes: 10, maxQuotaBytes: 100 };

  it('gives a new volume without a quota the default, else the maximum, else no limit', () => {
    expect(allowedQuota(open, null, true)).toBeNull();
    expect(allowedQuota(limited, null, true)).toBe(10);
    expect(allowedQuota({ defaultQuotaBytes: null, maxQuotaBytes: 100 }, null, true)).toBe(100);
    expect(allowedQuota(limited, 50, true)).toBe(50);
  });

  it('takes null in setQuota as no limit, refused when there is a maximum', () => {
    expect(allowedQuota(open, null, false)).toBeNull();
    expect(() => allowedQuota(limited, null, false)).toThrow(
      'no limit is above the highest quota this storage backend allows, 100 bytes',
    );
  });

  it('refuses a quota above the maximum, or not a whole number of bytes, with a RejectedError (400)', () => {
    expect(allowedQuota(limited, 100, false)).toBe(100);
    for (const bad of [101, -1, 1.5, Number.NaN]) {
      let error: unknown;
      try {
        allowedQuota(limited, bad, true);
      } catch (e) {
        error = e;
      }
      expect(isPluginError(error) && error.status).toBe(400);
      expect(volumeErrorKind(error)).toBeUndefined();
    }
    expect(() => allowedQuota(limited, 2 * MiB, true)).toThrow(
      /a quota of 2.0 MiB \(2097152 bytes\) is above the highest quota/,
    );
  });
});

describe('quotaExceeded', () => {
  it('says what would be used of which quota', () => {
    const error = quotaExceeded('upload of 2.0 MiB to x.bin', 'data', 3.1 * MiB, 3 * MiB);
    expect(volumeErrorKind(error)).toBe('quota-exceeded');
    expect(error.message).toBe("upload of 2.0 MiB to x.bin would use 3.1 MiB of volume data's 3.0 MiB quota");
    expect(error.details).toEqual({ volume: 'data', wouldUseBytes: 3.1 * MiB, quotaBytes: 3 * MiB });
  });

  it('falls back to exact bytes when the rounded amounts look the same', () => {
    expect(quotaExceeded('upload of 1 bytes to y', 'v', 3 * MiB + 1, 3 * MiB).message).toBe(
      "upload of 1 bytes to y would use 3145729 bytes of volume v's 3145728 bytes quota",
    );
  });
});
