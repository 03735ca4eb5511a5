/**
 * DRF: textbook Dominant Resource Fairness (Ghodsi et al., NSDI 2011) per owner. An owner's
 * dominant share is the largest, over slots, of (everything the owner holds — its summed
 * allocation before this pass plus what this pass placed — / the cluster's total capacity of the
 * slot). The owner with the lowest share goes next with its oldest job; ties go to the older
 * candidate job (submittedAt, then id). Owners sit in a binary heap, so a decision is O(log owners).
 *
 * An owner whose candidate job fits nowhere is skipped for the rest of the pass: that job and the
 * owner's younger jobs wait. Keeping each owner's own order stops its small jobs from starving its
 * big one, and costs other owners nothing. Once the blocked job has failed `numRetriesToSkip`
 * passes it is skipped instead and the owner goes on with its next job, so a job that can never
 * fit does not hold its owner's queue for ever.
 */
import type { ScheduleResult, SchedulingSnapshot } from 'spindle/plugin-sdk';
import {
  BinaryHeap,
  PassModel,
  type PlacementConfig,
  resolvePlacementConfig,
  resolveRetries,
  submissionTimes,
} from 'spindle/plugin-sdk/scheduling';
import { charge, type OwnerQueue, ownerBefore, ownerQueues } from './owner-queue.js';

export interface DrfConfig extends PlacementConfig {
  /** Failed passes after which an owner's blocked job is skipped so the owner's next job can go. */
  numRetriesToSkip: number;
}

export const DEFAULT_RETRIES_TO_SKIP = 3;

export function resolveDrfConfig(config: Partial<DrfConfig> = {}): DrfConfig {
  return {
    ...resolvePlacementConfig(config),
    numRetriesToSkip: resolveRetries(config.numRetriesToSkip, DEFAULT_RETRIES_TO_SKIP),
  };
}

export function scheduleDrf(snapshot: SchedulingSnapshot, config: Partial<DrfConfig> = {}): ScheduleResult {
  const { numRetriesToSkip, ...placement } = resolveDrfConfig(config);
  const model = new PassModel(snapshot, placement);
  const pending = snapshot.pending;
  const times = submissionTimes(pending);
  const total = model.agents.totalCapacity;
  const heap = new BinaryHeap<OwnerQueue>(
    ownerBefore(pending, times),
    ownerQueues(snapshot, model.space, times, total),
  );
  const result: ScheduleResult = { placements: [], waiting: [] };
  while (heap.size > 0) {
    const queue = heap.peek()!;
    const j = queue.jobs[queue.next]!;
    const job = pending[j]!;
    const agentId = model.place(j);
    if (agentId !== undefined) {
      result.placements.push({ jobId: job.id, agentId });
      charge(queue, model.requests, j, total);
    } else if (job.attempts >= numRetriesToSkip) {
      result.waiting.push({
        jobId: job.id,
        reason: `${model.whyNot(j)}; skipped so owner ${queue.owner}'s next job can go (failed ${job.attempts} passes, numRetriesToSkip ${numRetriesToSkip})`,
      });
    } else {
      heap.pop();
      waitBehind(queue, model.whyNot(j), pending, result, numRetriesToSkip);
      continue;
    }
    queue.next++;
    if (queue.next < queue.jobs.length) heap.updateTop();
    else heap.pop();
  }
  return result;
}

function waitBehind(
  queue: OwnerQueue,
  why: string,
  pending: SchedulingSnapshot['pending'],
  result: ScheduleResult,
  retries: number,
): void {
  const blocker = pending[queue.jobs[queue.next]!]!;
  result.waiting.push({
    jobId: blocker.id,
    reason: `${why}; holds owner ${queue.owner}'s queue until it fits or has failed ${retries} passes (failed ${blocker.attempts} so far)`,
  });
  for (let k = queue.next + 1; k < queue.jobs.length; k++) {
    result.waiting.push({
      jobId: pending[queue.jobs[k]!]!.id,
      reason: `behind ${blocker.id} of owner ${queue.owner}, which fits nowhere`,
    });
  }
}
