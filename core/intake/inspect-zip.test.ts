import AdmZip from 'adm-zip';
import { describe, expect, it } from 'vitest';
import { rawZip } from '../../tests/hostile/raw-zip.js';
import { inspectZip } from './inspect-zip.js';
import { readEntryData } from './read-entry-data.js';
import { DEFAULT_ZIP_LIMITS } from './zip-limits.js';

describe('inspectZip', () => {
  it('lists files and directories from the central directory', () => {
    const zip = rawZip([
      { name: 'plugin.json', data: '{}' },
      { name: 'assets/', mode: 0o040755 },
      { name: 'assets/a.txt', data: 'abc' },
    ]);
    const entries = inspectZip(zip, DEFAULT_ZIP_LIMITS);
    expect(entries.map(({ name, path, isDirectory, size }) => ({ name, path, isDirectory, size }))).toEqual([
      { name: 'plugin.json', path: 'plugin.json', isDirectory: false, size: 2 },
      { name: 'assets/', path: 'assets', isDirectory: true, size: 0 },
      { name: 'assets/a.txt', path: 'assets/a.txt', isDirectory: false, size: 3 },
    ]);
  });

  it('accepts an archive written by adm-zip itself', () => {
    const archive = new AdmZip();
    archive.addFile('plugin.json', Buffer.from('{}'));
    const source = Array.from({ length: 500 }, (_, i) => `exports.f${i} = (x) => x * ${i} + ${i * 7919};`).join('\n');
    archive.addFile('dist/index.cjs', Buffer.from(source));
    expect(inspectZip(archive.toBuffer(), DEFAULT_ZIP_LIMITS)).toHaveLength(2);
  });

  it('inflates nothing while inspecting: corrupt data and lying sizes only show when read', () => {
    const corrupt = rawZip([{ name: 'data.txt', data: 'MARKER'.repeat(10), method: 0 }]);
    corrupt[corrupt.indexOf('MARKER') + 2] ^= 0xff;
    const [item] = inspectZip(corrupt, DEFAULT_ZIP_LIMITS);
    expect(() => readEntryData(item!)).toThrow(
      expect.objectContaining({
        code: 'KRN_ERR_ZIP_INVALID',
        message: expect.stringContaining('"data.txt" could not be inflated (CRC32 checksum failed)'),
      }),
    );
    const liar = rawZip([{ name: 'lie.bin', data: Buffer.alloc(100_000), declaredSize: 100 }]);
    expect(inspectZip(liar, DEFAULT_ZIP_LIMITS)).toHaveLength(1);
  });

  it('ignores the ratio of tiny entries', () => {
    expect(inspectZip(rawZip([{ name: 'spaces.txt', data: ' '.repeat(4000) }]), DEFAULT_ZIP_LIMITS)).toHaveLength(1);
    expect(() => inspectZip(rawZip([{ name: 'spaces.txt', data: ' '.repeat(5000) }]), DEFAULT_ZIP_LIMITS)).toThrow(
      expect.objectContaining({ code: 'KRN_ERR_ZIP_RATIO' }),
    );
  });

  it('counts entries before reading them', () => {
    const zip = rawZip([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    expect(() => inspectZip(zip, { ...DEFAULT_ZIP_LIMITS, maxEntries: 2 })).toThrow(
      expect.objectContaining({
        code: 'KRN_ERR_ZIP_TOO_MANY_ENTRIES',
        message: expect.stringContaining('3 entries, over the limit of 2'),
      }),
    );
    expect(inspectZip(zip, { ...DEFAULT_ZIP_LIMITS, maxEntries: 3 })).toHaveLength(3);
  });
});
