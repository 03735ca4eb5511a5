import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { afterEach, describe, expect, it } from 'vitest';
import { packDirectory } from './pack-directory.js';

const roots: string[] = [];
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'spindle-pack-'));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

function entries(zip: Buffer): Record<string, string> {
  return Object.fromEntries(new AdmZip(zip).getEntries().map((e) => [e.entryName, e.getData().toString()]));
}

describe('packDirectory', () => {
  it('packs files, skipping the fixed excludes and what .spindleignore lists, with re-includes', async () => {
    const dir = tree({
      'job.yaml': 'name: a',
      'data/keep.csv': '1',
      'data/big.csv': '2',
      'build/x': 'x',
      'out.log': 'log',
      'important.log': 'keep',
      '.spindleignore': '# comment\n*.log\n!important.log\ndata/big.csv\nbuild/\n',
      '.venv/lib/x.py': 'x',
      'pkg/__pycache__/m.pyc': 'x',
      'pkg/m.py': 'm',
      'pkg/dist/y': 'y',
    });
    const packed = await packDirectory(dir);
    expect(packed.files).toEqual(['.spindleignore', 'data/keep.csv', 'important.log', 'job.yaml', 'pkg/m.py']);
    expect(entries(packed.zip)['pkg/m.py']).toBe('m');
  });

  it('packs links inside the directory as plain files, once, and never loops on a link back up', async () => {
    const dir = tree({ 'lib/util.py': 'u', 'job.yaml': 'j' });
    symlinkSync(path.join(dir, 'lib/util.py'), path.join(dir, 'util.py'));
    symlinkSync('..', path.join(dir, 'lib/up'));
    const packed = await packDirectory(dir);
    expect(packed.files).toEqual(['job.yaml', 'lib/util.py', 'util.py']);
    expect(entries(packed.zip)['util.py']).toBe('u');
  });

  it('refuses links out of the directory and broken links, unless they are ignored', async () => {
    const outside = tree({ 'secret.txt': 's' });
    const dir = tree({ 'job.yaml': 'j' });
    symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'leak.txt'));
    await expect(packDirectory(dir)).rejects.toThrow(
      /leak\.txt in .* is a symbolic link to .*secret\.txt, outside the job directory/,
    );
    writeFileSync(path.join(dir, '.spindleignore'), 'leak.txt\n');
    expect((await packDirectory(dir)).files).toEqual(['.spindleignore', 'job.yaml']);
    symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
    await expect(packDirectory(dir)).rejects.toThrow(/dangling in .* is a broken symbolic link/);
  });

  it('leaves out the excluded files and refuses an archive over the limit', async () => {
    const dir = tree({ 'job.yaml': 'j', 'secrets.env': 'K=v', 'blob.bin': 'z'.repeat(4096) });
    expect((await packDirectory(dir, { exclude: [path.join(dir, 'secrets.env')] })).files).toEqual([
      'blob.bin',
      'job.yaml',
    ]);
    await expect(packDirectory(dir, { maxBytes: 1000 })).rejects.toThrow(
      /blob\.bin is 4\.0 KiB, over the 1000 bytes upload limit/,
    );
    // Random bytes do not compress: the archive outgrows the limit though no file does.
    writeFileSync(path.join(dir, 'blob.bin'), randomBytes(900));
    await expect(packDirectory(dir, { maxBytes: 1000 })).rejects.toThrow(
      /packs to .* over the .* limit; largest files: blob\.bin/,
    );
  });
});
