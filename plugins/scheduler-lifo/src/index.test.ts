import { agent, createTestKernel, job, placedIds, snapshot, type TestKernel } from 'spindle/plugin-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import manifest from '../plugin.json' with { type: 'json' };
import plugin from './index.js';

let kernel: TestKernel;
afterEach(() => kernel.close());

describe('scheduler-lifo plugin', () => {
  it('registers the lifo scheduler', async () => {
    kernel = createTestKernel();
    await kernel.activate(plugin, { manifest: manifest as never });
    const snap = snapshot(
      [job('first', 'u', { cpu: 1 }, 0), job('second', 'u', { cpu: 1 }, 1)],
      [agent('n1', { cpu: 4 })],
    );
    expect(placedIds(await kernel.registries.schedulers.get('lifo')!.schedule(snap))).toEqual(['second', 'first']);
  });

  it('refuses a bad agentSelection', async () => {
    kernel = createTestKernel();
    await expect(
      kernel.activate(plugin, { manifest: manifest as never, config: { agentSelection: 'spread' } }),
    ).rejects.toMatchObject({ code: 'KRN_ERR_CONFIG_INVALID' });
    await expect(
      kernel.activate(plugin, { manifest: manifest as never, config: { numRetriesToSkip: 3 } }),
    ).rejects.toMatchObject({ code: 'KRN_ERR_CONFIG_INVALID' });
  });
});
