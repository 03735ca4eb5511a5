/** DRF's per-owner state: the owner's pending jobs (oldest first), its usage and dominant share. */
import type { PendingJob, SchedulingSnapshot } from 'spindle/plugin-sdk';
import type { RequestTable, SlotSpace } from 'spindle/plugin-sdk/scheduling';
import { compareOldestFirst, oldestFirst } from 'spindle/plugin-sdk/scheduling';

export interface OwnerQueue {
  owner: string;
  /** Indices into the snapshot's pending jobs, oldest first. */
  jobs: number[];
  /** The next job to decide on (the owner's candidate). */
  next: number;
  /** Per slot: allocated before this pass plus what this pass placed. */
  usage: Float64Array;
  share: number;
}

/** max over slots of usage / total capacity (slots no agent offers are left out). */
export function dominantShare(usage: Float64Array, total: Float64Array): number {
  let share = 0;
  for (let s = 0; s < total.length; s++) {
    // Division, not a precomputed inverse: equal usage ratios must give bit-equal shares so ties stay ties.
    if (total[s]! > 0) {
      const x = usage[s]! / total[s]!;
      if (x > share) share = x;
    }
  }
  return share;
}

/** One queue per owner with pending jobs; usage starts from the owner's summed allocation. */
export function ownerQueues(
  snapshot: SchedulingSnapshot,
  space: SlotSpace,
  times: Float64Array,
  total: Float64Array,
): OwnerQueue[] {
  const byOwner = new Map<string, number[]>();
  // One sort of the whole queue; dealing it out keeps each owner's list oldest first.
  for (const j of oldestFirst(snapshot.pending, times)) {
    const owner = snapshot.pending[j]!.owner;
    const jobs = byOwner.get(owner);
    if (jobs) jobs.push(j);
    else byOwner.set(owner, [j]);
  }
  const queues: OwnerQueue[] = [];
  for (const [owner, jobs] of byOwner) {
    const usage = space.vector(snapshot.allocatedByOwner[owner]);
    queues.push({ owner, jobs, next: 0, usage, share: dominantShare(usage, total) });
  }
  return queues;
}

/** Lowest dominant share first; ties by the candidate job's age (submittedAt, then id). */
export function ownerBefore(
  pending: readonly PendingJob[],
  times: Float64Array,
): (a: OwnerQueue, b: OwnerQueue) => boolean {
  return (a, b) => {
    if (a.share !== b.share) return a.share < b.share;
    return compareOldestFirst(pending, times, a.jobs[a.next]!, b.jobs[b.next]!) < 0;
  };
}

/** Add job `job`'s request to the owner's usage and recompute its dominant share. */
export function charge(queue: OwnerQueue, requests: RequestTable, job: number, total: Float64Array): void {
  const offset = requests.offset(job);
  for (let s = 0; s < queue.usage.length; s++) {
    const need = requests.amounts[offset + s]!;
    if (need > 0) queue.usage[s] += need;
  }
  queue.share = dominantShare(queue.usage, total);
}
