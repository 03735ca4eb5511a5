/** The scheduling loop and the job state machine, with test plugins and the real FIFO scheduler. */
import { afterEach, describe, expect, it } from 'vitest';
import { bundleFirstPartyPlugins } from '../../core/plugins/default-plugins.js';
import { fakeJob, fakeJobType, fakeTarget } from '../helpers/fake-job-plugins.js';
import { deployForm } from '../helpers/job-upload.js';
import { pluginZip } from '../helpers/plugin-fixtures.js';
import { startTestKernel, uploadZip } from '../helpers/test-kernel.js';

type TestKernel = Awaited<ReturnType<typeof startTestKernel>>;
let k: TestKernel | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

const EMPTY_SOURCE = pluginZip({ name: 'src', version: '1.0.0', source: '' });
const json = { 'content-type': 'application/json' };

async function kernelWithJobs(home?: string): Promise<TestKernel> {
  const kernel = await startTestKernel({ home, env: { SPINDLE_SCHEDULER_TICK_MS: '100' } });
  if (!home) {
    const [fifo] = await bundleFirstPartyPlugins(['scheduler-fifo']);
    await kernel.api('/api/v1/plugins', { method: 'POST', body: JSON.stringify({ path: fifo }), headers: json });
    await uploadZip(kernel.api, pluginZip(fakeTarget));
    await uploadZip(kernel.api, pluginZip(fakeJobType));
  }
  return kernel;
}

const deploy = (kernel: TestKernel, manifest: object) =>
  kernel.api('/api/v1/jobs', { method: 'POST', body: deployForm(manifest, EMPTY_SOURCE) });
const jobState = async (kernel: TestKernel, name: string) =>
  (await (await kernel.api(`/api/v1/jobs/${name}/1.0.0`)).json()) as { state: string; reason: string; seq: number };
async function settle(kernel: TestKernel): Promise<void> {
  await kernel.kernel.jobs.settled();
  await kernel.kernel.jobs.settled();
}

