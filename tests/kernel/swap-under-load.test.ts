import { afterEach, describe, expect, it } from 'vitest';
import { helloPlugin, pluginZip } from '../helpers/plugin-fixtures.js';
import { startTestKernel, uploadZip } from '../helpers/test-kernel.js';

let k: Awaited<ReturnType<typeof startTestKernel>> | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

describe('hot swap under load', () => {
  it('answers every request while the plugin is swapped again and again', async () => {
    k = await startTestKernel();
    const kernel = k;
    await uploadZip(kernel.api, pluginZip(helloPlugin('1.0.0')));
    let running = true;
    const failures: string[] = [];
    const seen = new Set<string>();
    const worker = async (): Promise<number> => {
      let n = 0;
      while (running) {
        try {
          const res = await kernel.api('/api/v1/plugins/hello/routes/hello');
          const body = (await res.json()) as { version?: string };
          if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(body)}`);
          else seen.add(body.version!);
        } catch (error) {
          failures.push(String(error));
        }
        n++;
      }
      return n;
    };
    const workers = [worker(), worker(), worker(), worker()];
    for (let minor = 1; minor <= 15; minor++) {
      const res = await uploadZip(kernel.api, pluginZip(helloPlugin(`1.${minor}.0`)), '?replace=true');
      expect(res.status).toBe(201);
    }
    running = false;
    const requests = (await Promise.all(workers)).reduce((a, b) => a + b, 0);
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(50);
    expect(seen.has('1.15.0')).toBe(true);
    expect(seen.size).toBeGreaterThan(2);
  });
});
