import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diskUsage } from './disk-usage.js';

describe('diskUsage', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'disk-usage-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('adds up the regular files in every subdirectory', async () => {
    mkdirSync(path.join(tmp, 'a', 'b'), { recursive: true });
    writeFileSync(path.join(tmp, 'one'), 'x'.repeat(10));
    writeFileSync(path.join(tmp, 'a', 'two'), 'x'.repeat(20));
    writeFileSync(path.join(tmp, 'a', 'b', 'three'), 'x'.repeat(30));
    expect(await diskUsage(tmp)).toBe(60);
  });

  it('does not follow symlinks: a link to a big file or a directory outside counts nothing', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'disk-usage-outside-'));
    try {
      writeFileSync(path.join(outside, 'big'), 'x'.repeat(5000));
      mkdirSync(path.join(tmp, 'in'));
      symlinkSync(path.join(outside, 'big'), path.join(tmp, 'in', 'big-link'));
      symlinkSync(outside, path.join(tmp, 'dir-link'));
      writeFileSync(path.join(tmp, 'small'), 'abc');
      expect(await diskUsage(tmp)).toBe(3);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('is 0 for a missing or empty directory', async () => {
    expect(await diskUsage(tmp)).toBe(0);
    expect(await diskUsage(path.join(tmp, 'missing'))).toBe(0);
  });
});