describe('scheduling', () => {
  it('places what fits, keeps the rest pending with the short resource named, and runs it when room frees', async () => {
    k = await kernelWithJobs();
    for (const name of ['one', 'two', 'three']) expect((await deploy(k, fakeJob(name))).status).toBe(201);
    await settle(k);
    expect((await jobState(k, 'one')).state).toBe('RUNNING');
    expect((await jobState(k, 'two')).state).toBe('RUNNING');
    const waiting = await jobState(k, 'three');
    expect(waiting.state).toBe('PENDING');
    expect(waiting.reason).toMatch(/cpu/);
    const queue = (await (await k.api('/api/v1/queue')).json()) as { jobs: { name: string; reason: string }[] };
    // The reason's pass count moves with every tick (100 ms here), so only its start is compared.
    expect(queue.jobs.map((j) => j.name)).toEqual(['three']);
    expect(queue.jobs[0]!.reason).toMatch(/^needs cpu 1, most free on any agent is 0/);
    await k.api('/api/v1/jobs/one/1.0.0', { method: 'DELETE' });
    await settle(k);
    expect((await jobState(k, 'three')).state).toBe('RUNNING');
  });

  it('coalesces a burst of submissions into a few passes', async () => {
    k = await kernelWithJobs();
    await k.api('/api/v1/plugins/fake-target/config', {
      method: 'PATCH',
      body: JSON.stringify({ agents: [{ id: 'big', capacity: { cpu: 100, memory: 100000 } }] }),
      headers: json,
    });
    const before = k.kernel.jobs.scheduling.passes;
    await Promise.all(Array.from({ length: 40 }, (_, i) => deploy(k!, fakeJob(`burst-${i}`))));
    await settle(k);
    const jobs = (await (await k.api('/api/v1/jobs?state=RUNNING')).json()) as { jobs: unknown[] };
    expect(jobs.jobs).toHaveLength(40);
    expect(k.kernel.jobs.scheduling.passes - before).toBeLessThan(20);
  });

  it('never falls back from an unknown scheduler: deploy is refused, and queued jobs say why they wait', async () => {
    k = await kernelWithJobs();
    await k.api('/api/v1/queues/special', {
      method: 'PUT',
      body: JSON.stringify({ scheduler: 'no-such-scheduler' }),
      headers: json,
    });
    const res = await deploy(k, fakeJob('special', { queue: 'special' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'KRN_ERR_SCHEDULER_NOT_FOUND' });
    await k.api('/api/v1/queues/special', {
      method: 'PUT',
      body: JSON.stringify({ scheduler: 'fifo' }),
      headers: json,
    });
    await k.api('/api/v1/plugins/fake-target/config', {
      method: 'PATCH',
      body: JSON.stringify({ agents: [] }),
      headers: json,
    });
    expect((await deploy(k, fakeJob('queued', { queue: 'special' }))).status).toBe(201);
    await k.api('/api/v1/queues/special', {
      method: 'PUT',
      body: JSON.stringify({ scheduler: 'no-such-scheduler' }),
      headers: json,
    });
    await settle(k);
    const job = await jobState(k, 'queued');
    expect(job.state).toBe('PENDING');
    expect(job.reason).toContain('no-such-scheduler');
  });

  it('applies per-owner limits and scheduling.admit at enqueue, with the reason', async () => {
    k = await kernelWithJobs();
    await k.api('/api/v1/queues/default', {
      method: 'PUT',
      body: JSON.stringify({ scheduler: 'fifo', maxJobsPerOwner: 1 }),
      headers: json,
    });
    expect((await deploy(k, fakeJob('first'))).status).toBe(201);
    const second = await deploy(k, fakeJob('second'));
    expect(second.status).toBe(422);
    expect(((await second.json()) as { message: string }).message).toContain('limit 1');
    await k.api('/api/v1/queues/default', {
      method: 'PUT',
      body: JSON.stringify({ scheduler: 'fifo' }),
      headers: json,
    });
    await uploadZip(
      k.api,
      pluginZip({
        name: 'no-gpus',
        version: '1.0.0',
        source: `module.exports = definePlugin({ activate(ctx) { ctx.scheduling.admit((r) => r.job.resources.gpu ? { reject: 'GPU jobs are not allowed here' } : undefined); } });`,
      }),
    );
    const gpu = await deploy(k, fakeJob('gpu-job', { resources: { cpu: 1, memory: 1, gpu: 1 } }));
    expect(gpu.status).toBe(422);
    expect(((await gpu.json()) as { message: string }).message).toContain('GPU jobs are not allowed here');
  });

  it('honours scheduling.filter predicates', async () => {
    k = await kernelWithJobs();
    await k.api('/api/v1/plugins/fake-target/config', {
      method: 'PATCH',
      body: JSON.stringify({
        agents: [
          { id: 'a1', capacity: { cpu: 8, memory: 8192 } },
          { id: 'a2', capacity: { cpu: 1, memory: 1024 } },
        ],
      }),
      headers: json,
    });
    await uploadZip(
      k.api,
      pluginZip({
        name: 'avoid-a1',
        version: '1.0.0',
        source: `module.exports = definePlugin({ activate(ctx) { ctx.scheduling.filter((r) => r.agent.id === 'a1' ? { reject: 'a1 is draining' } : undefined); } });`,
      }),
    );
    await deploy(k, fakeJob('filtered'));
    await settle(k);
    const job = (await (await k.api('/api/v1/jobs/filtered/1.0.0')).json()) as {
      state: string;
      agentId: string | null;
    };
    // The scheduler picks a1 (most free); the filter rules it out; offered again without a1, it goes to a2.
    expect(job).toMatchObject({ state: 'RUNNING', agentId: 'a2' });
    await k.api('/api/v1/plugins/fake-target/config', {
      method: 'PATCH',
      body: JSON.stringify({ agents: [{ id: 'a1', capacity: { cpu: 8, memory: 8192 } }] }),
      headers: json,
    });
    await deploy(k, fakeJob('nowhere'));
    await settle(k);
    const waiting = await jobState(k, 'nowhere');
    expect(waiting.state).toBe('PENDING');
    expect(waiting.reason).toContain('a1 is draining');
  });

  it('fails a job whose binding fails, freeing its reservation', async () => {
    k = await kernelWithJobs();
    await deploy(k, fakeJob('fail-deploy'));
    await deploy(k, fakeJob('bad-prepare', { labels: { prepare: 'fail' } }));
    await deploy(k, fakeJob('fine'));
    await settle(k);
    await settle(k);
    expect(await jobState(k, 'fail-deploy')).toMatchObject({
      state: 'FAILED',
      reason: expect.stringContaining('refuses fail-deploy'),
    });
    expect(await jobState(k, 'bad-prepare')).toMatchObject({
      state: 'FAILED',
      reason: expect.stringContaining('cannot prepare this one'),
    });
    expect((await jobState(k, 'fine')).state).toBe('RUNNING');
  });

  it('after a restart: pending jobs keep their place, lost batch jobs stay LOST, lost services run again', async () => {
    k = await kernelWithJobs();
    const home = k.home;
    await deploy(k, fakeJob('runner', { kind: 'batch' }));
    await deploy(k, fakeJob('svc'));
    await settle(k);
    await deploy(k, fakeJob('waiter-1'));
    await deploy(k, fakeJob('waiter-2'));
    await settle(k);
    const before = [await jobState(k, 'waiter-1'), await jobState(k, 'waiter-2')];
    expect(before.map((j) => j.state)).toEqual(['PENDING', 'PENDING']);
    await k.close();
    k = await kernelWithJobs(home);
    await settle(k);
    const runner = await jobState(k, 'runner');
    expect(runner.state).toBe('LOST');
    expect(runner.reason).toContain('no longer running');
    const svc = (await (await k.api('/api/v1/jobs/svc/1.0.0')).json()) as {
      state: string;
      events: { to: string; reason: string }[];
    };
    expect(svc.state).toBe('RUNNING');
    expect(svc.events.map((e) => e.to)).toEqual(expect.arrayContaining(['LOST', 'PENDING']));
    expect(svc.events.some((e) => e.reason === 'requeued after the kernel restarted')).toBe(true);
    const after = [await jobState(k, 'waiter-1'), await jobState(k, 'waiter-2')];
    expect(after.map((j) => j.seq)).toEqual(before.map((j) => j.seq));
    expect(after.map((j) => j.state)).toEqual(['RUNNING', 'PENDING']);
  });

  it('lets a job type plugin refuse a manifest, with its message', async () => {
    k = await kernelWithJobs();
    await uploadZip(
      k.api,
      pluginZip({
        name: 'strict',
        version: '1.0.0',
        source: `module.exports = definePlugin({ activate(ctx) { ctx.jobTypes.validateManifest((m) => { if (!m.labels || !m.labels.team) throw new PluginError('labels.team is required'); return m; }); } });`,
      }),
    );
    const res = await deploy(k, fakeJob('no-team'));
    expect(res.status).toBe(400);
    const err = (await res.json()) as { code: string; message: string };
    expect(err.code).toBe('KRN_ERR_JOB_MANIFEST_INVALID');
    expect(err.message).toContain('labels.team is required');
  });
});
