/**
 * A tournament tree over one group of agents. Every node keeps, for its subtree, the largest free
 * amount per slot and the best (key, tie) pair: key is the agent's rank from its free capacity
 * (lower is preferred), tie the agent's place in id order (lower wins equal keys). Finding the
 * preferred agent a job fits on is a depth-first branch and bound that descends into the better
 * child first and drops a subtree when its per-slot maxima cannot hold the job or its best pair
 * cannot beat the agent found so far. The answer is exact — the fitting agent with the lowest
 * (key, tie) — and when the preferred agent fits (the usual case) it costs O(log n · slots);
 * recording a placement costs the same.
 */

const NO_TIE = 0x7fffffff;

export class ScoreTree {
  /** Leaves in the bottom level (a power of two ≥ size). */
  private readonly base: number;
  /** Per node × slot: the largest free amount in the subtree (leaves: the agent's own free). */
  private readonly maxFree: Float64Array;
  /** Per node: the best key in the subtree and the tie rank that goes with it; padding is (+∞, NO_TIE). */
  private readonly key: Float64Array;
  private readonly tie: Int32Array;
  private readonly stack: Int32Array;

  /**
   * @param free     row `i` (width `slots`) is the free amount per slot of the agent at position `i`; copied.
   * @param ties     per position: the agent's place in id order.
   * @param invNorm  per slot, 1 / the largest capacity of that slot on any agent (0 if none).
   * @param sign     -1 ranks the most free first (dispersed), +1 the least free (concentrated).
   */
  constructor(
    readonly size: number,
    private readonly slots: number,
    free: Float64Array,
    ties: Int32Array,
    private readonly invNorm: Float64Array,
    private readonly sign: 1 | -1,
  ) {
    let levels = 0;
    while (1 << levels < size) levels++;
    this.base = 1 << levels;
    this.maxFree = new Float64Array(2 * this.base * slots).fill(-Infinity);
    this.key = new Float64Array(2 * this.base).fill(Infinity);
    this.tie = new Int32Array(2 * this.base).fill(NO_TIE);
    this.stack = new Int32Array(2 * levels + 4);
    this.maxFree.set(free.subarray(0, size * slots), this.base * slots);
    this.tie.set(ties.subarray(0, size), this.base);
    for (let i = 0; i < size; i++) this.key[this.base + i] = this.leafKey(this.base + i);
    for (let node = this.base - 1; node >= 1; node--) this.pull(node);
  }

  /** The position of the preferred agent with `request` free, or -1. */
  find(request: Float64Array, offset: number): number {
    const { key, tie, stack, base } = this;
    let bestKey = Infinity;
    let bestTie = NO_TIE;
    let best = -1;
    let top = 0;
    stack[top++] = 1;
    while (top > 0) {
      const node = stack[--top]!;
      const k = key[node]!;
      if (k > bestKey || (k === bestKey && tie[node]! >= bestTie)) continue;
      if (!this.holds(node, request, offset)) continue;
      if (node >= base) {
        bestKey = k;
        bestTie = tie[node]!;
        best = node - base;
        continue;
      }
      const left = node << 1;
      // Push the worse child first so the better one is explored first and sets a tight bound.
      if (this.better(left + 1, left)) {
        stack[top++] = left;
        stack[top++] = left + 1;
      } else {
        stack[top++] = left + 1;
        stack[top++] = left;
      }
    }
    return best;
  }

  /** Take `request` off the agent at `pos` and refresh the path to the root. */
  consume(pos: number, request: Float64Array, offset: number): void {
    const { slots, maxFree } = this;
    let node = this.base + pos;
    for (let s = 0; s < slots; s++) {
      const need = request[offset + s]!;
      if (need > 0) maxFree[node * slots + s] -= need;
    }
    this.key[node] = this.leafKey(node);
    for (node >>= 1; node >= 1; node >>= 1) this.pull(node);
  }

  /** The largest free amount of `slot` on any agent of this tree (-Infinity when empty). */
  maxFreeOf(slot: number): number {
    return this.maxFree[this.slots + slot]!;
  }

  private holds(node: number, request: Float64Array, offset: number): boolean {
    const slots = this.slots;
    const row = node * slots;
    for (let s = 0; s < slots; s++) {
      const need = request[offset + s]!;
      if (need > 0 && this.maxFree[row + s]! < need) return false;
    }
    return true;
  }

  private better(a: number, b: number): boolean {
    const ka = this.key[a]!;
    const kb = this.key[b]!;
    return ka < kb || (ka === kb && this.tie[a]! < this.tie[b]!);
  }

  private leafKey(node: number): number {
    return rankKey(this.maxFree, node * this.slots, this.invNorm, this.sign);
  }

  private pull(node: number): void {
    const slots = this.slots;
    const maxFree = this.maxFree;
    const row = node * slots;
    const left = 2 * row;
    const right = left + slots;
    for (let s = 0; s < slots; s++) {
      const a = maxFree[left + s]!;
      const b = maxFree[right + s]!;
      maxFree[row + s] = Math.max(a, b);
    }
    const win = this.better(2 * node + 1, 2 * node) ? 2 * node + 1 : 2 * node;
    this.key[node] = this.key[win]!;
    this.tie[node] = this.tie[win]!;
  }
}

/** An agent's rank from its free row: sign × Σ over slots of max(0, free) / the slot's largest capacity. */
export function rankKey(free: Float64Array, offset: number, invNorm: Float64Array, sign: number): number {
  let score = 0;
  for (let s = 0; s < invNorm.length; s++) {
    const x = free[offset + s]!;
    if (x > 0) score += x * invNorm[s]!;
  }
  return sign * score;
}
