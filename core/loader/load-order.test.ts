import { describe, expect, it } from 'vitest';
import { KernelError } from '../errors/kernel-error.js';
import { loadOrder } from './load-order.js';

describe('loadOrder', () => {
  it('puts dependencies first and keeps input order otherwise', () => {
    const deps = new Map([
      ['c', ['a']],
      ['b', []],
      ['a', ['b']],
      ['d', []],
    ]);
    expect(loadOrder(deps)).toEqual(['b', 'a', 'c', 'd']);
  });

  it('ignores dependencies that are not in the set', () => {
    expect(loadOrder(new Map([['a', ['missing']]]))).toEqual(['a']);
  });

  it('refuses a cycle and names it', () => {
    const deps = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    try {
      loadOrder(deps);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KernelError);
      expect((error as KernelError).code).toBe('KRN_ERR_DEPENDENCY_CYCLE');
      expect((error as KernelError).message).toContain('a -> b -> c -> a');
    }
  });
});
