import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { ScheduleResult, SchedulingSnapshot } from '../../plugin-sdk/index.js';
import { agent, job, snapshot } from '../../plugin-sdk/testing/scheduling-fixtures.js';
import { wireCodec } from './wire-codecs.js';

const codec = wireCodec('schedulers', 'schedule')!;
/** Through the codec and the IPC serialisation, as a call to an isolated scheduler goes. */
const crossArgs = (snap: unknown) => codec.decodeArgs(deserialize(serialize(codec.encodeArgs([snap]))) as unknown[])[0];
const crossResult = (result: unknown) => codec.decodeResult(deserialize(serialize(codec.encodeResult(result))));
const keysOf = (snap: SchedulingSnapshot) => snap.pending.map((p) => Object.keys(p.resources).join(','));

function big(n: number): SchedulingSnapshot {
  const pending = Array.from({ length: n }, (_, i) =>
    job(
      `j${i}`,
      `owner-${i % 7}`,
      i % 3 === 0 ? { memory: 64, cpu: 1 } : { cpu: 2, memory: 128, gpu: i % 2 },
      i,
      i % 4,
    ),
  );
  return snapshot(pending, [agent('a1', { cpu: 64, memory: 1024 }), agent('a2', { cpu: 8 }, { cpu: 1 })], {
    'owner-1': { cpu: 3 },
  });
}

describe('the wire codec of scheduling.schedule', () => {
  it('gives the scheduler the same snapshot, key order of every resources map included', () => {
    const snap = big(500);
    const crossed = crossArgs(snap) as SchedulingSnapshot;
    expect(crossed).toEqual(snap);
    expect(keysOf(crossed)).toEqual(keysOf(snap));
  });

  it('sends a large snapshot as columns and a small one as it is', () => {
    expect(codec.encodeArgs([big(500)])[0]).toMatchObject({ $wire: 'snapshot/1' });
    expect(codec.encodeArgs([big(10)])[0]).toEqual(big(10));
  });

  it('sends a snapshot of another shape as it is, so the scheduler sees exactly what was sent', () => {
    const odd: unknown[] = [
      { ...big(100), extra: true },
      { ...big(100), pending: [...big(100).pending, { ...job('x', 'o', { cpu: 1 }), priority: 3 }] },
      { ...big(100), pending: [...big(100).pending, job('has\u0000nul', 'o', { cpu: 1 })] },
      { ...big(100), pending: [...big(100).pending, { ...job('x', 'o', {}), resources: { cpu: '1' } }] },
      { ...big(100), pending: [...big(100).pending, { ...job('x', 'o', {}), resources: [1] }] },
      { ...big(100), pending: [...big(100).pending, null] },
    ];
    for (const snap of odd) {
      expect(codec.encodeArgs([snap])[0]).toBe(snap);
      expect(crossArgs(snap)).toEqual(snap);
    }
  });

  it('keeps an empty resources map and odd slot names', () => {
    const pending = Array.from({ length: 100 }, (_, i) => job(`j${i}`, 'o', i % 2 ? {} : { 'a,b': 1, '"q"': 2 }));
    const snap = snapshot(pending, []);
    expect(crossArgs(snap)).toEqual(snap);
  });

  it('gives the kernel the same result, and an odd result as it is', () => {
    const result: ScheduleResult = {
      placements: Array.from({ length: 300 }, (_, i) => ({ jobId: `j${i}`, agentId: `a${i % 3}` })),
      waiting: Array.from({ length: 50 }, (_, i) => ({ jobId: `w${i}`, reason: i % 2 ? 'no room' : 'behind w0' })),
    };
    expect(codec.encodeResult(result)).toMatchObject({ $wire: 'schedule-result/1' });
    expect(crossResult(result)).toEqual(result);
    const empty = { placements: [], waiting: [] };
    expect(crossResult(empty)).toEqual(empty);
    for (const odd of [
      { ...result, note: 'x' },
      { placements: [...result.placements, { jobId: 'j', agentId: 'a', why: 1 }], waiting: [] },
      { placements: result.placements, waiting: 'none' },
      'not a result',
      undefined,
    ])
      expect(codec.encodeResult(odd)).toBe(odd);
  });

  it('leaves every other call alone', () => {
    expect(wireCodec('targets', 'deploy')).toBeUndefined();
    expect(wireCodec('schedulers', 'other')).toBeUndefined();
  });
});
