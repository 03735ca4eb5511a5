/**
 * infra-k8s in a test kernel against the Kubernetes API stand-in (tests/helpers/k8s-stand-in.ts,
 * not a cluster): activation errors, agents, a deploy that never gets ready, a service that loses
 * and regains replicas, logs of several pods, objects deleted behind Spindle's back, re-attaching.
 * These need faults a real cluster cannot be asked for, so they are skipped under test:k8s.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DeployRequest, InfrastructureProvider, PluginManifest } from 'spindle/plugin-sdk';
import { createTestKernel, type TestKernel } from 'spindle/plugin-sdk/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../../plugins/infra-k8s/src/index.js';
import { K8sStandIn } from '../helpers/k8s-stand-in.js';

const manifest = JSON.parse(
  readFileSync(new URL('../../plugins/infra-k8s/plugin.json', import.meta.url), 'utf8'),
) as PluginManifest;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'infra-k8s-behaviour-'));
let standIn: K8sStandIn;
let kernel: TestKernel;

const config = (more: Record<string, unknown> = {}) => ({
  kubeconfig: standIn.kubeconfigPath,
  image: { buildImages: false },
  pollIntervalMs: 20,
  healthTimeoutMs: 2_000,
  ...more,
});
const start = async (more: Record<string, unknown> = {}): Promise<InfrastructureProvider> => {
  kernel = createTestKernel();
  await kernel.activate(plugin, { manifest, config: config(more) });
  return kernel.registries.targets.get('k8s')!;
};
let seq = 0;
const request = (kind: 'service' | 'batch', replicas = 1): DeployRequest => {
  const id = `job-${++seq}-${Date.now()}`;
  return {
    job: {
      id,
      name: `j${seq}`,
      version: '1.0.0',
      owner: 'ada',
      jobtype: 'python3:1.x',
      jobtypeResolved: 'python3:1.0.0',
      kind,
      replicas,
      resources: { cpu: 0.1, memory: 64 },
    },
    run: {
      command: ['python3'],
      env: {},
      healthPath: '/health',
      image: { dockerfile: 'FROM scratch', contextDir: scratch },
    },
    agentId: 'k8s:stand-in-node',
    env: { GREETING: 'hi' },
    sourceDir: scratch,
    workDir: scratch,
    logDir: path.join(scratch, id, 'logs'),
    mounts: [],
  };
};
const until = async (check: () => boolean, ms = 3_000) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return check();
};
const owned = (jobId: string) =>
  (['secrets', 'services', 'deployments', 'jobs', 'pods'] as const).flatMap((r) =>
    standIn.objects(r, 'spindle').filter((o) => o.metadata.labels?.['spindle.dev/job'] === jobId),
  );

describe.skipIf(process.env.SPINDLE_K8S_REAL === '1')('infra-k8s target against the API stand-in', () => {
  beforeAll(async () => {
    standIn = await K8sStandIn.start({
      nodes: [
        { name: 'stand-in-node', allocatable: { cpu: '3500m', memory: '8Gi', 'nvidia.com/gpu': '1' } },
        { name: 'small', allocatable: { cpu: '1', memory: '1048576Ki' } },
      ],
      readyDelayMs: 20,
    });
  });
  afterEach(() => kernel?.close());
  afterAll(async () => {
    await standIn?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('fails activation naming the API server when it is down or refuses the token', async () => {
    const dead = path.join(scratch, 'dead.yaml');
    writeFileSync(dead, standIn.kubeconfig().replace(standIn.url, 'http://127.0.0.1:1'));
    kernel = createTestKernel();
    await expect(kernel.activate(plugin, { manifest, config: config({ kubeconfig: dead }) })).rejects.toThrow(
      /Kubernetes API server http:\/\/127\.0\.0\.1:1 \(context stand-in\) is not reachable.*ECONNREFUSED/,
    );
    const wrong = path.join(scratch, 'wrong-token.yaml');
    writeFileSync(wrong, standIn.kubeconfig().replace(standIn.token, 'not-the-token'));
    await expect(kernel.activate(plugin, { manifest, config: config({ kubeconfig: wrong }) })).rejects.toThrow(
      new RegExp(`${standIn.url.replace(/\./g, '\\.')}.*HTTP 401`),
    );
    await expect(kernel.activate(plugin, { manifest, config: config({ context: 'nope' }) })).rejects.toThrow(
      /no context nope \(it has: stand-in\)/,
    );
  });

  it('creates its namespace and offers one agent per node, capacity from allocatable', async () => {
    const target = await start();
    expect(standIn.object('namespaces', undefined, 'spindle')).toBeDefined();
    expect(await target.agents()).toEqual([
      {
        id: 'k8s:small',
        target: 'k8s',
        capacity: { cpu: 1, memory: 1024 },
        allocated: {},
        labels: { kubelet: 'v0.0.0-stand-in', arch: 'amd64' },
      },
      {
        id: 'k8s:stand-in-node',
        target: 'k8s',
        capacity: { cpu: 3.5, memory: 8192, gpu: 1 },
        allocated: {},
        labels: { kubelet: 'v0.0.0-stand-in', arch: 'amd64' },
      },
    ]);
  });

  it('refuses what it cannot run: no image from the job type, or building without a registry', async () => {
    const target = await start();
    const noImage = request('service');
    delete noImage.run.image;
    await expect(target.deploy(noImage)).rejects.toThrow(/gives no container image/);
    await kernel.close();
    const building = await start({ image: { buildImages: true } });
    await expect(building.deploy(request('service'))).rejects.toThrow(/no image.registry/);
  });

  it('removes what it applied when a service is not ready in time, saying what it saw', async () => {
    const target = await start({ healthTimeoutMs: 300 });
    standIn.holdReadiness = true;
    const req = request('service', 2);
    try {
      await expect(target.deploy(req)).rejects.toThrow(
        /was not ready within 300 ms: 0 of 2 replicas ready; pods: spindle-job-.*-0: Running \(CrashLoopBackOff.*events: Pod spindle-job-.*Scheduled/,
      );
    } finally {
      standIn.holdReadiness = false;
    }
    expect(owned(req.job.id)).toEqual([]);
  });

  it('reports RESTARTING when replicas stop being ready and RUNNING when they are back', async () => {
    const target = await start();
    const req = request('service', 2);
    const { replicas } = await target.deploy(req);
    expect(replicas).toEqual(
      [0, 1].map((i) => ({
        id: `spindle-${req.job.id}-${i}`,
        address: `http://spindle-${req.job.id}.spindle.svc.cluster.local:7000`,
      })),
    );
    standIn.setReady('spindle', `spindle-${req.job.id}`, 1);
    expect(await until(() => kernel.jobStateReports.some((r) => r.state === 'RESTARTING'))).toBe(true);
    expect(kernel.jobStateReports[0]).toMatchObject({
      jobId: req.job.id,
      state: 'RESTARTING',
      reason: expect.stringMatching(/^1 of 2 replicas ready; pods: .*CrashLoopBackOff/),
    });
    standIn.setReady('spindle', `spindle-${req.job.id}`, 2);
    expect(await until(() => kernel.jobStateReports.some((r) => r.state === 'RUNNING'))).toBe(true);
    expect(kernel.jobStateReports[1]).toMatchObject({
      state: 'RUNNING',
      reason: 'all 2 replicas are ready again',
      replicas,
    });
    await target.stop(req.job.id, { graceMs: 0 });
    expect(owned(req.job.id)).toEqual([]);
  });

  it('reads the logs of several pods like readJobLog, and keeps the last copy after stop', async () => {
    const target = await start();
    const req = request('service', 2);
    await target.deploy(req);
    const name = `spindle-${req.job.id}`;
    const whole = `[replica 0] stand-in pod ${name}-0 started on node stand-in-node\n[replica 1] stand-in pod ${name}-1 started on node stand-in-node\n`;
    const first = `stand-in pod ${name}-0 started on node stand-in-node\n`;
    expect(await target.logs(req.job.id, { offset: 0 })).toEqual({ text: whole, offset: 2 * first.length });
    expect(await target.logs(req.job.id, { offset: first.length, limit: 9 })).toEqual({
      text: '[replica 1] stand-in ',
      offset: first.length + 9,
    });
    expect((await target.logs(req.job.id, { offset: -first.length })).text).toBe(
      `[replica 1] stand-in pod ${name}-1 started on node stand-in-node\n`,
    );
    await target.stop(req.job.id, { graceMs: 0 });
    expect(standIn.objects('pods', 'spindle').filter((p) => p.metadata.name.startsWith(name))).toEqual([]);
    expect(readFileSync(path.join(req.logDir, 'replica-1.log'), 'utf8')).toBe(
      `stand-in pod ${name}-1 started on node stand-in-node\n`,
    );
  });

  it('makes a job LOST when its Deployment is deleted outside Spindle', async () => {
    const target = await start();
    const req = request('service');
    await target.deploy(req);
    standIn.requests.length = 0;
    await fetch(`${standIn.url}/apis/apps/v1/namespaces/spindle/deployments/spindle-${req.job.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${standIn.token}` },
    });
    expect(await until(() => kernel.jobStateReports.some((r) => r.state === 'LOST'))).toBe(true);
    expect(kernel.jobStateReports.at(-1)).toMatchObject({
      jobId: req.job.id,
      reason: 'its Deployment was deleted outside Spindle',
    });
    await target.stop(req.job.id, { graceMs: 0 });
  });

  it('lists its jobs after a re-activation and re-attaches them; a Job deleted meanwhile is not attached', async () => {
    let target = await start();
    const service = request('service');
    const batch = { ...request('batch', 2), env: { SPINDLE_TEST_FAIL: '1' } };
    await target.deploy(service);
    await target.deploy(batch);
    await kernel.close();
    target = await start();
    const listed = await target.list();
    expect(listed.map((r) => r.jobId)).toEqual(expect.arrayContaining([service.job.id, batch.job.id]));
    expect(listed.find((r) => r.jobId === batch.job.id)!.replicas).toEqual([
      { id: `spindle-${batch.job.id}`, address: '' },
    ]);
    expect(await target.attach!(service.job, [])).toBe(true);
    expect(await target.attach!(batch.job, [])).toBe(true);
    expect(await until(() => kernel.jobStateReports.some((r) => r.jobId === batch.job.id))).toBe(true);
    expect(kernel.jobStateReports.find((r) => r.jobId === batch.job.id)).toMatchObject({
      state: 'FAILED',
      reason: 'Job failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
      exitCode: 1,
    });
    await target.stop(batch.job.id, { graceMs: 0 });
    expect(await target.attach!(batch.job, [])).toBe(false);
    expect((await target.list()).map((r) => r.jobId)).not.toContain(batch.job.id);
    await target.stop(service.job.id, { graceMs: 0 });
    // Deleting a Job through the API orphans its pods unless propagation is asked for.
    expect(
      standIn.requests
        .filter((r) => r.method === 'DELETE' && r.path.includes('/jobs/'))
        .every((r) => r.query.propagationPolicy === 'Background'),
    ).toBe(true);
    expect(owned(batch.job.id)).toEqual([]);
  });

  it('in port-forward mode gives the kernel a loopback address per service job', async () => {
    const target = await start({ proxyMode: 'port-forward' });
    const req = request('service');
    const { replicas } = await target.deploy(req);
    expect(replicas[0]!.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await target.list()).find((r) => r.jobId === req.job.id)!.replicas[0]!.address).toBe(replicas[0]!.address);
    await target.stop(req.job.id, { graceMs: 0 });
  });

  it('replaces an object left over under the same name (create answered 409)', async () => {
    const target = await start();
    const req = request('batch');
    await target.deploy(req);
    await target.stop(req.job.id, { graceMs: 0 });
    await fetch(`${standIn.url}/api/v1/namespaces/spindle/secrets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${standIn.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        metadata: { name: `spindle-${req.job.id}`, labels: { 'spindle.dev/job': req.job.id } },
        data: { OLD: 'b2xk' },
      }),
    });
    standIn.requests.length = 0;
    await target.deploy({ ...req, env: { NEW: 'new' } });
    expect(
      standIn.requests
        .filter((r) => r.path.endsWith(`/secrets/spindle-${req.job.id}`))
        .map((r) => [r.method, r.status]),
    ).toEqual([
      ['GET', 200],
      ['PUT', 200],
    ]);
    expect(standIn.object('secrets', 'spindle', `spindle-${req.job.id}`)!.data).toEqual({ NEW: 'bmV3' });
    await target.stop(req.job.id, { graceMs: 0 });
  });
});
