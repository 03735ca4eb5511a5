import { KernelError } from '../errors/kernel-error.js';

/**
 * Lifecycle operations (install, swap, config, …) one at a time, in arrival order. After each,
 * `after` runs (jobs follow target changes) before the next operation starts, but after the
 * caller has its answer. Once closed, new operations are refused.
 */
export class LifecycleQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly after: () => Promise<void>) {}

  get isClosed(): boolean {
    return this.closed;
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new KernelError('KRN_ERR_SHUTTING_DOWN', 'the kernel is stopping'));
    const done = this.tail.then(work);
    this.tail = done.catch(() => undefined).then(() => (this.closed ? undefined : this.after()));
    return done;
  }

  /** Run `work` as the last operation; everything after it is refused. */
  close<T>(work: () => Promise<T>): Promise<T> {
    const done = this.run(work);
    this.closed = true;
    return done;
  }
}
