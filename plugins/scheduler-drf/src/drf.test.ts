import type { PendingJob, ScheduleResult, SchedulingSnapshot } from 'spindle/plugin-sdk';
import { PassModel, resolvePlacementConfig } from 'spindle/plugin-sdk/scheduling';
import {
  agent,
  freeAfter,
  job,
  partitionProblems,
  placedIds,
  prng,
  reasonOf,
  snapshot,
} from 'spindle/plugin-sdk/testing';
import { describe, expect, it } from 'vitest';
import { scheduleDrf } from './drf.js';

const tasks = (owner: string, n: number, resources: Record<string, number>) =>
  Array.from({ length: n }, (_, i) => job(`${owner}${i}`, owner, resources, i));
const count = (result: ScheduleResult, prefix: string) =>
  result.placements.filter((p) => p.jobId.startsWith(prefix)).length;

describe('scheduleDrf', () => {
  it('reproduces Ghodsi et al.: <9 CPU, 18 GB>, A <1, 4>, B <3, 1> → A gets 3 tasks, B 2', () => {
    const snap = snapshot(
      [...tasks('A', 10, { cpu: 1, memory: 4 }), ...tasks('B', 10, { cpu: 3, memory: 1 })],
      [agent('n1', { cpu: 9, memory: 18 })],
    );
    const result = scheduleDrf(snap);
    expect(count(result, 'A')).toBe(3);
    expect(count(result, 'B')).toBe(2);
    // Shares after each step: A 2/9, B 1/3, A 4/9, B 2/3, A 2/3; then neither fits (cpu is used up).
    expect(placedIds(result)).toEqual(['A0', 'B0', 'A1', 'B1', 'A2']);
    expect(reasonOf(result, 'B2')).toMatch(/^needs cpu 3, most free on any agent is 0; holds owner B's queue/);
    expect(reasonOf(result, 'A4')).toBe('behind A3 of owner A, which fits nowhere');
    expect(partitionProblems(snap, result)).toEqual([]);
  });

  it("counts an owner's existing allocation as the sum over its jobs (not the max, as Backend.AI did)", () => {
    // alice runs three 2-cpu jobs (sum 6, max 2), bob one 4-cpu job; total cpu 20.
    const agents = [
      agent('n1', { cpu: 10, memory: 100 }, { cpu: 6 }),
      agent('n2', { cpu: 10, memory: 100 }, { cpu: 4 }),
    ];
    const pending = [
      job('a1', 'alice', { cpu: 1 }, 0),
      ...['b1', 'b2', 'b3'].map((id, i) => job(id, 'bob', { cpu: 1 }, i + 1)),
    ];
    const result = scheduleDrf(snapshot(pending, agents, { alice: { cpu: 6 }, bob: { cpu: 4 } }));
    // bob 0.2 < alice 0.3 → b1 (0.25), b2 (0.3 = alice's: the older candidate a1 wins the tie), a1, b3.
    expect(placedIds(result)).toEqual(['b1', 'b2', 'a1', 'b3']);
  });

  it('takes the dominant (largest) share over slots', () => {
    const agents = [agent('n1', { cpu: 10, memory: 100 })];
    const pending = [job('a1', 'alice', { cpu: 1, memory: 1 }, 0), job('b1', 'bob', { cpu: 1, memory: 1 }, 1)];
    // alice holds little cpu but half the memory (0.5); bob 0.4 of the cpu: bob goes first.
    const result = scheduleDrf(snapshot(pending, agents, { alice: { cpu: 1, memory: 50 }, bob: { cpu: 4 } }));
    expect(placedIds(result)).toEqual(['b1', 'a1']);
  });

  it("breaks ties by the candidate job's age, then id, whatever the input order", () => {
    const pending = [
      job('c1', 'carol', { cpu: 1 }, 0),
      job('b1', 'bob', { cpu: 1 }, 0),
      job('a1', 'alice', { cpu: 1 }, 1),
      job('b2', 'bob', { cpu: 1 }, 2),
    ];
    const agents = [agent('n1', { cpu: 100 })];
    const expected = ['b1', 'c1', 'a1', 'b2'];
    expect(placedIds(scheduleDrf(snapshot(pending, agents)))).toEqual(expected);
    const random = prng(7);
    for (let round = 0; round < 5; round++) {
      const shuffled = [...pending].sort(() => random() - 0.5);
      expect(scheduleDrf(snapshot(shuffled, [...agents]))).toEqual(scheduleDrf(snapshot(pending, agents)));
    }
  });

  it('skips an owner whose oldest job fits nowhere for the rest of the pass; others go on', () => {
    const pending = [
      job('a-big', 'alice', { cpu: 16 }, 0),
      job('a-small', 'alice', { cpu: 1 }, 1),
      job('b1', 'bob', { cpu: 1 }, 2),
      job('b2', 'bob', { cpu: 1 }, 3),
    ];
    const result = scheduleDrf(snapshot(pending, [agent('n1', { cpu: 8 })]));
    expect(placedIds(result)).toEqual(['b1', 'b2']);
    expect(reasonOf(result, 'a-big')).toMatch(
      /^needs cpu 16, most free on any agent is 8; holds owner alice's queue until it fits or has failed 3 passes \(failed 0 so far\)$/,
    );
    expect(reasonOf(result, 'a-small')).toBe('behind a-big of owner alice, which fits nowhere');
  });

  it("after numRetriesToSkip failed passes skips the blocked job and goes on with the owner's next", () => {
    const pending = [
      job('a-big', 'alice', { cpu: 16 }, 0, 3),
      job('a-small', 'alice', { cpu: 1 }, 1),
      job('b1', 'bob', { cpu: 1 }, 2),
      job('b2', 'bob', { cpu: 1 }, 3),
    ];
    const snap = snapshot(pending, [agent('n1', { cpu: 8 })]);
    const result = scheduleDrf(snap);
    expect(placedIds(result)).toEqual(['a-small', 'b1', 'b2']);
    expect(reasonOf(result, 'a-big')).toMatch(/; skipped so owner alice's next job can go/);
    expect(placedIds(scheduleDrf(snap, { numRetriesToSkip: 4 }))).toEqual(['b1', 'b2']);
  });

  it('sends jobs without accelerators to plain agents, gpu jobs to gpu agents; dispersed or concentrated', () => {
    const agents = [agent('g1', { cpu: 32, gpu: 4 }), agent('p1', { cpu: 8 }), agent('p2', { cpu: 16 })];
    const pending = [job('cpu', 'alice', { cpu: 2 }, 0), job('gpu', 'bob', { cpu: 2, gpu: 1 }, 1)];
    expect(scheduleDrf(snapshot(pending, agents)).placements).toEqual([
      { jobId: 'cpu', agentId: 'p2' },
      { jobId: 'gpu', agentId: 'g1' },
    ]);
    expect(scheduleDrf(snapshot(pending, agents), { agentSelection: 'concentrated' }).placements[0]).toEqual({
      jobId: 'cpu',
      agentId: 'p1',
    });
  });

  it('matches a naive DRF (linear scan over owners per decision) on random loads', () => {
    for (const seed of [1, 2, 3]) {
      const snap = randomLoad(seed);
      const result = scheduleDrf(snap);
      expect(result).toEqual(naiveDrf(snap));
      expect(partitionProblems(snap, result)).toEqual([]);
      for (const free of freeAfter(snap, result).values())
        for (const v of Object.values(free)) expect(v).toBeGreaterThanOrEqual(0);
    }
  });
});

function randomLoad(seed: number): SchedulingSnapshot {
  const r = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const agents = Array.from({ length: 15 }, (_, i) =>
    agent(`n${i}`, { cpu: 16, memory: 32768, ...(i % 4 === 0 ? { gpu: 4 } : {}) }),
  );
  const pending = Array.from({ length: 400 }, (_, i) =>
    job(
      `j${i}`,
      `u${Math.floor(r() * 9)}`,
      { cpu: pick([1, 2, 4]), memory: pick([512, 2048, 8192]), ...(r() < 0.1 ? { gpu: pick([1, 2]) } : {}) },
      Math.floor(r() * 100),
      pick([0, 0, 3]),
    ),
  );
  const allocatedByOwner = Object.fromEntries(
    Array.from({ length: 9 }, (_, u) => [`u${u}`, { cpu: u * 3, memory: (9 - u) * 1024 }]),
  );
  return snapshot(pending, agents, allocatedByOwner);
}

/** DRF written out plainly: every decision scans all owners for the lowest (share, candidate age, id). */
function naiveDrf(snap: SchedulingSnapshot): ScheduleResult {
  const model = new PassModel(snap, resolvePlacementConfig({}));
  const names = model.space.names;
  const total = names.map((_, s) => model.agents.totalCapacity[s]!);
  const owners = [...new Set(snap.pending.map((j) => j.owner))].map((owner) => ({
    owner,
    jobs: snap.pending
      .filter((j) => j.owner === owner)
      .sort((a, b) => Date.parse(a.submittedAt) - Date.parse(b.submittedAt) || (a.id < b.id ? -1 : 1)),
    usage: names.map((n) => snap.allocatedByOwner[owner]?.[n] ?? 0),
  }));
  const share = (u: number[]) => Math.max(0, ...u.map((x, s) => (total[s]! > 0 ? x / total[s]! : 0)));
  const older = (a: PendingJob, b: PendingJob) =>
    Date.parse(a.submittedAt) < Date.parse(b.submittedAt) || (a.submittedAt === b.submittedAt && a.id < b.id);
  const result: ScheduleResult = { placements: [], waiting: [] };
  let live = owners.filter((o) => o.jobs.length > 0);
  while (live.length > 0) {
    const o = live.reduce((best, x) =>
      share(x.usage) < share(best.usage) || (share(x.usage) === share(best.usage) && older(x.jobs[0]!, best.jobs[0]!))
        ? x
        : best,
    );
    const j = o.jobs.shift()!;
    const index = snap.pending.indexOf(j);
    const agentId = model.place(index);
    if (agentId !== undefined) {
      result.placements.push({ jobId: j.id, agentId });
      for (const [s, n] of names.entries()) o.usage[s] += Math.max(0, j.resources[n] ?? 0);
    } else if (j.attempts >= 3) {
      result.waiting.push({
        jobId: j.id,
        reason: `${model.whyNot(index)}; skipped so owner ${o.owner}'s next job can go (failed ${j.attempts} passes, numRetriesToSkip 3)`,
      });
    } else {
      result.waiting.push({
        jobId: j.id,
        reason: `${model.whyNot(index)}; holds owner ${o.owner}'s queue until it fits or has failed 3 passes (failed ${j.attempts} so far)`,
      });
      result.waiting.push(
        ...o.jobs.map((x) => ({ jobId: x.id, reason: `behind ${j.id} of owner ${o.owner}, which fits nowhere` })),
      );
      o.jobs = [];
    }
    live = live.filter((x) => x.jobs.length > 0);
  }
  return result;
}
