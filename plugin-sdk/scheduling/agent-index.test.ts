import { describe, expect, it } from 'vitest';
import type { AgentInfo, PendingJob } from '../index.js';
import { agent, job, prng } from '../testing/scheduling-fixtures.js';
import { AgentIndex } from './agent-index.js';
import { type AgentSelection, type PlacementConfig, resolvePlacementConfig } from './config.js';
import { RequestTable, slotSpaceOf } from './slot-space.js';

/** Place `jobs` one after another through an AgentIndex; the chosen agent ids (undefined: none). */
function placeAll(
  agents: AgentInfo[],
  jobs: PendingJob[],
  config: Partial<PlacementConfig> = {},
): (string | undefined)[] {
  const cfg = resolvePlacementConfig(config);
  const space = slotSpaceOf(agents, jobs);
  const table = new RequestTable(space, jobs, cfg.acceleratorSlots);
  const index = new AgentIndex(agents, space, cfg);
  return jobs.map((_, j) => index.place(table.amounts, table.offset(j), table.accelerated[j] === 1));
}

/** The rule written out plainly: scan every agent, keep the best (group, rank, id) that fits. */
function bruteForce(agents: AgentInfo[], jobs: PendingJob[], selection: AgentSelection): (string | undefined)[] {
  const names = slotSpaceOf(agents, jobs).names;
  const invNorm = names
    .map((n) => Math.max(0, ...agents.map((a) => a.capacity[n] ?? 0)))
    .map((c) => (c > 0 ? 1 / c : 0));
  const free = new Map(agents.map((a) => [a.id, names.map((n) => (a.capacity[n] ?? 0) - (a.allocated[n] ?? 0))]));
  const byId = [...agents].sort((a, b) => (a.id < b.id ? -1 : 1));
  return jobs.map((j) => {
    const need = names.map((n) => j.resources[n] ?? 0);
    const wantsGpu = (j.resources.gpu ?? 0) > 0;
    let best: { id: string; rank: [number, number] } | undefined;
    for (const a of byId) {
      const f = free.get(a.id)!;
      if (need.some((x, s) => x > 0 && f[s]! < x)) continue;
      const score = f.reduce((sum, x, s) => (x > 0 ? sum + x * invNorm[s]! : sum), 0);
      const rank: [number, number] = [
        (a.capacity.gpu ?? 0) > 0 === wantsGpu ? 0 : 1,
        selection === 'dispersed' ? -score : score,
      ];
      if (!best || rank[0] < best.rank[0] || (rank[0] === best.rank[0] && rank[1] < best.rank[1]))
        best = { id: a.id, rank };
    }
    if (best) {
      const f = free.get(best.id)!;
      for (let s = 0; s < f.length; s++) f[s] -= Math.max(need[s]!, 0);
    }
    return best?.id;
  });
}

function randomCluster(
  seed: number,
  agentCount: number,
  jobCount: number,
): { agents: AgentInfo[]; jobs: PendingJob[] } {
  const r = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const agents = Array.from({ length: agentCount }, (_, i) => {
    const gpu = r() < 0.2 ? pick([2, 4, 8]) : 0;
    const capacity: Record<string, number> = {
      cpu: pick([4, 8, 16]),
      memory: pick([4096, 8192, 16384]),
      ...(gpu ? { gpu } : {}),
    };
    return agent(`a${String((i * 7919) % agentCount).padStart(4, '0')}`, capacity, {
      cpu: pick([0, 1, 2]),
      memory: pick([0, 512, 1024]),
    });
  });
  const jobs = Array.from({ length: jobCount }, (_, i) =>
    job(
      `j${i}`,
      'o',
      {
        cpu: pick([1, 2, 4, 6]),
        memory: pick([256, 1024, 4096, 9000]),
        ...(r() < 0.15 ? { gpu: pick([1, 2, 4]) } : {}),
      },
      i,
    ),
  );
  return { agents, jobs };
}

