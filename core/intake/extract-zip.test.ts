import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeHome, tempHome } from '../../tests/hostile/bundle.js';
import { rawZip } from '../../tests/hostile/raw-zip.js';
import { createStagingDir, DIR_MODE, extractZip, FILE_MODE } from './extract-zip.js';
import { inspectZip } from './inspect-zip.js';
import { DEFAULT_ZIP_LIMITS } from './zip-limits.js';

let home: string;
beforeEach(async () => {
  home = await tempHome();
});
afterEach(async () => {
  await removeHome(home);
});

const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o7777;

describe('createStagingDir', () => {
  it('makes a fresh dir under <home>/staging each time', async () => {
    const a = await createStagingDir(home);
    const b = await createStagingDir(home);
    expect(a).not.toBe(b);
    expect(path.dirname(a)).toBe(path.join(home, 'staging'));
    expect(await readdir(a)).toEqual([]);
  });
});

describe('extractZip', () => {
  it('writes files and implied parent dirs with reset modes', async () => {
    const zip = rawZip([
      { name: 'bin/tool', data: '#!/bin/sh\necho hi', mode: 0o106777 },
      { name: 'deep/a/b/c.txt', data: 'c', mode: 0o100600 },
      { name: 'open/', mode: 0o041777 },
      { name: 'empty.txt' },
    ]);
    const dir = await createStagingDir(home);
    await extractZip(inspectZip(zip, DEFAULT_ZIP_LIMITS), dir);
    expect(await readFile(path.join(dir, 'bin/tool'), 'utf8')).toBe('#!/bin/sh\necho hi');
    expect(await readFile(path.join(dir, 'empty.txt'), 'utf8')).toBe('');
    for (const file of ['bin/tool', 'deep/a/b/c.txt', 'empty.txt'])
      expect(await mode(path.join(dir, file))).toBe(FILE_MODE);
    for (const sub of ['bin', 'deep', 'deep/a', 'deep/a/b', 'open'])
      expect(await mode(path.join(dir, sub))).toBe(DIR_MODE);
  });

  it('handles a directory entry listed after its contents', async () => {
    const zip = rawZip([
      { name: 'assets/x.txt', data: 'x' },
      { name: 'assets/', mode: 0o040755 },
    ]);
    const dir = await createStagingDir(home);
    await extractZip(inspectZip(zip, DEFAULT_ZIP_LIMITS), dir);
    expect(await readdir(path.join(dir, 'assets'))).toEqual(['x.txt']);
  });

  it('never overwrites a file that is already there', async () => {
    const entries = inspectZip(rawZip([{ name: 'a.txt', data: 'first' }]), DEFAULT_ZIP_LIMITS);
    const dir = await createStagingDir(home);
    await extractZip(entries, dir);
    await expect(extractZip(entries, dir)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('first');
  });
});
