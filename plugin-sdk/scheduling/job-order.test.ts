import { describe, expect, it } from 'vitest';
import { job, prng } from '../testing/scheduling-fixtures.js';
import { oldestFirst } from './job-order.js';

describe('oldestFirst', () => {
  it('orders by submission time, then id; unreadable times last', () => {
    const pending = [
      job('b', 'o', {}, 1),
      job('a', 'o', {}, 1),
      job('z', 'o', {}, 0),
      { ...job('y', 'o', {}), submittedAt: 'yesterday' },
    ];
    expect(oldestFirst(pending).map((j) => pending[j]!.id)).toEqual(['z', 'a', 'b', 'y']);
  });

  it('compares instants, not strings (mixed precision and offsets)', () => {
    const pending = [
      { ...job('late', 'o', {}), submittedAt: '2025-01-01T00:00:00.500Z' },
      { ...job('early', 'o', {}), submittedAt: '2025-01-01T00:00:00Z' },
      { ...job('earliest', 'o', {}), submittedAt: '2025-01-01T00:59:59+01:00' },
    ];
    expect(oldestFirst(pending).map((j) => pending[j]!.id)).toEqual(['earliest', 'early', 'late']);
  });
});

describe('oldestFirst on large queues', () => {
  it('matches a plain comparator sort, with many equal times and with an unreadable one', () => {
    const random = prng(3);
    const pending = Array.from({ length: 3000 }, (_, i) =>
      job(`j${Math.floor(random() * 1e6)}-${i}`, 'o', {}, Math.floor(random() * 20)),
    );
    const plain = (jobs: typeof pending) =>
      jobs
        .map((j, i) => ({ t: Date.parse(j.submittedAt), id: j.id, i }))
        .sort(
          (a, b) =>
            (Number.isNaN(a.t) ? Infinity : a.t) - (Number.isNaN(b.t) ? Infinity : b.t) || (a.id < b.id ? -1 : 1),
        )
        .map((x) => x.i);
    expect(oldestFirst(pending)).toEqual(plain(pending));
    const withBad = [...pending, { ...job('bad', 'o', {}), submittedAt: 'not a time' }];
    expect(oldestFirst(withBad)).toEqual(plain(withBad));
    expect(oldestFirst([])).toEqual([]);
  });
});