describe('AgentIndex', () => {
  it('dispersed takes the agent with the most free capacity, concentrated the least free that fits', () => {
    const agents = [
      agent('big', { cpu: 16, memory: 16384 }),
      agent('mid', { cpu: 8, memory: 8192 }),
      agent('small', { cpu: 2, memory: 2048 }),
    ];
    const jobs = [job('j1', 'o', { cpu: 4, memory: 1024 })];
    expect(placeAll(agents, jobs, { agentSelection: 'dispersed' })).toEqual(['big']);
    expect(placeAll(agents, jobs, { agentSelection: 'concentrated' })).toEqual(['mid']);
  });

  it('counts what the pass already placed: dispersed spreads, concentrated packs', () => {
    const agents = [agent('a', { cpu: 4 }), agent('b', { cpu: 4 })];
    const jobs = [1, 2, 3, 4].map((i) => job(`j${i}`, 'o', { cpu: 2 }));
    expect(placeAll(agents, jobs, { agentSelection: 'dispersed' })).toEqual(['a', 'b', 'a', 'b']);
    expect(placeAll(agents, jobs, { agentSelection: 'concentrated' })).toEqual(['a', 'a', 'b', 'b']);
    expect(placeAll(agents, [...jobs, job('j5', 'o', { cpu: 1 })])[4]).toBeUndefined();
  });

  it('keeps jobs without accelerators off accelerator agents while a plain agent fits', () => {
    const agents = [agent('gpu-box', { cpu: 64, memory: 65536, gpu: 8 }), agent('plain', { cpu: 4, memory: 4096 })];
    const jobs = [
      job('cpu1', 'o', { cpu: 2, memory: 1024 }),
      job('gpu1', 'o', { cpu: 1, gpu: 1 }),
      job('cpu2', 'o', { cpu: 2, memory: 1024 }),
      job('cpu3', 'o', { cpu: 2 }),
    ];
    expect(placeAll(agents, jobs)).toEqual(['plain', 'gpu-box', 'plain', 'gpu-box']);
  });

  it('reads the accelerator slots from config', () => {
    const agents = [agent('tpu-box', { cpu: 64, tpu: 4 }), agent('gpu-box', { cpu: 32, gpu: 4 })];
    const jobs = [job('j', 'o', { cpu: 1 })];
    expect(placeAll(agents, jobs)).toEqual(['tpu-box']);
    expect(placeAll(agents, jobs, { acceleratorSlots: ['gpu', 'tpu'], agentSelection: 'concentrated' })).toEqual([
      'gpu-box',
    ]);
  });

  it('breaks ties between equal agents by id, whatever order they are listed in', () => {
    const agents = ['c', 'a', 'b'].map((id) => agent(id, { cpu: 4 }));
    expect(placeAll(agents, [job('j', 'o', { cpu: 1 })])).toEqual(['a']);
    expect(placeAll(agents, [job('j', 'o', { cpu: 1 })], { agentSelection: 'concentrated' })).toEqual(['a']);
  });

  it('handles no agents, and a slot no agent has', () => {
    expect(placeAll([], [job('j', 'o', { cpu: 1 })])).toEqual([undefined]);
    expect(placeAll([agent('a', { cpu: 4 })], [job('j', 'o', { cpu: 1, fpga: 1 }), job('k', 'o', {})])).toEqual([
      undefined,
      'a',
    ]);
  });

  for (const selection of ['dispersed', 'concentrated'] as const) {
    it(`agrees with a full scan on random clusters (${selection})`, () => {
      for (const [seed, agentCount, jobCount] of [
        [1, 1, 5],
        [2, 7, 40],
        [3, 64, 400],
        [4, 300, 2500],
        [5, 1000, 1500],
      ] as const) {
        const { agents, jobs } = randomCluster(seed, agentCount, jobCount);
        const expected = bruteForce(agents, jobs, selection);
        expect(placeAll(agents, jobs, { agentSelection: selection })).toEqual(expected);
        expect(expected.filter((x) => x === undefined).length).toBeGreaterThan(0);
      }
    });
  }
});
