import { agent, freeAfter, job, partitionProblems, placedIds, reasonOf, snapshot } from 'spindle/plugin-sdk/testing';
import { describe, expect, it } from 'vitest';
import { scheduleFifo } from './fifo.js';

const cpuAgent = (id: string, cpu: number) => agent(id, { cpu, memory: 65536 });

describe('scheduleFifo', () => {
  it('places the oldest job first (submittedAt, then id), whatever order they arrive in', () => {
    const snap = snapshot(
      [
        job('c', 'u', { cpu: 1 }, 5),
        job('b', 'u', { cpu: 1 }, 2),
        job('a2', 'u', { cpu: 1 }, 2),
        job('z', 'u', { cpu: 1 }, 0),
      ],
      [cpuAgent('n1', 8)],
    );
    const result = scheduleFifo(snap);
    expect(placedIds(result)).toEqual(['z', 'a2', 'b', 'c']);
    expect(result.waiting).toEqual([]);
  });

  it('blocks the queue behind a head that fits nowhere (attempts below numRetriesToSkip)', () => {
    const snap = snapshot(
      [
        job('head', 'u', { cpu: 1, gpu: 4 }, 0, 2),
        job('small1', 'u', { cpu: 1 }, 1),
        job('small2', 'u', { cpu: 1 }, 2),
      ],
      [agent('n1', { cpu: 8, gpu: 2 })],
    );
    const result = scheduleFifo(snap);
    expect(result.placements).toEqual([]);
    expect(reasonOf(result, 'head')).toMatch(/^needs gpu 4, most free on any agent is 2; holds the queue/);
    expect(reasonOf(result, 'small1')).toBe('behind head, which fits nowhere');
    expect(reasonOf(result, 'small2')).toBe('behind head, which fits nowhere');
    expect(partitionProblems(snap, result)).toEqual([]);
  });

  it('skips the head once it has failed numRetriesToSkip passes, and the rest go', () => {
    const jobs = (attempts: number) => [
      job('head', 'u', { cpu: 1, gpu: 4 }, 0, attempts),
      job('small1', 'u', { cpu: 1 }, 1),
      job('small2', 'u', { cpu: 1 }, 2),
    ];
    const agents = [agent('n1', { cpu: 8, gpu: 2 })];
    const skipped = scheduleFifo(snapshot(jobs(3), agents));
    expect(placedIds(skipped)).toEqual(['small1', 'small2']);
    expect(reasonOf(skipped, 'head')).toMatch(
      /^needs gpu 4, most free on any agent is 2; skipped so the queue moves on/,
    );
    expect(placedIds(scheduleFifo(snapshot(jobs(3), agents), { numRetriesToSkip: 5 }))).toEqual([]);
    expect(placedIds(scheduleFifo(snapshot(jobs(0), agents), { numRetriesToSkip: 0 }))).toEqual(['small1', 'small2']);
  });

  it('blocks at the first job that no longer fits once earlier ones took the room', () => {
    const snap = snapshot(
      [job('j1', 'u', { cpu: 3 }, 0), job('j2', 'u', { cpu: 3 }, 1), job('j3', 'u', { cpu: 1 }, 2)],
      [cpuAgent('n1', 4)],
    );
    const result = scheduleFifo(snap);
    expect(placedIds(result)).toEqual(['j1']);
    expect(reasonOf(result, 'j2')).toMatch(/^needs cpu 3, most free on any agent is 1;/);
    expect(reasonOf(result, 'j3')).toBe('behind j2, which fits nowhere');
  });

  it('skips a rogue job in the middle too, and keeps placing behind it', () => {
    const snap = snapshot(
      [job('j1', 'u', { cpu: 1 }, 0), job('rogue', 'u', { memory: 1e9 }, 1, 7), job('j3', 'u', { cpu: 1 }, 2)],
      [cpuAgent('n1', 4)],
    );
    const result = scheduleFifo(snap);
    expect(placedIds(result)).toEqual(['j1', 'j3']);
    expect(reasonOf(result, 'rogue')).toMatch(/^needs memory 1000000000, most free on any agent is 65536; skipped/);
  });

  it('chooses agents dispersed by default and concentrated on request', () => {
    const agents = [cpuAgent('a', 8), cpuAgent('b', 8)];
    const snap = snapshot([job('j1', 'u', { cpu: 2 }, 0), job('j2', 'u', { cpu: 2 }, 1)], agents);
    expect(scheduleFifo(snap).placements.map((p) => p.agentId)).toEqual(['a', 'b']);
    expect(scheduleFifo(snap, { agentSelection: 'concentrated' }).placements.map((p) => p.agentId)).toEqual(['a', 'a']);
  });

  it('never overcommits an agent and lists every job exactly once (random load)', () => {
    const agents = Array.from({ length: 20 }, (_, i) =>
      agent(`n${i}`, { cpu: 8, memory: 16384, ...(i % 5 === 0 ? { gpu: 4 } : {}) }, { cpu: i % 3 }),
    );
    const pending = Array.from({ length: 300 }, (_, i) =>
      job(
        `j${i}`,
        `u${i % 7}`,
        { cpu: 1 + (i % 4), memory: 512 * (1 + (i % 9)), ...(i % 11 === 0 ? { gpu: 1 } : {}) },
        i % 50,
        i % 5,
      ),
    );
    const snap = snapshot(pending, agents);
    const result = scheduleFifo(snap);
    expect(partitionProblems(snap, result)).toEqual([]);
    for (const free of freeAfter(snap, result).values())
      for (const v of Object.values(free)) expect(v).toBeGreaterThanOrEqual(0);
    expect(result.placements.length).toBeGreaterThan(50);
  });

  it('refuses a bad config when called directly', () => {
    const snap = snapshot([], []);
    expect(() => scheduleFifo(snap, { agentSelection: 'random' as never })).toThrow(/agentSelection/);
    expect(() => scheduleFifo(snap, { numRetriesToSkip: -1 })).toThrow(/numRetriesToSkip/);
  });
});
