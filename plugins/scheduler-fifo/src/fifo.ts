/**
 * FIFO: the oldest job first (submittedAt, then id). When the head of the queue fits on no agent,
 * the queue blocks behind it — so a big job is not starved by smaller ones overtaking it — until
 * the head has failed `numRetriesToSkip` passes; from then on it is skipped, so one job that can
 * never fit does not block the queue for ever.
 */
import type { ScheduleResult, SchedulingSnapshot } from 'spindle/plugin-sdk';
import {
  oldestFirst,
  PassModel,
  type PlacementConfig,
  resolvePlacementConfig,
  resolveRetries,
} from 'spindle/plugin-sdk/scheduling';

export interface FifoConfig extends PlacementConfig {
  /** Failed passes after which a head job that fits nowhere is skipped instead of blocking. */
  numRetriesToSkip: number;
}

export const DEFAULT_RETRIES_TO_SKIP = 3;

export function resolveFifoConfig(config: Partial<FifoConfig> = {}): FifoConfig {
  return {
    ...resolvePlacementConfig(config),
    numRetriesToSkip: resolveRetries(config.numRetriesToSkip, DEFAULT_RETRIES_TO_SKIP),
  };
}

export function scheduleFifo(snapshot: SchedulingSnapshot, config: Partial<FifoConfig> = {}): ScheduleResult {
  const { numRetriesToSkip, ...placement } = resolveFifoConfig(config);
  const model = new PassModel(snapshot, placement);
  const pending = snapshot.pending;
  const order = oldestFirst(pending);
  const result: ScheduleResult = { placements: [], waiting: [] };
  for (let i = 0; i < order.length; i++) {
    const job = pending[order[i]!]!;
    const agentId = model.place(order[i]!);
    if (agentId !== undefined) {
      result.placements.push({ jobId: job.id, agentId });
      continue;
    }
    const why = model.whyNot(order[i]!);
    if (job.attempts >= numRetriesToSkip) {
      result.waiting.push({
        jobId: job.id,
        reason: `${why}; skipped so the queue moves on (failed ${job.attempts} passes, numRetriesToSkip ${numRetriesToSkip})`,
      });
      continue;
    }
    result.waiting.push({
      jobId: job.id,
      reason: `${why}; holds the queue until it fits or has failed ${numRetriesToSkip} passes (failed ${job.attempts} so far)`,
    });
    for (let k = i + 1; k < order.length; k++) {
      result.waiting.push({ jobId: pending[order[k]!]!.id, reason: `behind ${job.id}, which fits nowhere` });
    }
    break;
  }
  return result;
}
