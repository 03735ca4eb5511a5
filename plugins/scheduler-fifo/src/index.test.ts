import {
  agent,
  createTestKernel,
  job,
  placedIds,
  reasonOf,
  snapshot,
  type TestKernel,
} from 'spindle/plugin-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import manifest from '../plugin.json' with { type: 'json' };
import plugin from './index.js';

let kernel: TestKernel;
afterEach(() => kernel.close());

const snap = snapshot([job('head', 'u', { gpu: 1 }, 0, 1), job('next', 'u', { cpu: 1 }, 1)], [agent('n1', { cpu: 4 })]);

describe('scheduler-fifo plugin', () => {
  it('registers the fifo scheduler with the schema defaults (numRetriesToSkip 3)', async () => {
    kernel = createTestKernel();
    await kernel.activate(plugin, { manifest: manifest as never });
    const fifo = kernel.registries.schedulers.get('fifo')!;
    const result = await fifo.schedule(snap);
    expect(result.placements).toEqual([]);
    expect(reasonOf(result, 'next')).toBe('behind head, which fits nowhere');
  });

  it('applies the operator config', async () => {
    kernel = createTestKernel();
    await kernel.activate(plugin, {
      manifest: manifest as never,
      config: { numRetriesToSkip: 1, agentSelection: 'concentrated' },
    });
    expect(placedIds(await kernel.registries.schedulers.get('fifo')!.schedule(snap))).toEqual(['next']);
  });

  it('refuses a bad config', async () => {
    kernel = createTestKernel();
    await expect(
      kernel.activate(plugin, { manifest: manifest as never, config: { agentSelection: 'random' } }),
    ).rejects.toMatchObject({ code: 'KRN_ERR_CONFIG_INVALID' });
    await expect(
      kernel.activate(plugin, { manifest: manifest as never, config: { numRetriesToSkip: -1 } }),
    ).rejects.toMatchObject({ code: 'KRN_ERR_CONFIG_INVALID' });
    await expect(
      kernel.activate(plugin, { manifest: manifest as never, config: { acceleratorSlots: 'gpu' } }),
    ).rejects.toMatchObject({ code: 'KRN_ERR_CONFIG_INVALID' });
    expect(kernel.registries.schedulers.has('fifo')).toBe(false);
  });

  it('removes the scheduler when deactivated', async () => {
    kernel = createTestKernel();
    await kernel.activate(plugin, { manifest: manifest as never });
    await kernel.deactivate();
    expect(kernel.registries.schedulers.has('fifo')).toBe(false);
  });
});
