/**
 * Time limits for many short async calls without a timer each. A timer per call, or a
 * `Date.now()` per call, costs more than a hook call itself (bench/hook-dispatch.ts), so:
 * - the clock is coarse: a shared ticker refreshes `now` every TICK_MS while calls are watched;
 * - most calls end within the turn of the event loop that started them, so a new call only goes
 *   into a small per-turn buffer; at the end of the turn (`setImmediate`) the calls still running
 *   move to their limit's queue. Keeping every call in a long-lived structure was the slow part;
 * - calls with the same limit expire in the order they started, so each limit keeps a ring
 *   buffer; a finished call is only marked `done` and dropped when it reaches the head.
 * A call may so run up to one tick past its limit before it expires.
 */
export interface Watched {
  /** Set by the caller when the call finished in time; the watch then forgets it. */
  done: boolean;
  /** When the limit passes; set by the queue. */
  deadline: number;
  /** Called once, when the limit passed and `done` is still false (the queue sets `done`). */
  expire(): void;
  /** The queue watching it; set by the queue. */
  queue: DeadlineQueue | undefined;
}

const TICK_MS = 25;
const IDLE_STOP_MS = 1_000;
const TURN_SIZE = 1024;
// Fields of objects, not module `let`s: on this hot path the difference was measurable.
const clock: { now: number; lastUse: number; ticker: NodeJS.Timeout | undefined } = {
  now: Date.now(),
  lastUse: 0,
  ticker: undefined,
};
// A fresh buffer each turn: storing a new call into a long-lived array costs a write barrier.
const turn = { calls: new Array<Watched>(TURN_SIZE), size: 0 };
const queues = new Set<DeadlineQueue>();

function tick(): void {
  const now = (clock.now = Date.now());
  let pending = turn.size;
  for (const queue of queues) pending += queue.sweep(now);
  if (pending === 0 && now - clock.lastUse > IDLE_STOP_MS) {
    clearInterval(clock.ticker);
    clock.ticker = undefined;
  }
}

/** Move the calls of this turn that still run into their queues (in start order). */
function endTurn(): void {
  const { calls, size } = turn;
  turn.calls = new Array<Watched>(TURN_SIZE);
  turn.size = 0;
  for (let i = 0; i < size; i++) {
    const call = calls[i]!;
    if (!call.done) call.queue!.keep(call);
  }
}

/** One limit's calls, oldest first. Get one with `deadlineQueue(ms)`; keep it (it is per limit). */
export class DeadlineQueue {
  private ring: (Watched | undefined)[] = new Array<Watched | undefined>(64).fill(undefined);
  private mask = 63;
  private head = 0;
  private tail = 0;

  constructor(readonly limitMs: number) {}

  /** Watch `call`: its `expire` runs once unless `done` is set within about `limitMs`. */
  watch(call: Watched): void {
    if (clock.ticker === undefined) {
      clock.now = Date.now();
      clock.ticker = setInterval(tick, TICK_MS);
      clock.ticker.unref();
    }
    call.deadline = (clock.lastUse = clock.now) + this.limitMs;
    call.queue = this;
    if (turn.size === 0) setImmediate(endTurn);
    else if (turn.size === TURN_SIZE) endTurn();
    turn.calls[turn.size++] = call;
  }

  /** A call that outlived its turn. */
  keep(call: Watched): void {
    const { ring } = this;
    // Drop what finished already, so the ring does not grow with calls that are over.
    while (this.head !== this.tail && ring[this.head & this.mask]!.done) ring[this.head++ & this.mask] = undefined;
    if (this.head === this.tail) this.head = this.tail = 0;
    if (this.tail - this.head === ring.length) this.grow();
    this.ring[this.tail++ & this.mask] = call;
  }

  /** Expire what is due; returns how many calls are still watched. */
  sweep(at: number): number {
    const { ring, mask } = this;
    while (this.head !== this.tail) {
      const call = ring[this.head & mask]!;
      if (!call.done) {
        if (call.deadline > at) break;
        call.done = true;
        call.expire();
      }
      ring[this.head++ & mask] = undefined;
    }
    return this.tail - this.head;
  }

  private grow(): void {
    const bigger = new Array<Watched | undefined>(this.ring.length * 2).fill(undefined);
    const mask = bigger.length - 1;
    for (let i = this.head; i < this.tail; i++) bigger[i & mask] = this.ring[i & this.mask];
    this.ring = bigger;
    this.mask = mask;
  }
}

const byLimit = new Map<number, DeadlineQueue>();

/** The queue of calls with limit `ms` (one per distinct limit, shared). */
export function deadlineQueue(ms: number): DeadlineQueue {
  let queue = byLimit.get(ms);
  if (!queue) {
    queue = new DeadlineQueue(ms);
    byLimit.set(ms, queue);
    queues.add(queue);
  }
  return queue;
}
