import { describe, expect, it } from 'vitest';
import { createIgnoreMatcher, globToRegExpSource } from './ignore.js';

describe('createIgnoreMatcher', () => {
  const matcher = createIgnoreMatcher(
    ['# comment', '', '*.log', 'assets/tmp/', '/assets/secret.txt', 'assets/**/*.bak', 'cache/', '!keep.log'].join(
      '\n',
    ),
  );

  it('matches unanchored globs at any depth', () => {
    expect(matcher('assets/a.log')).toBe(true);
    expect(matcher('assets/deep/x/a.log')).toBe(true);
    expect(matcher('assets/a.txt')).toBe(false);
  });

  it('re-includes with ! (last match wins)', () => {
    expect(matcher('assets/keep.log')).toBe(false);
  });

  it('treats a trailing slash as directories only', () => {
    expect(matcher('assets/tmp/file.txt')).toBe(true);
    expect(matcher('assets/tmp')).toBe(false);
    expect(matcher('assets/x/cache/y.txt')).toBe(true);
  });

  it('anchors patterns with a slash to the root', () => {
    expect(matcher('assets/secret.txt')).toBe(true);
    expect(matcher('assets/sub/assets/secret.txt')).toBe(false);
  });

  it('lets ** span directories', () => {
    expect(matcher('assets/a.bak')).toBe(true);
    expect(matcher('assets/a/b/c.bak')).toBe(true);
  });

  it('always drops node_modules, top-level src and tests, and *.test.ts', () => {
    const plain = createIgnoreMatcher('!node_modules/');
    expect(plain('assets/node_modules/x/index.js')).toBe(true);
    expect(plain('src/index.ts')).toBe(true);
    expect(plain('tests/a.txt')).toBe(true);
    expect(plain('assets/a.test.ts')).toBe(true);
    expect(plain('assets/src/app.js')).toBe(false);
  });

  it('escapes regex characters', () => {
    expect(new RegExp(`^${globToRegExpSource('a+b(1).txt')}$`).test('a+b(1).txt')).toBe(true);
  });
});
