/** Builders for scheduler tests (not bundled: only tests import this). */
import type { AgentInfo, PendingJob, ScheduleResult, SchedulingSnapshot } from '../index.js';

export function agent(id: string, capacity: Record<string, number>, allocated: Record<string, number> = {}): AgentInfo {
  return { id, target: 'test', capacity, allocated };
}

const BASE_TIME = Date.parse('2025-01-01T00:00:00.000Z');

/** A job submitted `minute` minutes after a fixed base time. */
export function job(
  id: string,
  owner: string,
  resources: Record<string, number>,
  minute = 0,
  attempts = 0,
): PendingJob {
  return { id, owner, resources, submittedAt: new Date(BASE_TIME + minute * 60_000).toISOString(), attempts };
}

export function snapshot(
  pending: PendingJob[],
  agents: AgentInfo[],
  allocatedByOwner: SchedulingSnapshot['allocatedByOwner'] = {},
): SchedulingSnapshot {
  return { queue: 'default', pending, agents, allocatedByOwner };
}

/** Job ids of the placements, in decision order. */
export function placedIds(result: ScheduleResult): string[] {
  return result.placements.map((p) => p.jobId);
}

export function reasonOf(result: ScheduleResult, jobId: string): string | undefined {
  return result.waiting.find((w) => w.jobId === jobId)?.reason;
}

/** Every pending job appears exactly once across placements and waiting; returns problems found. */
export function partitionProblems(snap: SchedulingSnapshot, result: ScheduleResult): string[] {
  const seen = new Map<string, number>();
  for (const id of [...result.placements.map((p) => p.jobId), ...result.waiting.map((w) => w.jobId)])
    seen.set(id, (seen.get(id) ?? 0) + 1);
  const problems = snap.pending
    .filter((j) => seen.get(j.id) !== 1)
    .map((j) => `${j.id} appears ${seen.get(j.id) ?? 0} times`);
  const known = new Set(snap.pending.map((j) => j.id));
  problems.push(...[...seen.keys()].filter((id) => !known.has(id)).map((id) => `${id} is not pending`));
  return problems;
}

/** Free capacity per agent after applying the placements (for checking nothing is overcommitted). */
export function freeAfter(snap: SchedulingSnapshot, result: ScheduleResult): Map<string, Record<string, number>> {
  const jobs = new Map(snap.pending.map((j) => [j.id, j]));
  const free = new Map<string, Record<string, number>>();
  for (const a of snap.agents) {
    const f: Record<string, number> = {};
    for (const [slot, c] of Object.entries(a.capacity)) f[slot] = c - (a.allocated[slot] ?? 0);
    free.set(a.id, f);
  }
  for (const p of result.placements) {
    const f = free.get(p.agentId)!;
    for (const [slot, n] of Object.entries(jobs.get(p.jobId)!.resources)) if (n > 0) f[slot] = (f[slot] ?? 0) - n;
  }
  return free;
}

/** A small deterministic PRNG (mulberry32), so random tests repeat exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
