import { isPluginError } from 'spindle/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { checkVolumeName } from './volume-name.js';

describe('checkVolumeName', () => {
  it.each(['data', 'A', '0', 'my-volume_2.bak', 'x'.repeat(63)])('accepts %j', (name) => {
    expect(checkVolumeName(name)).toBe(name);
  });

  it.each(['', '.hidden', '..', '-x', '_x', 'a/b', '../x', 'a b', 'ä', 'x'.repeat(64), 'a\0'])(
    'refuses %j with a 400 naming the rule',
    (name) => {
      let error: unknown;
      try {
        checkVolumeName(name);
      } catch (e) {
        error = e;
      }
      expect(isPluginError(error) && error.status).toBe(400);
      expect((error as Error).message).toMatch(/is invalid: use 1 to 63 letters, digits/);
    },
  );
});
