import { describe, expect, it } from 'vitest';
import type { FreeView } from './agent-index.js';
import { fits, formatAmount, whyNoFit } from './fits.js';

const NAMES = ['cpu', 'memory', 'gpu'];

function view(maxFree: number[], maxCapacity: number[], agentCount = 3): FreeView {
  return { agentCount, maxFree: (s) => maxFree[s]!, maxCapacity: (s) => maxCapacity[s]! };
}

const why = (request: number[], v: FreeView) => whyNoFit(Float64Array.from(request), 0, NAMES, v);

describe('fits', () => {
  it('needs every requested slot free, ignores slots requested at 0', () => {
    expect(fits({ cpu: 2, memory: 100 }, { cpu: 2, memory: 100 })).toBe(true);
    expect(fits({ cpu: 2, memory: 100 }, { cpu: 2, memory: 101 })).toBe(false);
    expect(fits({ cpu: 2 }, { cpu: 1, gpu: 0 })).toBe(true);
    expect(fits({ cpu: 2 }, { cpu: 1, gpu: 1 })).toBe(false);
  });
});

describe('whyNoFit names the short resource', () => {
  it('one slot short: how much is asked and the most any agent has free', () => {
    expect(why([1, 512, 4], view([8, 4096, 2], [8, 4096, 8]))).toBe('needs gpu 4, most free on any agent is 2');
  });

  it('several slots short', () => {
    expect(why([16, 8192, 0], view([8, 4096, 0], [8, 4096, 8]))).toBe(
      'needs cpu 16 and memory 8192, most free on any agent is cpu 8, memory 4096',
    );
  });

  it('a slot no agent has at all', () => {
    expect(why([1, 0, 1], view([8, 4096, -Infinity], [8, 4096, 0]))).toBe('needs gpu 1, but no agent has gpu at all');
  });

  it('every slot free somewhere, but not together on one agent', () => {
    expect(why([4, 2048, 0], view([6, 4096, 0], [8, 4096, 0]))).toBe(
      'no single agent has cpu 4 and memory 2048 free at once (most free on any agent: cpu 6, memory 4096)',
    );
  });

  it('no agents, and over-committed agents shown as 0 free', () => {
    expect(why([1, 0, 0], view([0, 0, 0], [0, 0, 0], 0))).toBe('no agents to place on');
    expect(why([1, 0, 0], view([-2, 0, 0], [4, 0, 0]))).toBe('needs cpu 1, most free on any agent is 0');
  });

  it('formats fractions to 3 places', () => {
    expect(formatAmount(0.5)).toBe('0.5');
    expect(formatAmount(1 / 3)).toBe('0.333');
    expect(formatAmount(2048)).toBe('2048');
  });
});
