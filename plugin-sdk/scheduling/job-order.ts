/** The age order of pending jobs: submittedAt, then id — the deterministic tie-break everywhere. */
import type { PendingJob } from '../index.js';

/** Submission times in ms, for ordering; an unreadable time sorts last. */
export function submissionTimes(pending: readonly PendingJob[]): Float64Array {
  const times = new Float64Array(pending.length);
  for (let j = 0; j < pending.length; j++) {
    const t = Date.parse(pending[j]!.submittedAt);
    times[j] = Number.isNaN(t) ? Infinity : t;
  }
  return times;
}

/** Order of two pending jobs by submission time, then id: negative when `a` is older. */
export function compareOldestFirst(pending: readonly PendingJob[], times: Float64Array, a: number, b: number): number {
  const ta = times[a]!;
  const tb = times[b]!;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ia = pending[a]!.id;
  const ib = pending[b]!.id;
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

/** Indices of `pending`, oldest first (submittedAt, then id). */
export function oldestFirst(pending: readonly PendingJob[], times = submissionTimes(pending)): number[] {
  const compare = (a: number, b: number) => compareOldestFirst(pending, times, a, b);
  const order = byPackedTime(times);
  if (!order) return Array.from({ length: pending.length }, (_, j) => j).sort(compare);
  // Equal times came out in index order: put each such run in id order.
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && times[order[end]!] === times[order[start]!]) end++;
    if (end - start > 1)
      order
        .slice(start, end)
        .sort(compare)
        .forEach((j, k) => {
          order[start + k] = j;
        });
    start = end;
  }
  return order;
}

/**
 * Indices sorted by time through one native numeric sort of `(time - min) × n + index` — several
 * times faster than a comparator sort — or undefined when that number would not be exact (times
 * that are not whole milliseconds, unreadable times, or a span too wide for the queue's length).
 */
function byPackedTime(times: Float64Array): number[] | undefined {
  const n = times.length;
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < n; j++) {
    const t = times[j]!;
    if (!Number.isInteger(t)) return undefined;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  if (n === 0 || (max - min + 1) * n > Number.MAX_SAFE_INTEGER) return n === 0 ? [] : undefined;
  const packed = new Float64Array(n);
  for (let j = 0; j < n; j++) packed[j] = (times[j]! - min) * n + j;
  packed.sort();
  const order = new Array<number>(n);
  for (let k = 0; k < n; k++) order[k] = packed[k]! % n;
  return order;
}
