import { describe, expect, it } from 'vitest';
import { rawZip } from '../../tests/hostile/raw-zip.js';
import { inspectZip } from './inspect-zip.js';
import { readEntryData } from './read-entry-data.js';
import { DEFAULT_ZIP_LIMITS } from './zip-limits.js';

describe('readEntryData', () => {
  it('returns the data of an honest entry', () => {
    const [item] = inspectZip(rawZip([{ name: 'a.txt', data: 'hello' }]), DEFAULT_ZIP_LIMITS);
    expect(readEntryData(item!).toString()).toBe('hello');
  });

  it('refuses a stored entry holding fewer bytes than declared', () => {
    const [item] = inspectZip(
      rawZip([{ name: 'short.txt', data: 'abc', method: 0, declaredSize: 30 }]),
      DEFAULT_ZIP_LIMITS,
    );
    expect(() => readEntryData(item!)).toThrow(
      expect.objectContaining({
        code: 'KRN_ERR_ZIP_INVALID',
        details: { entry: 'short.txt', declared: 30, actual: 3 },
      }),
    );
  });

  it('refuses data that inflates past the declared size', () => {
    const [item] = inspectZip(
      rawZip([{ name: 'lie.bin', data: Buffer.alloc(100_000), declaredSize: 100 }]),
      DEFAULT_ZIP_LIMITS,
    );
    expect(() => readEntryData(item!)).toThrow(
      expect.objectContaining({ code: 'KRN_ERR_ZIP_TOO_LARGE', details: { entry: 'lie.bin', declared: 100 } }),
    );
  });
});
