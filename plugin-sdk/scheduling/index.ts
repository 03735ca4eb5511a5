/**
 * `spindle/plugin-sdk/scheduling`: what the first-party schedulers (fifo, lifo, drf) are built
 * from, for a scheduler written anywhere. A scheduler's `schedule(snapshot)` typically:
 *
 * ```ts
 * import { PassModel, oldestFirst, resolvePlacementConfig } from 'spindle/plugin-sdk/scheduling';
 * const model = new PassModel(snapshot, resolvePlacementConfig(ctx.config));
 * for (const i of oldestFirst(snapshot.pending)) {
 *   const agentId = model.place(i); // reserves the job's slots on the best agent, or undefined
 *   if (agentId) placements.push({ jobId: snapshot.pending[i].id, agentId });
 *   else waiting.push({ jobId: snapshot.pending[i].id, reason: model.whyNot(i) });
 * }
 * ```
 *
 * `PassModel` keeps the agents' free slots in an index (best-fit in O(log agents) per decision,
 * `dispersed` or `concentrated`), so a pass over 10k jobs and 1k agents takes milliseconds.
 * Bundled into the plugin like any library (`spindle plugin bundle` resolves this path).
 * Test helpers for schedulers are in `spindle/plugin-sdk/testing` (`agent`, `job`, `snapshot`, …).
 */

export type { AgentSelection, PlacementConfig } from './config.js';
export { DEFAULT_PLACEMENT, resolvePlacementConfig, resolveRetries } from './config.js';
export { fits, formatAmount } from './fits.js';
export { BinaryHeap } from './heap.js';
export { compareOldestFirst, oldestFirst, submissionTimes } from './job-order.js';
export { PassModel } from './pass-model.js';
export { RequestTable, SlotSpace, slotSpaceOf } from './slot-space.js';
