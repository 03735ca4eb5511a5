import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { placeFile } from './place-file.js';

// /dev/shm is a tmpfs on Linux: another filesystem than the temp dir, which makes rename fail with EXDEV.
const otherFs =
  existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(os.tmpdir()).dev ? '/dev/shm' : undefined;

describe('placeFile', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'place-file-'));
    mkdirSync(path.join(tmp, 'dir'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('moves the source into place, replacing what was there, and leaves no temp file', async () => {
    const source = path.join(tmp, 'source');
    const target = path.join(tmp, 'dir', 'file');
    writeFileSync(target, 'old');
    writeFileSync(source, 'new content', { mode: 0o600 });
    await placeFile(source, target);
    expect(readFileSync(target, 'utf8')).toBe('new content');
    // Readable by a job that mounts the volume as a user of its own.
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(existsSync(source)).toBe(false);
    expect(readdirSync(path.join(tmp, 'dir'))).toEqual(['file']);
  });

  it.skipIf(!otherFs)('copies across filesystems (EXDEV), then removes the source', async () => {
    const shm = mkdtempSync(path.join(otherFs!, 'place-file-'));
    try {
      const source = path.join(shm, 'source');
      writeFileSync(source, 'from another filesystem');
      await placeFile(source, path.join(tmp, 'dir', 'file'));
      expect(readFileSync(path.join(tmp, 'dir', 'file'), 'utf8')).toBe('from another filesystem');
      expect(existsSync(source)).toBe(false);
      expect(readdirSync(path.join(tmp, 'dir'))).toEqual(['file']);
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
  });

  it('on failure gives the source back and leaves no temp file', async () => {
    const source = path.join(tmp, 'source');
    writeFileSync(source, 'keep me');
    mkdirSync(path.join(tmp, 'dir', 'busy'));
    writeFileSync(path.join(tmp, 'dir', 'busy', 'inside'), 'x');
    await expect(placeFile(source, path.join(tmp, 'dir', 'busy'))).rejects.toThrow();
    expect(readFileSync(source, 'utf8')).toBe('keep me');
    expect(readdirSync(path.join(tmp, 'dir'))).toEqual(['busy']);
  });
});
