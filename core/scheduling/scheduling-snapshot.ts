import type { AgentInfo } from '../../plugin-sdk/hook-types.js';
import type { PendingJob } from '../../plugin-sdk/providers.js';
import { type JobRecord, totalResources } from '../state/job-record.js';

export function addInto(into: Record<string, number>, add: Record<string, number>): void {
  for (const [slot, amount] of Object.entries(add)) into[slot] = (into[slot] ?? 0) + amount;
}

/** Agents with `allocated` filled from the jobs holding reservations on them. */
export function withAllocations(agents: AgentInfo[], allocated: JobRecord[]): AgentInfo[] {
  const byAgent = new Map<string, Record<string, number>>();
  for (const job of allocated) {
    if (!job.agentId) continue;
    const sum = byAgent.get(job.agentId) ?? {};
    addInto(sum, totalResources(job));
    byAgent.set(job.agentId, sum);
  }
  return agents.map((agent) => ({ ...agent, allocated: byAgent.get(agent.id) ?? {} }));
}

export function allocationsByOwner(allocated: JobRecord[]): Record<string, Record<string, number>> {
  const byOwner: Record<string, Record<string, number>> = {};
  for (const job of allocated) addInto((byOwner[job.owner] ??= {}), totalResources(job));
  return byOwner;
}

export function toPendingJob(job: JobRecord): PendingJob {
  return {
    id: job.id,
    owner: job.owner,
    submittedAt: job.submittedAt,
    resources: totalResources(job),
    attempts: job.attempts,
  };
}

/** Whether `need` fits in what `agent` has free after `extra` (this pass's earlier placements). */
export function fitsOn(agent: AgentInfo, need: Record<string, number>, extra: Record<string, number> = {}): boolean {
  for (const [slot, amount] of Object.entries(need)) {
    if (amount <= 0) continue;
    const free = (agent.capacity[slot] ?? 0) - (agent.allocated[slot] ?? 0) - (extra[slot] ?? 0);
    if (free < amount) return false;
  }
  return true;
}
