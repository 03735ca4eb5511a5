import { describe, expect, it } from 'vitest';
import { DEFAULT_ZIP_LIMITS, formatBytes, limitsFromEnv } from './zip-limits.js';

describe('limitsFromEnv', () => {
  it('returns the defaults when nothing is set', () => {
    expect(limitsFromEnv({})).toEqual(DEFAULT_ZIP_LIMITS);
    expect(DEFAULT_ZIP_LIMITS).toEqual({
      maxZipBytes: 64 * 1024 * 1024,
      maxEntries: 10_000,
      maxEntryBytes: 64 * 1024 * 1024,
      maxTotalBytes: 256 * 1024 * 1024,
      maxRatio: 100,
    });
  });

  it('reads every SPINDLE_ZIP_MAX_* variable', () => {
    const limits = limitsFromEnv({
      SPINDLE_ZIP_MAX_BYTES: '1000',
      SPINDLE_ZIP_MAX_ENTRIES: '20',
      SPINDLE_ZIP_MAX_ENTRY_BYTES: '300',
      SPINDLE_ZIP_MAX_TOTAL_BYTES: ' 4000 ',
      SPINDLE_ZIP_MAX_RATIO: '12.5',
      SPINDLE_ZIP_MAX_OTHER: 'ignored',
    });
    expect(limits).toEqual({
      maxZipBytes: 1000,
      maxEntries: 20,
      maxEntryBytes: 300,
      maxTotalBytes: 4000,
      maxRatio: 12.5,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(limitsFromEnv({ SPINDLE_ZIP_MAX_ENTRIES: '' })).toEqual(DEFAULT_ZIP_LIMITS);
  });

  it.each([
    ['SPINDLE_ZIP_MAX_BYTES', '64MB'],
    ['SPINDLE_ZIP_MAX_ENTRIES', '0'],
    ['SPINDLE_ZIP_MAX_ENTRIES', '1.5'],
    ['SPINDLE_ZIP_MAX_RATIO', '-1'],
    ['SPINDLE_ZIP_MAX_TOTAL_BYTES', 'Infinity'],
  ])('refuses %s=%j instead of ignoring it', (name, value) => {
    expect(() => limitsFromEnv({ [name]: value })).toThrow(expect.objectContaining({ code: 'KRN_ERR_BAD_REQUEST' }));
    expect(() => limitsFromEnv({ [name]: value })).toThrow(name);
  });
});

describe('formatBytes', () => {
  it('adds a binary unit when it helps', () => {
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(1536)).toBe('1536 bytes (1.5 KiB)');
    expect(formatBytes(64 * 1024 * 1024)).toBe('67108864 bytes (64 MiB)');
  });
});
