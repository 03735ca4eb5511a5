import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type StorageProvider, volumeErrorKind } from 'spindle/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { expectVolumeError, ISOLATED, useLocalStorage } from './storage-harness.js';

const t = useLocalStorage();
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function volume(quotaBytes: number | null = null): Promise<StorageProvider> {
  const local = await t.start();
  await local.createVolume('data', { quotaBytes });
  return local;
}

const put = (local: StorageProvider, file: string, content: string | Buffer, overwrite = false) =>
  local.putFile('data', file, { sourceFile: t.source(content), overwrite });

async function download(local: StorageProvider, file: string): Promise<string> {
  const targetFile = t.target();
  await local.getFile('data', file, { targetFile });
  return readFileSync(targetFile, 'utf8');
}

describe('storage-local: upload and download', () => {
  it('stores an upload (parents created), moves the staged file, and downloads it', async () => {
    const local = await volume();
    const sourceFile = t.source('hello volume');
    const stored = await local.putFile('data', '/reports/2024/q1.txt', { sourceFile, overwrite: false });
    expect(stored).toEqual({
      path: 'reports/2024/q1.txt',
      type: 'file',
      size: 12,
      modifiedAt: expect.stringMatching(ISO),
    });
    expect(existsSync(sourceFile)).toBe(false);
    expect(readFileSync(path.join(t.data('data'), 'reports', '2024', 'q1.txt'), 'utf8')).toBe('hello volume');

    const targetFile = t.target();
    expect(await local.getFile('data', 'reports/2024/q1.txt', { targetFile })).toEqual(stored);
    expect(readFileSync(targetFile, 'utf8')).toBe('hello volume');
    expect((await local.getVolume('data')).usedBytes).toBe(12);
  });

  it('streams a large file byte for byte', async () => {
    const local = await volume();
    const big = Buffer.alloc(5 * 1024 * 1024 + 7, 0);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    await put(local, 'big.bin', big);
    const targetFile = t.target();
    await local.getFile('data', 'big.bin', { targetFile });
    expect(readFileSync(targetFile).equals(big)).toBe(true);
  });

  it('refuses to replace an existing file unless overwrite is set (keeping both files as they were)', async () => {
    const local = await volume();
    await put(local, 'a.txt', 'first');
    const second = t.source('second');
    await expectVolumeError(
      local.putFile('data', 'a.txt', { sourceFile: second, overwrite: false }),
      'file-exists',
      'a.txt already exists in volume data (set overwrite to replace it)',
    );
    expect(await download(local, 'a.txt')).toBe('first');
    expect(readFileSync(second, 'utf8')).toBe('second');
    await local.putFile('data', 'a.txt', { sourceFile: second, overwrite: true });
    expect(await download(local, 'a.txt')).toBe('second');
  });

  it('refuses an upload onto a directory, under a file, or to the volume root', async () => {
    const local = await volume();
    await local.mkdir('data', 'dir');
    await put(local, 'file', 'x');
    await expectVolumeError(put(local, 'dir', 'x', true), 'file-exists', 'dir is a directory in volume data');
    await expectVolumeError(put(local, 'file/inside', 'x'), 'file-exists', /a parent of file\/inside .* is a file/);
    await expectVolumeError(put(local, '/', 'x', true), 'invalid-path', /volume root/);
    await expectVolumeError(put(local, '', 'x', true), 'invalid-path', /volume root/);
  });

  it('refuses to download what is not a file: missing, a directory, the root, a symlink, a FIFO', async () => {
    const local = await volume();
    await put(local, 'dir/real.txt', 'x');
    symlinkSync('real.txt', path.join(t.data('data'), 'dir', 'link'));
    await expectVolumeError(
      local.getFile('data', 'missing', { targetFile: t.target() }),
      'file-not-found',
      'no file missing in volume data',
    );
    await expectVolumeError(local.getFile('data', 'dir/real.txt/x', { targetFile: t.target() }), 'file-not-found');
    await expectVolumeError(
      local.getFile('data', 'dir', { targetFile: t.target() }),
      'file-not-found',
      'dir in volume data is not a file',
    );
    await expectVolumeError(local.getFile('data', '/', { targetFile: t.target() }), 'file-not-found');
    await expectVolumeError(
      local.getFile('data', 'dir/link', { targetFile: t.target() }),
      'file-not-found',
      /is a symlink/,
    );
    execFileSync('mkfifo', [path.join(t.data('data'), 'fifo')]);
    await expectVolumeError(local.getFile('data', 'fifo', { targetFile: t.target() }), 'file-not-found');
  });

  it('file operations on a volume that does not exist are not-found', async () => {
    const local = await t.start();
    await expectVolumeError(local.putFile('nope', 'x', { sourceFile: t.source('x'), overwrite: false }), 'not-found');
    await expectVolumeError(local.getFile('nope', 'x', { targetFile: t.target() }), 'not-found');
    await expectVolumeError(local.listFiles('nope', '/'), 'not-found');
    await expectVolumeError(local.mkdir('nope', 'x'), 'not-found');
    await expectVolumeError(local.rename('nope', 'x', 'y'), 'not-found');
    await expectVolumeError(local.deleteFile('nope', 'x', { recursive: true }), 'not-found');
  });

  // Isolated, the plugin may read only $TRANSFER, where the kernel stages uploads: /dev/shm is outside.
  it.skipIf(ISOLATED || !existsSync('/dev/shm') || statSync('/dev/shm').dev === statSync(os.tmpdir()).dev)(
    'takes an upload staged on another filesystem (copy, then the staged file is removed)',
    async () => {
      const local = await volume();
      const shm = mkdtempSync(path.join('/dev/shm', 'storage-local-'));
      try {
        const sourceFile = path.join(shm, 'upload');
        writeFileSync(sourceFile, 'across filesystems');
        await local.putFile('data', 'x.txt', { sourceFile, overwrite: false });
        expect(await download(local, 'x.txt')).toBe('across filesystems');
        expect(existsSync(sourceFile)).toBe(false);
        expect(readdirSync(t.data('data'))).toEqual(['x.txt']);
      } finally {
        rmSync(shm, { recursive: true, force: true });
      }
    },
  );
});

