import { agent, createTestKernel, job, snapshot, type TestKernel } from 'spindle/plugin-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import manifest from '../plugin.json' with { type: 'json' };
import plugin from './index.js';

let kernel: TestKernel;
afterEach(() => kernel.close());

describe('scheduler-drf plugin', () => {
  it('registers the drf scheduler and schedules through it', async () => {
    kernel = createTestKernel();
    await kernel.activate(plugin, { manifest: manifest as never, config: { agentSelection: 'concentrated' } });
    const snap = snapshot(
      [job('a1', 'alice', { cpu: 1 }, 0), job('b1', 'bob', { cpu: 1 }, 1)],
      [agent('n1', { cpu: 4 }), agent('n2', { cpu: 8 })],
      { alice: { cpu: 2 } },
    );
    expect(await kernel.registries.schedulers.get('drf')!.schedule(snap)).toEqual({
      placements: [
        { jobId: 'b1', agentId: 'n1' },
        { jobId: 'a1', agentId: 'n1' },
      ],
      waiting: [],
    });
  });

  it('refuses a bad config', async () => {
    kernel = createTestKernel();
    await expect(
      kernel.activate(plugin, { manifest: manifest as never, config: { agentSelection: 'fair' } }),
    ).rejects.toMatchObject({ code: 'KRN_ERR_CONFIG_INVALID' });
    await expect(
      kernel.activate(plugin, { manifest: manifest as never, config: { numRetriesToSkip: 1.5 } }),
    ).rejects.toMatchObject({ code: 'KRN_ERR_CONFIG_INVALID' });
    expect(kernel.registries.schedulers.has('drf')).toBe(false);
  });
});
