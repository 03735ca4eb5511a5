/** Test set-up shared by the plugin's test files: a test kernel and receivers, closed after each test. */

import { createTestKernel, type TestKernel } from 'spindle/plugin-sdk/testing';
import { afterEach } from 'vitest';
import manifest from '../plugin.json' with { type: 'json' };
import plugin from './index.js';
import { type Receiver, startReceiver } from './test-receiver.js';

export function useWebhookKernel() {
  let current: TestKernel | undefined;
  const receivers: Receiver[] = [];
  afterEach(async () => {
    await current?.close();
    current = undefined;
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  return {
    get kernel(): TestKernel {
      if (!current) throw new Error('no test kernel: call start() first');
      return current;
    },
    set kernel(kernel: TestKernel) {
      current = kernel;
    },
    async receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
      const r = await startReceiver(...args);
      receivers.push(r);
      return r;
    },
    /** Activate the plugin with small backoffs and time limits, plus `config`. */
    async start(config: Record<string, unknown>): Promise<void> {
      current = createTestKernel();
      await current.activate(plugin, {
        manifest: manifest as never,
        config: { initialBackoffMs: 10, timeoutMs: 1_000, ...config },
      });
    },
  };
}