describe('storage-local: quota on upload', () => {
  it('accepts uploads up to the quota exactly, and refuses the one that would pass it, leaving nothing behind', async () => {
    const local = await volume(10);
    await put(local, 'a', '12345');
    await put(local, 'b', '12345');
    const sourceFile = t.source('1');
    await expectVolumeError(
      local.putFile('data', 'sub/c', { sourceFile, overwrite: false }),
      'quota-exceeded',
      "upload of 1 bytes to sub/c would use 11 bytes of volume data's 10 bytes quota",
    );
    expect(readdirSync(t.data('data')).sort()).toEqual(['a', 'b']);
    expect(readFileSync(sourceFile, 'utf8')).toBe('1');
    expect((await local.getVolume('data')).usedBytes).toBe(10);
  });

  it('reports the sizes in binary units', async () => {
    const MiB = 1024 * 1024;
    const local = await volume(3 * MiB);
    await put(local, 'base', Buffer.alloc(1.1 * MiB));
    await expectVolumeError(
      put(local, 'x.bin', Buffer.alloc(2 * MiB)),
      'quota-exceeded',
      "upload of 2.0 MiB to x.bin would use 3.1 MiB of volume data's 3.0 MiB quota",
    );
  });

  it('counts the size of the file an overwrite replaces', async () => {
    const local = await volume(10);
    await put(local, 'a', '12345678');
    await put(local, 'a', '123456789', true);
    expect((await local.getVolume('data')).usedBytes).toBe(9);
    await expectVolumeError(put(local, 'a', '12345678901', true), 'quota-exceeded', /would use 11 bytes/);
    expect(await download(local, 'a')).toBe('123456789');
  });

  it('does not let concurrent uploads together pass the quota', async () => {
    const local = await volume(10);
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => put(local, `f${i}`, '1234')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(
      results.filter((r) => r.status === 'rejected').map((r) => volumeErrorKind((r as PromiseRejectedResult).reason)),
    ).toEqual(Array(4).fill('quota-exceeded'));
    expect((await local.getVolume('data')).usedBytes).toBe(8);
    expect(readdirSync(t.data('data'))).toHaveLength(2);
  });
});

describe('storage-local: listing and directories', () => {
  it('lists one directory sorted by path, with type, size and time; symlinks as symlinks', async () => {
    const local = await volume();
    await put(local, 'b.txt', 'bbb');
    await put(local, 'A.txt', 'a');
    await put(local, 'sub/inner.txt', 'inner');
    symlinkSync('/etc', path.join(t.data('data'), 'etc-link'));
    const root = await local.listFiles('data', '');
    expect(root.map((f) => [f.path, f.type, f.size])).toEqual([
      ['A.txt', 'file', 1],
      ['b.txt', 'file', 3],
      ['etc-link', 'symlink', 4],
      ['sub', 'directory', 0],
    ]);
    expect(root.every((f) => ISO.test(f.modifiedAt))).toBe(true);
    expect(await local.listFiles('data', '/')).toEqual(root);
    expect(await local.listFiles('data', '/sub/')).toEqual([
      { path: 'sub/inner.txt', type: 'file', size: 5, modifiedAt: expect.stringMatching(ISO) },
    ]);
  });

  it('lists through a symlink to a directory inside the volume', async () => {
    const local = await volume();
    await put(local, 'real/x', 'x');
    symlinkSync('real', path.join(t.data('data'), 'alias'));
    expect((await local.listFiles('data', 'alias')).map((f) => f.path)).toEqual(['alias/x']);
  });

  it('listing a missing directory or a file is file-not-found', async () => {
    const local = await volume();
    await put(local, 'file', 'x');
    await expectVolumeError(
      local.listFiles('data', 'missing'),
      'file-not-found',
      'no directory missing in volume data',
    );
    await expectVolumeError(local.listFiles('data', 'file'), 'file-not-found');
  });

  it('mkdir creates missing parents, is a no-op on an existing directory or the root, and refuses a file in the way', async () => {
    const local = await volume();
    await local.mkdir('data', 'a/b/c');
    expect(statSync(path.join(t.data('data'), 'a', 'b', 'c')).isDirectory()).toBe(true);
    await local.mkdir('data', 'a/b');
    await local.mkdir('data', '/');
    await put(local, 'f', 'x');
    await expectVolumeError(local.mkdir('data', 'f'), 'file-exists');
    await expectVolumeError(local.mkdir('data', 'f/sub'), 'file-exists');
  });
});

