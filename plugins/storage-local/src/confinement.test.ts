/**
 * Path confinement through the backend: no operation reaches outside its volume, whatever the
 * path or the symlinks a job left in it. Writes aim at a temp directory standing in for /etc, so
 * a bug here cannot damage the machine; reads use the real /etc.
 */
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { StorageProvider } from 'spindle/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { expectVolumeError, useLocalStorage } from './storage-harness.js';

const t = useLocalStorage();

async function volume(): Promise<StorageProvider> {
  const local = await t.start();
  await local.createVolume('data', { quotaBytes: null });
  await local.putFile('data', 'a.txt', { sourceFile: t.source('a'), overwrite: false });
  return local;
}

/** Every file operation of the contract on `file` (and `dir`), each expected to be refused as invalid-path. */
async function expectAllRefused(local: StorageProvider, file: string, dir = file): Promise<void> {
  const sourceFile = t.source('payload');
  const targetFile = t.target();
  await expectVolumeError(local.putFile('data', file, { sourceFile, overwrite: true }), 'invalid-path');
  await expectVolumeError(local.getFile('data', file, { targetFile }), 'invalid-path');
  await expectVolumeError(local.listFiles('data', dir), 'invalid-path');
  await expectVolumeError(local.mkdir('data', dir), 'invalid-path');
  await expectVolumeError(local.rename('data', 'a.txt', file), 'invalid-path');
  await expectVolumeError(local.rename('data', file, 'b.txt'), 'invalid-path');
  await expectVolumeError(local.deleteFile('data', file, { recursive: true }), 'invalid-path');
  expect(readFileSync(sourceFile, 'utf8')).toBe('payload');
  expect(existsSync(targetFile)).toBe(false);
  expect(readFileSync(path.join(t.data('data'), 'a.txt'), 'utf8')).toBe('a');
}

describe('storage-local: paths that escape', () => {
  it.each(['../x', 'a/../../x', '/../x', '..', 'a/..', '../data/a.txt'])(
    'refuses %j on every operation, naming the path',
    async (raw) => {
      const local = await volume();
      await expectAllRefused(local, raw);
      await expectVolumeError(
        local.getFile('data', raw, { targetFile: t.target() }),
        'invalid-path',
        JSON.stringify(raw),
      );
      expect(readdirSync(t.root)).toEqual(['data']);
    },
  );

  it.each(['a\\..\\..\\x', 'dir\\file', 'a\0b', 'a.txt\0.png'])(
    'refuses %j (backslash or NUL) on every operation',
    async (raw) => {
      await expectAllRefused(await volume(), raw);
    },
  );
});

describe('storage-local: symlinks pointing outside the volume', () => {
  it('a link to the real /etc: listing and downloading through it are refused', async () => {
    const local = await volume();
    symlinkSync('/etc', path.join(t.data('data'), 'etc'));
    await expectVolumeError(
      local.listFiles('data', 'etc'),
      'invalid-path',
      /leads outside the volume through the symlink "etc"/,
    );
    await expectVolumeError(local.getFile('data', 'etc/passwd', { targetFile: t.target() }), 'invalid-path');
    await expectVolumeError(local.getFile('data', 'etc/hostname', { targetFile: t.target() }), 'invalid-path');
    // The link itself is listed (as a symlink, not followed).
    expect(await local.listFiles('data', '/')).toContainEqual(
      expect.objectContaining({ path: 'etc', type: 'symlink' }),
    );
  });

  it('a link to an outside directory: upload, download, list, mkdir, rename and delete through it are all refused, nothing outside changes', async () => {
    const local = await volume();
    const outside = t.outside();
    symlinkSync(outside, path.join(t.data('data'), 'etc'));
    await expectAllRefused(local, 'etc/secret', 'etc');
    await expectAllRefused(local, 'etc/new-file', 'etc/new-dir');
    await expectAllRefused(local, 'etc/deeper/new-file', 'etc/deeper/new-dir');
    expect(readdirSync(outside)).toEqual(['secret']);
    expect(readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('do not touch');
  });

  it('relative links that climb out, into another volume, or to nothing are refused too', async () => {
    const local = await volume();
    await local.createVolume('other', { quotaBytes: null });
    await local.putFile('other', 'private.txt', { sourceFile: t.source('private'), overwrite: false });
    const data = t.data('data');
    symlinkSync('../../other/data', path.join(data, 'neighbour'));
    symlinkSync('../../../../../../../../..', path.join(data, 'up'));
    symlinkSync('/nonexistent/spindle-test-dir', path.join(data, 'nowhere'));
    await expectAllRefused(local, 'neighbour/private.txt', 'neighbour');
    await expectAllRefused(local, 'up/etc/passwd', 'up/etc');
    await expectAllRefused(local, 'nowhere/x', 'nowhere/y');
    expect(readdirSync(t.data('other'))).toEqual(['private.txt']);
    expect(existsSync('/nonexistent/spindle-test-dir')).toBe(false);
  });

  it('a link at the last component pointing outside: download refused, but the link can be listed, deleted or replaced', async () => {
    const local = await volume();
    const outside = t.outside();
    symlinkSync('/etc/passwd', path.join(t.data('data'), 'passwd'));
    symlinkSync(path.join(outside, 'secret'), path.join(t.data('data'), 'secret'));
    const targetFile = t.target();
    await expectVolumeError(
      local.getFile('data', 'passwd', { targetFile }),
      'invalid-path',
      /leads outside the volume through the symlink "passwd"/,
    );
    await expectVolumeError(local.getFile('data', 'secret', { targetFile }), 'invalid-path');
    expect(existsSync(targetFile)).toBe(false);
    expect((await local.listFiles('data', '/')).map((f) => [f.path, f.type])).toEqual([
      ['a.txt', 'file'],
      ['passwd', 'symlink'],
      ['secret', 'symlink'],
    ]);
    await local.deleteFile('data', 'passwd', { recursive: false });
    await local.rename('data', 'secret', 'renamed-link');
    await local.putFile('data', 'renamed-link', { sourceFile: t.source('mine'), overwrite: true });
    expect(readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('do not touch');
    expect(existsSync('/etc/passwd')).toBe(true);
    expect(readdirSync(t.data('data')).sort()).toEqual(['a.txt', 'renamed-link']);
  });
});
