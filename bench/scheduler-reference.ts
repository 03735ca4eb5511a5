/**
 * The straightforward schedulers the benchmark compares against: on every decision they re-sort
 * all pending jobs and scan every agent. Same rules and tie-breaks as the plugins (so the first
 * decisions can be checked to agree), none of the indexing.
 */
import type { AgentInfo, PendingJob, Placement, SchedulingSnapshot } from '../plugin-sdk/index.js';

const SLOTS = ['cpu', 'memory', 'gpu'];
const ACCELERATORS = ['gpu'];

interface Cluster {
  agents: AgentInfo[];
  free: Map<string, Record<string, number>>;
  invNorm: number[];
}

function clusterOf(snapshot: SchedulingSnapshot): Cluster {
  const agents = [...snapshot.agents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const free = new Map<string, Record<string, number>>();
  for (const a of agents)
    free.set(a.id, Object.fromEntries(SLOTS.map((s) => [s, (a.capacity[s] ?? 0) - (a.allocated[s] ?? 0)])));
  const invNorm = SLOTS.map((s) => Math.max(0, ...agents.map((a) => a.capacity[s] ?? 0))).map((c) =>
    c > 0 ? 1 / c : 0,
  );
  return { agents, free, invNorm };
}

const hasAccelerator = (r: Record<string, number>) => ACCELERATORS.some((s) => (r[s] ?? 0) > 0);

/** Scan every agent: accelerator-free first for plain jobs, then the most free (dispersed), then id. */
function chooseAgent(cluster: Cluster, job: PendingJob): string | undefined {
  let best: { id: string; group: number; score: number } | undefined;
  const wantsAccel = hasAccelerator(job.resources);
  for (const agent of cluster.agents) {
    const free = cluster.free.get(agent.id)!;
    if (SLOTS.some((s) => (job.resources[s] ?? 0) > 0 && free[s]! < job.resources[s]!)) continue;
    let score = 0;
    for (const [i, s] of SLOTS.entries()) if (free[s]! > 0) score += free[s]! * cluster.invNorm[i]!;
    const group = hasAccelerator(agent.capacity) === wantsAccel ? 0 : 1;
    if (!best || group < best.group || (group === best.group && score > best.score))
      best = { id: agent.id, group, score };
  }
  if (best) for (const s of SLOTS) if ((job.resources[s] ?? 0) > 0) cluster.free.get(best.id)![s]! -= job.resources[s]!;
  return best?.id;
}

const byAge = (a: PendingJob, b: PendingJob) =>
  Date.parse(a.submittedAt) - Date.parse(b.submittedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** FIFO: re-sort the queue, try its head; a head that fits nowhere blocks (attempts are 0 here). */
export function referenceFifo(snapshot: SchedulingSnapshot, maxDecisions: number): Placement[] {
  const cluster = clusterOf(snapshot);
  let remaining = [...snapshot.pending];
  const placements: Placement[] = [];
  while (remaining.length > 0 && placements.length < maxDecisions) {
    remaining = [...remaining].sort(byAge);
    const job = remaining.shift()!;
    const agentId = chooseAgent(cluster, job);
    if (agentId === undefined) break;
    placements.push({ jobId: job.id, agentId });
  }
  return placements;
}

/** DRF: recompute every owner's dominant share, re-sort all pending jobs by (share, age, id), take the first. */
export function referenceDrf(snapshot: SchedulingSnapshot, maxDecisions: number): Placement[] {
  const cluster = clusterOf(snapshot);
  const total = SLOTS.map((s) => snapshot.agents.reduce((sum, a) => sum + (a.capacity[s] ?? 0), 0));
  const usage = new Map<string, number[]>();
  for (const job of snapshot.pending)
    usage.set(
      job.owner,
      SLOTS.map((s) => snapshot.allocatedByOwner[job.owner]?.[s] ?? 0),
    );
  const blocked = new Set<string>();
  let remaining = [...snapshot.pending];
  const placements: Placement[] = [];
  while (placements.length < maxDecisions) {
    const share = new Map(
      [...usage].map(([owner, u]) => [owner, Math.max(0, ...u.map((x, i) => (total[i]! > 0 ? x / total[i]! : 0)))]),
    );
    remaining = [...remaining].sort((a, b) => share.get(a.owner)! - share.get(b.owner)! || byAge(a, b));
    const index = remaining.findIndex((j) => !blocked.has(j.owner));
    if (index < 0) break;
    const [job] = remaining.splice(index, 1);
    const agentId = chooseAgent(cluster, job!);
    if (agentId === undefined) {
      blocked.add(job!.owner);
      continue;
    }
    placements.push({ jobId: job!.id, agentId });
    const used = usage.get(job!.owner)!;
    for (const [i, s] of SLOTS.entries()) used[i]! += Math.max(0, job!.resources[s] ?? 0);
  }
  return placements;
}
