/**
 * One-at-a-time per key: `run(key, fn)` starts `fn` once every earlier `run` of the same key has
 * settled. The storage backend serialises writes per volume with it, so two uploads cannot both
 * pass the quota check.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Run `fn` holding every key (sorted, so two callers cannot deadlock). */
  runAll<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const [first, ...rest] = [...new Set(keys)].sort();
    if (first === undefined) return fn();
    return this.run(first, () => this.runAll(rest, fn));
  }

  /** Keys with a run pending or in progress (for tests). */
  get size(): number {
    return this.tails.size;
  }
}
