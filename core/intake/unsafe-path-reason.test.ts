import { describe, expect, it } from 'vitest';
import { unsafePathReason } from './unsafe-path-reason.js';

describe('unsafePathReason', () => {
  it.each(['plugin.json', 'dist/index.cjs', 'assets/web/app.min.js', 'docs/ünïcode.md', '..hidden', 'a..b/c', '.env'])(
    'accepts %j',
    (name) => {
      expect(unsafePathReason(name)).toBeUndefined();
    },
  );

  it.each([
    ['', 'empty name'],
    ['../x', "'..' segment"],
    ['a/../../x', "'..' segment"],
    ['a/..', "'..' segment"],
    ['/etc/passwd', 'absolute path'],
    ['a\\b', 'backslash'],
    ['C:/x', 'drive letter'],
    ['c:x', 'drive letter'],
    ['a/b:stream', "contains ':'"],
    ['a\u0000b', 'NUL'],
    ['a\u0007b', 'control character'],
    ['a\u0085b', 'control character'],
    ['a\ufffdb', 'not valid UTF-8'],
    ['a\u202eb', 'text-direction'],
    ['a//b', 'empty path segment'],
    ['./a', "'.' segment"],
    ['a/', 'empty path segment'],
    ['x'.repeat(256), 'longer than 255'],
    [`${'abc/'.repeat(300)}x`, 'longer than 1024'],
  ])('refuses %j (%s)', (name, why) => {
    expect(unsafePathReason(name)).toContain(why);
  });

  it('allows one trailing slash for a directory entry, and only when asked', () => {
    expect(unsafePathReason('assets/', { allowDirectory: true })).toBeUndefined();
    expect(unsafePathReason('assets//', { allowDirectory: true })).toContain('empty path segment');
    expect(unsafePathReason('/', { allowDirectory: true })).toContain('absolute');
  });
});
