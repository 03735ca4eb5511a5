import { describe, expect, it } from 'vitest';
import { prng } from '../testing/scheduling-fixtures.js';
import { BinaryHeap } from './heap.js';

describe('BinaryHeap', () => {
  it('pops in order, whether filled at construction or by push', () => {
    const random = prng(1);
    const values = Array.from({ length: 500 }, () => Math.floor(random() * 100));
    const built = new BinaryHeap<number>((a, b) => a < b, values);
    const pushed = new BinaryHeap<number>((a, b) => a < b);
    for (const v of values) pushed.push(v);
    const drain = (h: BinaryHeap<number>) => Array.from({ length: h.size }, () => h.pop()!);
    const sorted = [...values].sort((a, b) => a - b);
    expect(drain(built)).toEqual(sorted);
    expect(drain(pushed)).toEqual(sorted);
    expect(built.pop()).toBeUndefined();
  });

  it('re-positions the top after its key grows (updateTop)', () => {
    const items = [{ k: 1 }, { k: 2 }, { k: 3 }, { k: 4 }];
    const heap = new BinaryHeap<{ k: number }>((a, b) => a.k < b.k, items);
    heap.peek()!.k = 3.5;
    heap.updateTop();
    expect(Array.from({ length: 4 }, () => heap.pop()!.k)).toEqual([2, 3, 3.5, 4]);
  });

  it('takes its order from the comparator only (a max-heap here)', () => {
    const heap = new BinaryHeap<number>((a, b) => a > b, [3, 9, 1]);
    heap.push(7);
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([9, 7, 3, 1]);
    expect(heap.size).toBe(0);
  });
});
