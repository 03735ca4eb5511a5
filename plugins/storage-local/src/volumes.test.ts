import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { isPluginError, volumeErrorKind } from 'spindle/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { expectVolumeError, ISOLATED, useLocalStorage } from './storage-harness.js';

const t = useLocalStorage();
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function rejection(promise: Promise<unknown>): Promise<{ status?: number; message: string; kind?: string }> {
  // The kernel wraps what the backend threw (naming plugin and call); the backend's error is the cause.
  const error = await promise.then(
    () => undefined,
    (e: unknown) => (e as Error).cause,
  );
  if (!isPluginError(error)) throw new Error(`expected a plugin error, got ${String(error)}`);
  return { status: error.status, message: error.message, kind: volumeErrorKind(error) };
}

describe('storage-local: volumes', () => {
  it('registers backend local, creates a volume on disk and reports it', async () => {
    const local = await t.start();
    expect(t.kernel.registries.storage.keys()).toEqual(['local']);
    const info = await local.createVolume('data', { quotaBytes: 1000 });
    expect(info).toEqual({ name: 'data', usedBytes: 0, quotaBytes: 1000, createdAt: expect.stringMatching(ISO) });
    expect(statSync(t.data('data')).isDirectory()).toBe(true);
    expect(JSON.parse(readFileSync(path.join(t.root, 'data', 'volume.json'), 'utf8'))).toEqual({
      quotaBytes: 1000,
      createdAt: info.createdAt,
    });
    expect(await local.getVolume('data')).toEqual(info);
    expect(await local.listVolumes()).toEqual([info]);
  });

  it('refuses a taken name with exists, and an invalid one with a 400 naming the rule', async () => {
    const local = await t.start();
    await local.createVolume('data', { quotaBytes: null });
    await expectVolumeError(local.createVolume('data', { quotaBytes: null }), 'exists', 'volume data already exists');
    for (const name of ['../x', '.hidden', 'a/b', '', 'x'.repeat(64)]) {
      expect(await rejection(local.createVolume(name, { quotaBytes: null }))).toMatchObject({
        status: 400,
        message: expect.stringMatching(/volume name .* is invalid/),
      });
    }
    expect(await rejection(local.getVolume('../data'))).toMatchObject({ status: 400 });
    expect(readdirSync(t.root)).toEqual(['data']);
  });

  it('lists volumes sorted by name with their usage, ignoring stray directories and files', async () => {
    const local = await t.start();
    await local.createVolume('zeta', { quotaBytes: null });
    await local.createVolume('alpha', { quotaBytes: null });
    writeFileSync(path.join(t.data('alpha'), 'f'), 'x'.repeat(42));
    mkdirSync(path.join(t.root, 'stray', 'data'), { recursive: true });
    mkdirSync(path.join(t.root, '.spindle-new-abc'));
    writeFileSync(path.join(t.root, 'loose-file'), 'x');
    const volumes = await local.listVolumes();
    expect(volumes.map((v) => [v.name, v.usedBytes])).toEqual([
      ['alpha', 42],
      ['zeta', 0],
    ]);
    await expectVolumeError(local.getVolume('stray'), 'not-found', 'volume stray does not exist');
  });

  it('a failed create leaves no half-made volume or staging directory behind', async () => {
    const local = await t.start();
    mkdirSync(path.join(t.root, 'blocked', 'something'), { recursive: true });
    await expectVolumeError(
      local.createVolume('blocked', { quotaBytes: null }),
      'exists',
      /not a volume is in the way/,
    );
    expect(readdirSync(t.root)).toEqual(['blocked']);
    expect(await local.listVolumes()).toEqual([]);
    // An empty leftover directory of that name is simply taken over.
    mkdirSync(path.join(t.root, 'empty'));
    await expect(local.createVolume('empty', { quotaBytes: null })).resolves.toMatchObject({ name: 'empty' });
  });

  it('deletes a volume with all its files; a missing one is not-found', async () => {
    const local = await t.start();
    await local.createVolume('data', { quotaBytes: null });
    mkdirSync(path.join(t.data('data'), 'deep', 'er'), { recursive: true });
    writeFileSync(path.join(t.data('data'), 'deep', 'er', 'f'), 'x');
    await local.deleteVolume('data');
    expect(readdirSync(t.root)).toEqual([]);
    expect(await local.listVolumes()).toEqual([]);
    await expectVolumeError(local.deleteVolume('data'), 'not-found');
    await expectVolumeError(local.getVolume('data'), 'not-found');
  });

  it('deleting a volume with a symlink to outside removes the link, not what it points to', async () => {
    const local = await t.start();
    const outside = t.outside();
    await local.createVolume('data', { quotaBytes: null });
    symlinkSync(outside, path.join(t.data('data'), 'out'));
    await local.deleteVolume('data');
    expect(readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('do not touch');
  });

  it('mount returns the data directory of an existing volume', async () => {
    const local = await t.start();
    await local.createVolume('data', { quotaBytes: null });
    expect(await local.mount('data', { readOnly: true, jobId: 'j1' })).toEqual({ hostPath: t.data('data') });
    await expectVolumeError(local.mount('nope', { readOnly: false, jobId: 'j1' }), 'not-found');
  });

  it('usage counts regular files only, not symlinks', async () => {
    const local = await t.start();
    await local.createVolume('data', { quotaBytes: null });
    writeFileSync(path.join(t.data('data'), 'f'), 'x'.repeat(100));
    symlinkSync('/etc/passwd', path.join(t.data('data'), 'link'));
    expect((await local.getVolume('data')).usedBytes).toBe(100);
  });
});

describe('storage-local: clone', () => {
  // Isolated, storage-local cannot create links: Node 20's permission model forbids fs.symlink to a
  // process that may not read and write everything (docs: plugins/storage-local/docs/usage.md).
  it.skipIf(ISOLATED)('copies the files and keeps symlinks as links (same target text, never followed)', async () => {
    const local = await t.start();
    const outside = t.outside();
    await local.createVolume('src', { quotaBytes: null });
    const src = t.data('src');
    mkdirSync(path.join(src, 'dir', 'sub'), { recursive: true });
    writeFileSync(path.join(src, 'top.txt'), 'top');
    writeFileSync(path.join(src, 'dir', 'sub', 'deep.txt'), 'deep!');
    symlinkSync('dir/sub/deep.txt', path.join(src, 'relative-link'));
    symlinkSync(outside, path.join(src, 'outside-link'));

    const clone = await local.cloneVolume('src', 'copy', { quotaBytes: null });
    expect(clone).toEqual({ name: 'copy', usedBytes: 8, quotaBytes: null, createdAt: expect.stringMatching(ISO) });
    const copy = t.data('copy');
    expect(readFileSync(path.join(copy, 'dir', 'sub', 'deep.txt'), 'utf8')).toBe('deep!');
    expect(readlinkSync(path.join(copy, 'relative-link'))).toBe('dir/sub/deep.txt');
    expect(readlinkSync(path.join(copy, 'outside-link'))).toBe(outside);
    const listing = async (volume: string) =>
      (await local.listFiles(volume, '/')).map(({ path, type, size }) => ({ path, type, size }));
    expect(await listing('copy')).toEqual(await listing('src'));
    expect(await listing('copy')).toContainEqual({ path: 'relative-link', type: 'symlink', size: 16 });
    // Files keep their modification time.
    const mtime = async (volume: string) => (await local.listFiles(volume, 'dir/sub'))[0]!.modifiedAt;
    expect(await mtime('copy')).toBe(await mtime('src'));
    // A copy, not a shared tree.
    writeFileSync(path.join(copy, 'top.txt'), 'changed');
    expect(readFileSync(path.join(src, 'top.txt'), 'utf8')).toBe('top');
    expect((await local.listVolumes()).map((v) => v.name)).toEqual(['copy', 'src']);
  });

  it('refuses a missing source, a taken target, and a copy that would pass the quota (leaving nothing)', async () => {
    const local = await t.start();
    await local.createVolume('src', { quotaBytes: null });
    await local.createVolume('taken', { quotaBytes: null });
    writeFileSync(path.join(t.data('src'), 'f'), 'x'.repeat(100));
    await expectVolumeError(local.cloneVolume('nope', 'new', { quotaBytes: null }), 'not-found');
    await expectVolumeError(local.cloneVolume('src', 'taken', { quotaBytes: null }), 'exists');
    await expectVolumeError(
      local.cloneVolume('src', 'small', { quotaBytes: 99 }),
      'quota-exceeded',
      "a copy of volume src (100 bytes) would use 100 bytes of volume small's 99 bytes quota",
    );
    expect(readdirSync(t.root).sort()).toEqual(['src', 'taken']);
    await expect(local.cloneVolume('src', 'fits', { quotaBytes: 100 })).resolves.toMatchObject({
      usedBytes: 100,
      quotaBytes: 100,
    });
  });
});

describe('storage-local: quotas and config', () => {
  it('defaults root to <dataDir>/volumes', async () => {
    const local = await t.start({ root: undefined });
    await local.createVolume('data', { quotaBytes: null });
    const { hostPath } = await local.mount('data', { readOnly: false, jobId: 'j' });
    expect(hostPath).toMatch(/spindle-testkit-[^/]+\/data\/storage-local\/volumes\/data\/data$/);
    expect(existsSync(hostPath)).toBe(true);
  });

  it('gives a volume created or cloned without a quota defaultQuotaBytes; an explicit quota wins', async () => {
    const local = await t.start({ defaultQuotaBytes: 5000 });
    expect((await local.createVolume('a', { quotaBytes: null })).quotaBytes).toBe(5000);
    expect((await local.createVolume('b', { quotaBytes: 10 })).quotaBytes).toBe(10);
    expect((await local.cloneVolume('b', 'c', { quotaBytes: null })).quotaBytes).toBe(5000);
    expect((await local.getVolume('a')).quotaBytes).toBe(5000);
  });

  it('without defaultQuotaBytes a new volume has no limit', async () => {
    const local = await t.start();
    expect((await local.createVolume('a', { quotaBytes: null })).quotaBytes).toBeNull();
  });

  it('maxQuotaBytes refuses a higher quota, or none, on create, clone and setQuota; it is the default when none is set', async () => {
    const local = await t.start({ maxQuotaBytes: 1024 });
    expect((await local.createVolume('a', { quotaBytes: null })).quotaBytes).toBe(1024);
    const above = await rejection(local.createVolume('b', { quotaBytes: 2048 }));
    expect(above).toEqual({
      status: 400,
      kind: undefined,
      message:
        'a quota of 2.0 KiB (2048 bytes) is above the highest quota this storage backend allows, 1.0 KiB (1024 bytes)',
    });
    expect(await rejection(local.cloneVolume('a', 'b', { quotaBytes: 4096 }))).toMatchObject({ status: 400 });
    expect(await rejection(local.setQuota('a', 1025))).toMatchObject({ status: 400 });
    expect(await rejection(local.setQuota('a', null))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^no limit is above/),
    });
    expect((await local.setQuota('a', 1000)).quotaBytes).toBe(1000);
    expect((await local.listVolumes()).map((v) => v.name)).toEqual(['a']);
  });

  it('refuses a config whose default is above the maximum, or with unknown keys', async () => {
    await expect(t.start({ defaultQuotaBytes: 10, maxQuotaBytes: 5 })).rejects.toThrow(
      /defaultQuotaBytes \(10 bytes\) is above maxQuotaBytes \(5 bytes\)/,
    );
    await expect(t.start({ quota: 5 })).rejects.toThrow(/additional properties/);
    await expect(t.start({ defaultQuotaBytes: -1 })).rejects.toThrow(/>= 0/);
  });

  it('setQuota below the usage is allowed: it keeps every file and blocks further uploads', async () => {
    const local = await t.start();
    await local.createVolume('data', { quotaBytes: null });
    await local.putFile('data', 'f', { sourceFile: t.source('x'.repeat(100)), overwrite: false });
    expect(await local.setQuota('data', 50)).toMatchObject({ usedBytes: 100, quotaBytes: 50 });
    expect(JSON.parse(readFileSync(path.join(t.root, 'data', 'volume.json'), 'utf8')).quotaBytes).toBe(50);
    await expectVolumeError(
      local.putFile('data', 'g', { sourceFile: t.source('y'), overwrite: false }),
      'quota-exceeded',
    );
    expect(readFileSync(path.join(t.data('data'), 'f'), 'utf8')).toHaveLength(100);
    expect((await local.setQuota('data', null)).quotaBytes).toBeNull();
    await expect(local.putFile('data', 'g', { sourceFile: t.source('y'), overwrite: false })).resolves.toMatchObject({
      path: 'g',
      size: 1,
    });
    await expectVolumeError(local.setQuota('nope', 1), 'not-found');
  });
});