describe('storage-local: rename and delete', () => {
  it('renames and moves files and directories, creating the parents of the new path', async () => {
    const local = await volume();
    await put(local, 'a.txt', 'a');
    await put(local, 'dir/x', 'x');
    await local.rename('data', 'a.txt', 'moved/b.txt');
    await local.rename('data', 'dir', 'dir2');
    expect(await download(local, 'moved/b.txt')).toBe('a');
    expect(await download(local, 'dir2/x')).toBe('x');
    expect((await local.listFiles('data', '/')).map((f) => f.path)).toEqual(['dir2', 'moved']);
  });

  it('refuses to rename onto an existing path, from a missing one, into itself, or the root', async () => {
    const local = await volume();
    await put(local, 'a', 'a');
    await put(local, 'b', 'b');
    await local.mkdir('data', 'dir');
    await expectVolumeError(local.rename('data', 'a', 'b'), 'file-exists', 'b already exists in volume data');
    await expectVolumeError(local.rename('data', 'a', 'dir'), 'file-exists');
    await expectVolumeError(
      local.rename('data', 'missing', 'c'),
      'file-not-found',
      'no file or directory missing in volume data',
    );
    await expectVolumeError(local.rename('data', 'dir', 'dir/sub/dir'), 'invalid-path', /into itself/);
    await expectVolumeError(local.rename('data', '/', 'x'), 'invalid-path', /volume root/);
    await expectVolumeError(local.rename('data', 'a', '/'), 'invalid-path', /volume root/);
    expect(await download(local, 'a')).toBe('a');
    expect(await download(local, 'b')).toBe('b');
    expect(readdirSync(path.join(t.data('data'), 'dir'))).toEqual([]);
  });

  it('deletes files and empty directories; a non-empty directory only recursively', async () => {
    const local = await volume();
    await put(local, 'a', 'a');
    await put(local, 'full/deep/x', 'x');
    await local.mkdir('data', 'empty');
    await local.deleteFile('data', 'a', { recursive: false });
    await local.deleteFile('data', 'empty', { recursive: false });
    await expectVolumeError(
      local.deleteFile('data', 'full', { recursive: false }),
      'not-empty',
      /directory full in volume data is not empty/,
    );
    expect(await download(local, 'full/deep/x')).toBe('x');
    await local.deleteFile('data', 'full', { recursive: true });
    expect(await local.listFiles('data', '/')).toEqual([]);
    expect((await local.getVolume('data')).usedBytes).toBe(0);
  });

  it('refuses to delete a missing path or the root', async () => {
    const local = await volume();
    await put(local, 'keep', 'k');
    await expectVolumeError(
      local.deleteFile('data', 'missing', { recursive: true }),
      'file-not-found',
      'no file or directory missing in volume data',
    );
    await expectVolumeError(local.deleteFile('data', 'keep/below', { recursive: true }), 'file-not-found');
    await expectVolumeError(local.deleteFile('data', '/', { recursive: true }), 'invalid-path', /volume root/);
    await expectVolumeError(local.deleteFile('data', '', { recursive: true }), 'invalid-path', /volume root/);
    expect(await download(local, 'keep')).toBe('k');
  });

  it('deletes a symlink as a link, and never follows links inside a directory deleted recursively', async () => {
    const local = await volume();
    const outside = t.outside();
    const data = t.data('data');
    symlinkSync(outside, path.join(data, 'out'));
    mkdirSync(path.join(data, 'dir'));
    symlinkSync(outside, path.join(data, 'dir', 'out'));
    symlinkSync(path.join(outside, 'secret'), path.join(data, 'dir', 'secret'));
    await local.deleteFile('data', 'out', { recursive: true });
    await local.deleteFile('data', 'dir', { recursive: true });
    expect(readdirSync(data)).toEqual([]);
    expect(readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('do not touch');
  });

  it('an overwrite onto a symlink replaces the link, not the file it points to', async () => {
    const local = await volume();
    const outside = t.outside();
    symlinkSync(path.join(outside, 'secret'), path.join(t.data('data'), 'link'));
    await expectVolumeError(put(local, 'link', 'new'), 'file-exists');
    await put(local, 'link', 'new', true);
    expect(await download(local, 'link')).toBe('new');
    expect(readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('do not touch');
    expect(() => readlinkSync(path.join(t.data('data'), 'link'))).toThrow();
  });
});
