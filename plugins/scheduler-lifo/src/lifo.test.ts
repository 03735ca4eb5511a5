import { agent, job, partitionProblems, placedIds, reasonOf, snapshot } from 'spindle/plugin-sdk/testing';
import { describe, expect, it } from 'vitest';
import { scheduleLifo } from './lifo.js';

describe('scheduleLifo', () => {
  it('places the newest job first; equal times by id, descending (FIFO order reversed)', () => {
    const snap = snapshot(
      [
        job('old', 'u', { cpu: 1 }, 0),
        job('b', 'u', { cpu: 1 }, 5),
        job('a', 'u', { cpu: 1 }, 5),
        job('mid', 'u', { cpu: 1 }, 3),
      ],
      [agent('n1', { cpu: 8 })],
    );
    expect(placedIds(scheduleLifo(snap))).toEqual(['b', 'a', 'mid', 'old']);
  });

  it('gives the room to the newest when it runs out, and the older ones wait with the reason', () => {
    const snap = snapshot([job('old', 'u', { cpu: 2 }, 0), job('new', 'u', { cpu: 3 }, 9)], [agent('n1', { cpu: 4 })]);
    const result = scheduleLifo(snap);
    expect(placedIds(result)).toEqual(['new']);
    expect(reasonOf(result, 'old')).toBe('needs cpu 2, most free on any agent is 1');
  });

  it('never blocks: a job that fits nowhere waits and older jobs are still placed', () => {
    const snap = snapshot(
      [job('old', 'u', { cpu: 1 }, 0), job('huge', 'u', { cpu: 1, gpu: 2 }, 9, 0)],
      [agent('n1', { cpu: 4 })],
    );
    const result = scheduleLifo(snap);
    expect(placedIds(result)).toEqual(['old']);
    expect(reasonOf(result, 'huge')).toBe('needs gpu 2, but no agent has gpu at all');
    expect(partitionProblems(snap, result)).toEqual([]);
  });

  it('keeps jobs without accelerators off accelerator agents, and honours concentrated', () => {
    const agents = [agent('gpu', { cpu: 32, gpu: 4 }), agent('p1', { cpu: 8 }), agent('p2', { cpu: 4 })];
    const snap = snapshot([job('x', 'u', { cpu: 2 }, 1), job('y', 'u', { cpu: 2 }, 0)], agents);
    expect(scheduleLifo(snap).placements).toEqual([
      { jobId: 'x', agentId: 'p1' },
      { jobId: 'y', agentId: 'p1' },
    ]);
    expect(scheduleLifo(snap, { agentSelection: 'concentrated' }).placements).toEqual([
      { jobId: 'x', agentId: 'p2' },
      { jobId: 'y', agentId: 'p2' },
    ]);
  });
});
