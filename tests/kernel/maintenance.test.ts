/** Maintenance mode and activity filters, over the API. */
import { afterEach, describe, expect, it } from 'vitest';
import { bundleFirstPartyPlugins } from '../../core/plugins/default-plugins.js';
import { fakeJob, fakeJobType, fakeTarget } from '../helpers/fake-job-plugins.js';
import { deployForm } from '../helpers/job-upload.js';
import { helloPlugin, pluginZip } from '../helpers/plugin-fixtures.js';
import { startTestKernel, uploadZip } from '../helpers/test-kernel.js';

type TestKernel = Awaited<ReturnType<typeof startTestKernel>>;
let k: TestKernel | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

const json = { 'content-type': 'application/json' };
const SOURCE = pluginZip({ name: 'src', version: '1.0.0', source: '' });

async function withJobs(): Promise<TestKernel> {
  const kernel = await startTestKernel();
  const [fifo] = await bundleFirstPartyPlugins(['scheduler-fifo']);
  await kernel.api('/api/v1/plugins', { method: 'POST', body: JSON.stringify({ path: fifo }), headers: json });
  await uploadZip(kernel.api, pluginZip(fakeTarget));
  await uploadZip(kernel.api, pluginZip(fakeJobType));
  return kernel;
}

const maintenance = (kernel: TestKernel, enabled: boolean, message?: string) =>
  kernel.api('/api/v1/system/maintenance', {
    method: 'PUT',
    body: JSON.stringify({ enabled, ...(message ? { message } : {}) }),
    headers: json,
  });

describe('maintenance mode', () => {
  it('refuses changes with 503 and a clear message, keeps reads working, and is in the activity log', async () => {
    k = await withJobs();
    await uploadZip(k.api, pluginZip(helloPlugin('1.0.0')));
    expect((await k.api('/api/v1/jobs', { method: 'POST', body: deployForm(fakeJob('before'), SOURCE) })).status).toBe(
      201,
    );
    expect((await maintenance(k, true, 'database upgrade')).status).toBe(200);

    const refusals = [
      await uploadZip(k.api, pluginZip(helloPlugin('2.0.0'))),
      await k.api('/api/v1/plugins/hello', { method: 'DELETE' }),
      await k.api('/api/v1/plugins/hello/config', { method: 'PATCH', body: '{}', headers: json }),
      await k.api('/api/v1/jobs', { method: 'POST', body: deployForm(fakeJob('during'), SOURCE) }),
      await k.api('/api/v1/jobs/before/1.0.0', { method: 'DELETE' }),
      await k.api('/api/v1/queues/default', {
        method: 'PUT',
        body: JSON.stringify({ scheduler: 'fifo' }),
        headers: json,
      }),
    ];
    for (const res of refusals) {
      expect(res.status).toBe(503);
      const err = (await res.json()) as { code: string; message: string };
      expect(err.code).toBe('KRN_ERR_MAINTENANCE');
      expect(err.message).toContain('database upgrade');
    }
    expect((await k.api('/api/v1/plugins')).status).toBe(200);
    expect((await k.api('/api/v1/jobs/before/1.0.0')).status).toBe(200);
    expect(await (await k.api('/api/v1/plugins/hello/routes/hello')).json()).toEqual({ version: '1.0.0' });
    expect(((await (await fetch(`${k.url}/health`)).json()) as { maintenance: boolean }).maintenance).toBe(true);

    expect((await maintenance(k, false)).status).toBe(200);
    expect((await uploadZip(k.api, pluginZip(helloPlugin('2.0.0')))).status).toBe(201);
    const log = (await (await k.api('/api/v1/activity?action=system.maintenance-on')).json()) as {
      entries: { actor: string; details: { message: string } }[];
    };
    expect(log.entries[0]).toMatchObject({ actor: 'admin', details: { message: 'database upgrade' } });
  });

  it('survives a restart', async () => {
    k = await startTestKernel();
    const home = k.home;
    await maintenance(k, true);
    await k.close();
    k = await startTestKernel({ home });
    expect(await (await k.api('/api/v1/system/maintenance')).json()).toMatchObject({ enabled: true, by: 'admin' });
    expect((await uploadZip(k.api, pluginZip(helloPlugin('1.0.0')))).status).toBe(503);
  });
});

describe('activity filters', () => {
  it('filters by job family and by job version', async () => {
    k = await withJobs();
    for (const version of ['1.0.0', '1.1.0'])
      await k.api('/api/v1/jobs', { method: 'POST', body: deployForm({ ...fakeJob('adder'), version }, SOURCE) });
    await k.api('/api/v1/jobs', { method: 'POST', body: deployForm(fakeJob('adder-two'), SOURCE) });
    const family = (await (await k.api('/api/v1/activity?family=adder&action=job.deployed')).json()) as {
      entries: { subject: string }[];
    };
    expect(family.entries.map((e) => e.subject).sort()).toEqual(['adder@1.0.0', 'adder@1.1.0']);
    const one = (await (await k.api('/api/v1/activity?job=adder@1.1.0')).json()) as { entries: { subject: string }[] };
    expect(one.entries.length).toBeGreaterThan(0);
    expect(new Set(one.entries.map((e) => e.subject))).toEqual(new Set(['adder@1.1.0']));
  });
});
