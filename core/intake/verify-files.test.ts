import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeHome, sha256, tempHome } from '../../tests/hostile/bundle.js';
import { verifyFiles } from './verify-files.js';

let dir: string;
beforeEach(async () => {
  dir = await tempHome();
  await mkdir(path.join(dir, 'dist'));
  await writeFile(path.join(dir, 'dist/index.cjs'), 'main');
  await writeFile(path.join(dir, 'README.md'), 'readme');
});
afterEach(async () => {
  await removeHome(dir);
});

describe('verifyFiles', () => {
  it('accepts matching hashes', async () => {
    await expect(
      verifyFiles(dir, { 'dist/index.cjs': sha256('main'), 'README.md': sha256('readme') }, 'p'),
    ).resolves.toBeUndefined();
  });

  it('lists every mismatch and missing file, naming the plugin', async () => {
    const error = await verifyFiles(
      dir,
      { 'dist/index.cjs': sha256('other'), 'README.md': sha256('readme'), 'gone.txt': sha256('x'), dist: sha256('x') },
      'my-plugin',
    ).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({
      code: 'KRN_ERR_HASH_MISMATCH',
      details: { plugin: 'my-plugin', file: 'dist/index.cjs' },
    });
    const message = (error as Error).message;
    expect(message).toContain(
      `plugin my-plugin: "dist/index.cjs" has sha256 ${sha256('main')}, but "files" says ${sha256('other')}`,
    );
    expect(message).toContain('"gone.txt" is listed in "files" but is not a file in the bundle');
    expect(message).toContain('"dist" is listed');
    expect(message).not.toContain('README.md');
  });

  it.each(['../outside.txt', '/etc/passwd', 'dist\\index.cjs', 'dist/'])(
    'refuses the unsafe listed path %j',
    async (file) => {
      await expect(verifyFiles(dir, { [file]: sha256('x') }, 'p')).rejects.toMatchObject({
        code: 'KRN_ERR_MANIFEST_INVALID',
        details: { file },
      });
    },
  );
});
