import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyed-mutex.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('KeyedMutex', () => {
  it('runs one task per key at a time, in order, and different keys side by side', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([
      mutex.run('a', task('a1')),
      mutex.run('a', task('a2')),
      mutex.run('b', task('b1')),
    ]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('a1 end')).toBeLessThan(log.indexOf('a2 start'));
    expect(log.indexOf('b1 start')).toBeLessThan(log.indexOf('a1 end'));
    expect(mutex.size).toBe(0);
  });

  it('goes on after a task that throws, and passes the error to its caller only', async () => {
    const mutex = new KeyedMutex();
    const failing = mutex.run('a', async () => {
      throw new Error('boom');
    });
    const next = mutex.run('a', async () => 'next');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
  });

  it('runAll holds every key, and two callers naming the same keys in another order do not deadlock', async () => {
    const mutex = new KeyedMutex();
    let inside = 0;
    let most = 0;
    const critical = async () => {
      most = Math.max(most, ++inside);
      await tick();
      inside--;
    };
    await Promise.all([
      mutex.runAll(['a', 'b'], critical),
      mutex.runAll(['b', 'a'], critical),
      mutex.run('a', critical),
      mutex.runAll([], critical),
    ]);
    // runAll([]) holds nothing, so at most it overlaps one holder of a and b.
    expect(most).toBeLessThanOrEqual(2);
    expect(mutex.size).toBe(0);
  });
});
