/**
 * LIFO: the newest job first — the exact reverse of FIFO's order (submittedAt, then id, both
 * descending). A job that fits nowhere waits with its reason and the pass goes on to the next
 * (older) job: nothing blocks, since under LIFO the job that waits longest is the oldest anyway.
 */
import type { ScheduleResult, SchedulingSnapshot } from 'spindle/plugin-sdk';
import { oldestFirst, PassModel, type PlacementConfig, resolvePlacementConfig } from 'spindle/plugin-sdk/scheduling';

export type LifoConfig = PlacementConfig;

export function scheduleLifo(snapshot: SchedulingSnapshot, config: Partial<LifoConfig> = {}): ScheduleResult {
  const model = new PassModel(snapshot, resolvePlacementConfig(config));
  const pending = snapshot.pending;
  const order = oldestFirst(pending).reverse();
  const result: ScheduleResult = { placements: [], waiting: [] };
  for (const j of order) {
    const jobId = pending[j]!.id;
    const agentId = model.place(j);
    if (agentId !== undefined) result.placements.push({ jobId, agentId });
    else result.waiting.push({ jobId, reason: model.whyNot(j) });
  }
  return result;
}
