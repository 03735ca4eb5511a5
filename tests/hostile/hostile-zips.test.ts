/**
 * Every kind of hostile plugin ZIP the intake must refuse. Each case asserts the error code, that
 * the message names the offending entry, and that nothing is left in <home>/staging, in
 * <home>/plugins, or anywhere else under <home>.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../core/errors/catalogue.js';
import { KernelError } from '../../core/errors/kernel-error.js';
import { stagePlugin } from '../../core/intake/stage-plugin.js';
import { DEFAULT_ZIP_LIMITS, type ZipLimits } from '../../core/intake/zip-limits.js';
import { bundle, listDir, removeHome, tempHome } from './bundle.js';
import { type RawEntry, rawZip } from './raw-zip.js';

interface Refusal {
  code: ErrorCode;
  /** The entry the message and details must name; omitted when no single entry is at fault. */
  entry?: string;
  limits?: Partial<ZipLimits>;
}

async function expectRefused(zip: Buffer, refusal: Refusal): Promise<KernelError> {
  const home = await tempHome();
  try {
    const limits = { ...DEFAULT_ZIP_LIMITS, ...refusal.limits };
    const error: unknown = await stagePlugin(zip, { home, limits, installedVersions: () => [] }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(KernelError);
    const kernelError = error as KernelError;
    expect(kernelError.code).toBe(refusal.code);
    if (refusal.entry !== undefined) {
      expect(kernelError.message).toContain(JSON.stringify(refusal.entry));
      expect(kernelError.details.entry).toBe(refusal.entry);
    }
    expect(await listDir(home, 'staging')).toEqual([]);
    expect(await listDir(home, 'plugins')).toEqual([]);
    expect((await readdir(home)).filter((name) => name !== 'staging')).toEqual([]);
    return kernelError;
  } finally {
    await removeHome(home);
  }
}

const hostileNames: [string, string | Buffer, string][] = [
  ['a parent-directory escape', '../evil.js', '../evil.js'],
  ['a nested escape', 'assets/../../evil.js', 'assets/../../evil.js'],
  ['an attempt to overwrite plugin.json through ..', 'assets/../plugin.json', 'assets/../plugin.json'],
  ['an absolute path', '/etc/evil.js', '/etc/evil.js'],
  ['a backslash path', 'assets\\..\\..\\evil.js', 'assets\\..\\..\\evil.js'],
  ['a drive letter with a slash', 'C:/evil.js', 'C:/evil.js'],
  ['a drive-relative path', 'C:evil.js', 'C:evil.js'],
  ['a NUL byte', 'assets/ok.js\u0000.png', 'assets/ok.js\u0000.png'],
  ['a control character', 'assets/a\nb.js', 'assets/a\nb.js'],
  ['an empty segment', 'assets//evil.js', 'assets//evil.js'],
  ['a dot segment', './evil.js', './evil.js'],
  ['a text-direction override', 'assets/evil\u202egnp.js', 'assets/evil\u202egnp.js'],
  ['a name that is not UTF-8', Buffer.from([0x61, 0xff, 0x62]), 'a\ufffdb'],
];

const hostileTypes: [string, number][] = [
  ['a symbolic link', 0o120777],
  ['a character device', 0o020666],
  ['a block device', 0o060660],
  ['a FIFO', 0o010644],
  ['a socket', 0o140755],
];

describe('hostile plugin ZIPs', () => {
  it.each(hostileNames)('refuses %s', async (_kind, name, shown) => {
    await expectRefused(bundle({}, [{ name, data: 'pwned' }]), { code: 'KRN_ERR_ZIP_UNSAFE_ENTRY', entry: shown });
  });

  it.each(hostileTypes)('refuses an entry that is %s', async (kind, mode) => {
    const error = await expectRefused(bundle({}, [{ name: 'assets/link', data: '/etc/passwd', mode }]), {
      code: 'KRN_ERR_ZIP_UNSAFE_ENTRY',
      entry: 'assets/link',
    });
    expect(error.message).toContain(kind);
  });

  it('refuses a file marked as a directory', async () => {
    await expectRefused(bundle({}, [{ name: 'assets', mode: 0o040755 }]), {
      code: 'KRN_ERR_ZIP_UNSAFE_ENTRY',
      entry: 'assets',
    });
  });

  it('refuses a duplicate name instead of picking one copy', async () => {
    await expectRefused(bundle({}, [{ name: 'dist/index.cjs', data: 'evil()' }]), {
      code: 'KRN_ERR_ZIP_UNSAFE_ENTRY',
      entry: 'dist/index.cjs',
    });
  });

  it('refuses names that collide when case is ignored', async () => {
    await expectRefused(bundle({}, [{ name: 'PLUGIN.JSON', data: '{}' }]), {
      code: 'KRN_ERR_ZIP_UNSAFE_ENTRY',
      entry: 'PLUGIN.JSON',
    });
  });

  it('refuses an entry below a file', async () => {
    await expectRefused(bundle({}, [{ name: 'dist/index.cjs/evil.js', data: 'x' }]), {
      code: 'KRN_ERR_ZIP_UNSAFE_ENTRY',
      entry: 'dist/index.cjs/evil.js',
    });
  });

  it('refuses a ZIP bomb (50 MB of zeros) by its ratio, before inflating it', async () => {
    const zeros: RawEntry = { name: 'assets/zeros.bin', data: Buffer.alloc(50 * 1024 * 1024) };
    const error = await expectRefused(bundle({}, [zeros]), { code: 'KRN_ERR_ZIP_RATIO', entry: 'assets/zeros.bin' });
    expect(error.message).toMatch(/ratio \d+:1, limit 100:1/);
  });

  it('refuses an archive whose overall ratio is too high even when each entry is small', async () => {
    const small = Array.from(
      { length: 400 },
      (_, i): RawEntry => ({ name: `assets/z${i}.bin`, data: Buffer.alloc(4000) }),
    );
    await expectRefused(bundle({}, small), {
      code: 'KRN_ERR_ZIP_RATIO',
      entry: 'assets/z0.bin',
      limits: { maxRatio: 10 },
    });
  });

  it('refuses a header that understates the size (a lying bomb), while inflating', async () => {
    const liar: RawEntry = { name: 'assets/lie.bin', data: Buffer.alloc(10 * 1024 * 1024), declaredSize: 1000 };
    await expectRefused(bundle({}, [liar]), { code: 'KRN_ERR_ZIP_TOO_LARGE', entry: 'assets/lie.bin' });
  });

  it('refuses a stored entry that holds more than its header declares', async () => {
    const liar: RawEntry = { name: 'assets/lie.txt', data: 'x'.repeat(500), method: 0, declaredSize: 10 };
    await expectRefused(bundle({}, [liar]), { code: 'KRN_ERR_ZIP_TOO_LARGE', entry: 'assets/lie.txt' });
  });

  it('refuses a header that overstates the size', async () => {
    const liar: RawEntry = { name: 'assets/short.txt', data: 'abc', declaredSize: 3000 };
    await expectRefused(bundle({}, [liar]), { code: 'KRN_ERR_ZIP_INVALID', entry: 'assets/short.txt' });
  });

  it('refuses entries that share compressed data (non-recursive bomb)', async () => {
    const blob: RawEntry = { name: 'assets/a.bin', data: randomBytes(1000) };
    const copies = Array.from({ length: 3 }, (_, i): RawEntry => ({ name: `assets/copy${i}.bin`, sameDataAs: 2 }));
    const error = await expectRefused(bundle({}, [blob, ...copies]), { code: 'KRN_ERR_ZIP_RATIO' });
    expect(error.details.entry).toMatch(/^assets\/(a|copy\d)\.bin$/);
    expect(error.message).toContain(JSON.stringify(error.details.entry));
  });

  it('refuses too many entries (default limit) from the end record alone', async () => {
    const many = Array.from(
      { length: DEFAULT_ZIP_LIMITS.maxEntries + 1 },
      (_, i): RawEntry => ({ name: `f/${i}`, method: 0 }),
    );
    const error = await expectRefused(rawZip(many), { code: 'KRN_ERR_ZIP_TOO_MANY_ENTRIES' });
    expect(error.message).toContain('10001 entries');
  });

  it('refuses an entry over the per-entry limit', async () => {
    await expectRefused(bundle({}, [{ name: 'assets/big.bin', data: randomBytes(2048) }]), {
      code: 'KRN_ERR_ZIP_TOO_LARGE',
      entry: 'assets/big.bin',
      limits: { maxEntryBytes: 1024 },
    });
  });

  it('refuses entries over the total limit', async () => {
    const parts = ['a', 'b', 'c'].map((n): RawEntry => ({ name: `assets/${n}.bin`, data: randomBytes(3000) }));
    await expectRefused(bundle({}, parts), {
      code: 'KRN_ERR_ZIP_TOO_LARGE',
      entry: 'assets/b.bin',
      limits: { maxTotalBytes: 6000 },
    });
  });

  it('refuses a ZIP over the size limit', async () => {
    const error = await expectRefused(bundle(), { code: 'KRN_ERR_ZIP_TOO_LARGE', limits: { maxZipBytes: 100 } });
    expect(error.message).toContain('over the limit of 100 bytes');
  });

  it.each([
    ['not a ZIP at all', Buffer.from('this is not a zip file')],
    ['an empty upload', Buffer.alloc(0)],
    ['a truncated ZIP', bundle().subarray(0, 120)],
  ])('refuses %s', async (_kind, zip) => {
    await expectRefused(zip, { code: 'KRN_ERR_ZIP_INVALID' });
  });

  it('refuses an entry whose data is corrupt', async () => {
    const zip = bundle({}, [{ name: 'assets/data.txt', data: 'MARKER'.repeat(10), method: 0 }]);
    zip[zip.indexOf('MARKER') + 2] ^= 0xff;
    await expectRefused(zip, { code: 'KRN_ERR_ZIP_INVALID', entry: 'assets/data.txt' });
  });

  it('refuses an encrypted entry', async () => {
    await expectRefused(bundle({}, [{ name: 'assets/secret.txt', data: 'x', flags: 0x0801 }]), {
      code: 'KRN_ERR_ZIP_INVALID',
      entry: 'assets/secret.txt',
    });
  });

  it('refuses an unsupported compression method', async () => {
    await expectRefused(bundle({}, [{ name: 'assets/x.bz2', data: 'x', method: 12 }]), {
      code: 'KRN_ERR_ZIP_INVALID',
      entry: 'assets/x.bz2',
    });
  });

  it('refuses a directory entry that carries data', async () => {
    await expectRefused(bundle({}, [{ name: 'assets/', data: 'hidden' }]), {
      code: 'KRN_ERR_ZIP_INVALID',
      entry: 'assets/',
    });
  });
});
