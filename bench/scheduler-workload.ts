/**
 * The scheduler benchmark's workload: a snapshot with pending jobs of many owners over a cluster of
 * agents with three slots (cpu, memory in MiB, gpu on every tenth agent). Deterministic (seeded),
 * and sized so that most jobs are placed at 1,000 agents and all of them at 10,000.
 */
import type { AgentInfo, PendingJob, SchedulingSnapshot } from '../plugin-sdk/index.js';

export interface WorkloadShape {
  jobs: number;
  owners: number;
  agents: number;
  seed?: number;
}

/** mulberry32: small, fast and good enough to make a workload repeatable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE_TIME = Date.parse('2025-06-01T00:00:00.000Z');

function makeAgents(count: number, random: () => number): AgentInfo[] {
  return Array.from({ length: count }, (_, i) => {
    const capacity: Record<string, number> =
      i % 10 === 0 ? { cpu: 48, memory: 98_304, gpu: 16 } : { cpu: 48, memory: 98_304 };
    return {
      id: `agent-${String(i).padStart(5, '0')}`,
      target: 'bench',
      capacity,
      allocated: { cpu: Math.floor(random() * 5), memory: 1024 * Math.floor(random() * 9) },
    };
  });
}

function makeJobs(count: number, owners: number, random: () => number): PendingJob[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const resources: Record<string, number> = { cpu: pick([1, 2, 4, 8]), memory: pick([2048, 4096, 8192, 16_384]) };
    if (random() < 0.08) resources.gpu = pick([1, 2]);
    // Seconds in a one-hour window: many jobs share a submission time, so the id tie-break is exercised.
    const submittedAt = new Date(BASE_TIME + 1000 * Math.floor(random() * 3600)).toISOString();
    return {
      id: `job-${String(i).padStart(6, '0')}`,
      owner: `owner-${Math.floor(random() * owners)}`,
      submittedAt,
      resources,
      attempts: 0,
    };
  });
}

export function makeWorkload(shape: WorkloadShape): SchedulingSnapshot {
  const seed = shape.seed ?? 42;
  // One stream per part, so the same jobs and owners come with any number of agents.
  const agents = makeAgents(shape.agents, prng(seed));
  const pending = makeJobs(shape.jobs, shape.owners, prng(seed + 1));
  const random = prng(seed + 2);
  const allocatedByOwner: SchedulingSnapshot['allocatedByOwner'] = {};
  for (let o = 0; o < shape.owners; o++) {
    allocatedByOwner[`owner-${o}`] = {
      cpu: Math.floor(random() * 200),
      memory: 1024 * Math.floor(random() * 400),
      gpu: Math.floor(random() * 4),
    };
  }
  return { queue: 'bench', pending, agents, allocatedByOwner };
}
