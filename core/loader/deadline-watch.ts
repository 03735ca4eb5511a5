/**
 * Time limits for many short async calls without a timer each. A timer per call, or even a
 * `Date.now()` per call, cost more than the hook call itself (bench/hook-dispatch.ts), so:
 * - the clock is coarse: a shared ticker refreshes `now` every TICK_MS;
 * - calls with the same limit expire in the order they started, so each limit keeps a FIFO; a
 *   finished call is only marked `done` and skipped when it reaches the head.
 * A call may so run up to one tick past its limit before it is failed.
 */
export interface Watched {
  /** Set by the caller when the call finished in time; the watch then forgets it. */
  done: boolean;
}

interface Entry extends Watched {
  deadline: number;
  expire(): void;
}

const TICK_MS = 25;
const IDLE_STOP_MS = 1_000;
const queues = new Map<number, { items: Entry[]; head: number }>();
let now = 0;
let lastUse = 0;
let ticker: NodeJS.Timeout | undefined;

function tick(): void {
  now = Date.now();
  let pending = 0;
  for (const queue of queues.values()) {
    const { items } = queue;
    while (queue.head < items.length) {
      const entry = items[queue.head]!;
      if (!entry.done) {
        if (entry.deadline > now) break;
        entry.done = true;
        entry.expire();
      }
      queue.head++;
    }
    if (queue.head === items.length) {
      items.length = 0;
      queue.head = 0;
    } else if (queue.head > 1024) {
      queue.items = items.slice(queue.head);
      queue.head = 0;
    }
    pending += queue.items.length - queue.head;
  }
  if (pending === 0 && now - lastUse > IDLE_STOP_MS) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

/** Call `expire` once unless the returned handle is marked `done` within about `ms`. */
export function watchDeadline(ms: number, expire: () => void): Watched {
  if (!ticker) {
    now = Date.now();
    ticker = setInterval(tick, TICK_MS);
    ticker.unref();
  }
  lastUse = now;
  const entry: Entry = { done: false, deadline: now + ms, expire };
  let queue = queues.get(ms);
  if (!queue) queues.set(ms, (queue = { items: [], head: 0 }));
  // Skip what finished already, so a burst between two ticks does not pile up.
  while (queue.head < queue.items.length && queue.items[queue.head]!.done) queue.head++;
  if (queue.head === queue.items.length) {
    queue.items.length = 0;
    queue.head = 0;
  }
  queue.items.push(entry);
  return entry;
}
