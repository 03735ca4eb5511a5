import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { volumeErrorKind } from 'spindle/plugin-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectVolumeError } from './storage-harness.js';
import { confinePath, normalizeVolumePath, openNoFollow } from './volume-path.js';

function refusal(raw: string): { kind: unknown; message: string } {
  try {
    normalizeVolumePath(raw);
  } catch (error) {
    return { kind: volumeErrorKind(error), message: (error as Error).message };
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
}

describe('normalizeVolumePath', () => {
  it('drops a leading /, empty and . segments; the root is ""', () => {
    expect(normalizeVolumePath('a/b.txt')).toBe('a/b.txt');
    expect(normalizeVolumePath('/a/b.txt')).toBe('a/b.txt');
    expect(normalizeVolumePath('a//b/./c/')).toBe('a/b/c');
    expect(normalizeVolumePath('./a')).toBe('a');
    expect(normalizeVolumePath('')).toBe('');
    expect(normalizeVolumePath('/')).toBe('');
    expect(normalizeVolumePath('a..b/...')).toBe('a..b/...');
  });

  it.each(['../x', 'a/../../x', '/../x', '..', 'a/..', 'a/../b', './../x', '/a/b/../../..'])(
    'refuses %j (a .. segment) as invalid-path, naming the path',
    (raw) => {
      const { kind, message } = refusal(raw);
      expect(kind).toBe('invalid-path');
      expect(message).toContain(JSON.stringify(raw));
      expect(message).toMatch(/\.\. segment/);
    },
  );

  it('refuses backslashes and NUL bytes', () => {
    expect(refusal('a\\b')).toMatchObject({ kind: 'invalid-path', message: expect.stringMatching(/backslash/) });
    expect(refusal('..\\x')).toMatchObject({ kind: 'invalid-path' });
    expect(refusal('a\0b')).toMatchObject({ kind: 'invalid-path', message: expect.stringMatching(/NUL/) });
  });

  it('refuses names and paths too long for the filesystem', () => {
    expect(refusal(`a/${'x'.repeat(256)}`)).toMatchObject({
      kind: 'invalid-path',
      message: expect.stringMatching(/longer than 255/),
    });
    expect(refusal('abcdefgh/'.repeat(500))).toMatchObject({
      kind: 'invalid-path',
      message: expect.stringMatching(/longer than 4096/),
    });
    expect(normalizeVolumePath('x'.repeat(255))).toBe('x'.repeat(255));
  });
});

describe('confinePath', () => {
  let tmp: string;
  let data: string;
  let outside: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'volume-path-'));
    data = path.join(tmp, 'vol', 'data');
    outside = path.join(tmp, 'outside');
    mkdirSync(path.join(data, 'sub', 'deeper'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'secret'), 'x');
    writeFileSync(path.join(data, 'sub', 'file.txt'), 'x');
    symlinkSync(outside, path.join(data, 'out'));
    symlinkSync('../../../outside', path.join(data, 'sub', 'up'));
    symlinkSync('deeper', path.join(data, 'sub', 'in'));
    symlinkSync(path.join(outside, 'secret'), path.join(data, 'secret-link'));
    symlinkSync(path.join(tmp, 'missing', 'dir'), path.join(data, 'dangling'));
    symlinkSync('loop', path.join(data, 'loop'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const follow = { followLast: true };

  it('maps paths inside the volume, existing or not, to the data dir', async () => {
    expect(await confinePath(data, '/sub/file.txt', follow)).toEqual({
      rel: 'sub/file.txt',
      abs: path.join(data, 'sub', 'file.txt'),
    });
    expect(await confinePath(data, 'new/dirs/file', follow)).toEqual({
      rel: 'new/dirs/file',
      abs: path.join(data, 'new', 'dirs', 'file'),
    });
    expect((await confinePath(data, 'sub/in/x', follow)).abs).toBe(path.join(data, 'sub', 'in', 'x'));
  });

  it('accepts the root only when allowed', async () => {
    expect(await confinePath(data, '/', { ...follow, allowRoot: true })).toEqual({ rel: '', abs: data });
    await expectVolumeError(confinePath(data, '/', follow), 'invalid-path', /volume root/);
    await expectVolumeError(confinePath(data, '', { followLast: false }), 'invalid-path', /volume root/);
  });

  it('refuses a path through a symlink that points outside, existing beyond it or not', async () => {
    for (const raw of ['out', 'out/secret', 'out/missing/file', 'sub/up', 'sub/up/secret', 'secret-link']) {
      await expectVolumeError(confinePath(data, raw, follow), 'invalid-path', /leads outside the volume/);
    }
    await expectVolumeError(
      confinePath(data, 'sub/up/secret', follow),
      'invalid-path',
      /through the symlink "sub\/up"/,
    );
  });

  it('without followLast checks only the parent, so a link itself can be removed or replaced', async () => {
    expect((await confinePath(data, 'out', { followLast: false })).rel).toBe('out');
    expect((await confinePath(data, 'secret-link', { followLast: false })).rel).toBe('secret-link');
    await expectVolumeError(confinePath(data, 'out/secret', { followLast: false }), 'invalid-path');
    await expectVolumeError(confinePath(data, 'out/new', { followLast: false }), 'invalid-path');
  });

  it('refuses a path through a symlink to nothing (it could be created outside) or a loop', async () => {
    await expectVolumeError(confinePath(data, 'dangling/x', follow), 'invalid-path', /points at nothing/);
    await expectVolumeError(confinePath(data, 'loop/x', follow), 'invalid-path', /"loop", a loop of symlinks/);
    expect((await confinePath(data, 'dangling', { followLast: false })).rel).toBe('dangling');
  });

  it('works when the data dir itself is reached through a symlink', async () => {
    symlinkSync(path.join(tmp, 'vol'), path.join(tmp, 'vol-link'));
    const viaLink = path.join(tmp, 'vol-link', 'data');
    expect((await confinePath(viaLink, 'sub/file.txt', follow)).abs).toBe(path.join(viaLink, 'sub', 'file.txt'));
    await expectVolumeError(confinePath(viaLink, 'out/secret', follow), 'invalid-path');
  });

  it('refuses a symlink into a sibling directory that merely shares the prefix', async () => {
    mkdirSync(path.join(tmp, 'vol', 'data-other'));
    symlinkSync('../data-other', path.join(data, 'twin'));
    await expectVolumeError(confinePath(data, 'twin/x', follow), 'invalid-path');
  });
});

describe('openNoFollow', () => {
  it('opens a regular file and refuses a symlink at the last component (ELOOP)', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'volume-path-'));
    try {
      writeFileSync(path.join(tmp, 'file'), 'content');
      symlinkSync(path.join(tmp, 'file'), path.join(tmp, 'link'));
      const handle = await openNoFollow(path.join(tmp, 'file'));
      expect((await handle.readFile()).toString()).toBe('content');
      await handle.close();
      await expect(openNoFollow(path.join(tmp, 'link'))).rejects.toMatchObject({ code: 'ELOOP' });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
