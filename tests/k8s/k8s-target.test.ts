/**
 * Python jobs on Kubernetes through infra-k8s, in a real kernel with the default plugins: the
 * adder as a service with a secret and a volume, its logs, a batch job to SUCCEEDED and one to
 * FAILED, a kernel restart that re-attaches, and deleting that leaves no Spindle object behind.
 *
 * `npm test` runs it against the Kubernetes API stand-in (tests/helpers/k8s-stand-in.ts: no
 * cluster, no containers; proxyMode service, images not built) and inspects the applied specs.
 * `npm run test:k8s` (SPINDLE_K8S_REAL=1) runs the same scenarios against the cluster KUBECONFIG
 * names, with proxyMode port-forward, images built and pushed to SPINDLE_K8S_REGISTRY, and calls
 * the adder through the kernel's proxy; the spec inspection is stand-in only. It needs a cluster
 * whose node sees the kernel's files at the same paths (hostPath volumes), the docker CLI and the
 * spindle/python:3.11 base image (scripts/docker-python-image.sh) — see plugins/infra-k8s/docs/usage.md.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFirstPartyPlugins } from '../../core/plugins/default-plugins.js';
import { type RunningKernel, startKernel } from '../../core/start.js';
import { deployForm, zipDirectory } from '../helpers/job-upload.js';
import { K8sStandIn } from '../helpers/k8s-stand-in.js';
import { ADMIN_TOKEN } from '../helpers/test-kernel.js';

const REAL = process.env.SPINDLE_K8S_REAL === '1';
const REGISTRY = process.env.SPINDLE_K8S_REGISTRY;
const NAMESPACE = 'spindle';
const T = REAL ? 600_000 : 60_000;
const ADDER = fileURLToPath(new URL('../../examples/python-adder', import.meta.url));
const SECRET = 'k8s-secret-value-42';
const json = { 'content-type': 'application/json' };
const home = mkdtempSync(path.join(os.tmpdir(), 'spindle-k8s-'));
let kernel: RunningKernel;
let standIn: K8sStandIn | undefined;
let cluster: KubeConfig;
const kubeconfigBefore = process.env.KUBECONFIG;

interface JobView {
  id: string;
  state: string;
  reason: string;
  agentId: string;
  runtime: { replicas: { id: string; address: string }[] };
}

const start = () =>
  startKernel({
    home,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    env: { SPINDLE_ADMIN_TOKEN: ADMIN_TOKEN, SPINDLE_SCHEDULER_TICK_MS: '200' },
    withDefaults: true,
  });
const api = (p: string, init: RequestInit = {}) =>
  fetch(kernel.url + p, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers as Record<string, string>) },
  });
const getJob = async (name: string) => (await (await api(`/api/v1/jobs/${name}/1.0.0`)).json()) as JobView;

async function waitFor(name: string, states: string[], ms = T): Promise<JobView> {
  const deadline = Date.now() + ms;
  for (;;) {
    const job = await getJob(name);
    if (states.includes(job.state) || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every object labelled as the job's, as `Kind/name`, read through the API (stand-in or cluster). */
async function ownedObjects(jobId: string): Promise<string[]> {
  const core = cluster.makeApiClient(CoreV1Api);
  const apps = cluster.makeApiClient(AppsV1Api);
  const batch = cluster.makeApiClient(BatchV1Api);
  const q = { namespace: NAMESPACE, labelSelector: `spindle.dev/job=${jobId}` };
  const lists = await Promise.all([
    core.listNamespacedSecret(q),
    core.listNamespacedService(q),
    core.listNamespacedPod(q),
    apps.listNamespacedDeployment(q),
    batch.listNamespacedJob(q),
  ]);
  const kinds = ['Secret', 'Service', 'Pod', 'Deployment', 'Job'];
  return lists.flatMap((list, i) => list.items.map((o) => `${kinds[i]}/${o.metadata?.name}`));
}

function batchSource(): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spindle-k8sbatch-'));
  writeFileSync(
    path.join(dir, 'checker.py'),
    [
      'import os',
      'class Checker:',
      '    def run(self):',
      "        if os.environ.get('SPINDLE_TEST_FAIL') == '1':",
      "            raise RuntimeError('asked to fail')",
      "        with open('/data/result.txt', 'w') as f:",
      "            f.write('from a pod ' + os.environ['SPINDLE_VOLUME_K8S_DATA'])",
      '',
    ].join('\n'),
  );
  return zipDirectory(dir);
}

describe(`python jobs on Kubernetes (${REAL ? 'the cluster KUBECONFIG names' : 'the API stand-in'})`, () => {
  if (REAL && (!process.env.KUBECONFIG || !REGISTRY)) {
    it('needs a cluster and a registry', () =>
      expect.fail(
        'npm run test:k8s needs KUBECONFIG (the cluster) and SPINDLE_K8S_REGISTRY (where the nodes pull job images from)',
      ));
    return;
  }

  beforeAll(async () => {
    if (!REAL) {
      standIn = await K8sStandIn.start({
        nodes: [{ name: 'stand-in-node', allocatable: { cpu: '4', memory: '8Gi' } }],
      });
      // The install activates with the default config first: keep it off any cluster the developer's KUBECONFIG names.
      process.env.KUBECONFIG = standIn.kubeconfigPath;
    }
    cluster = new KubeConfig();
    cluster.loadFromDefault();
    kernel = await start();
    const [zip] = await bundleFirstPartyPlugins(['infra-k8s']);
    expect(
      (await api('/api/v1/plugins', { method: 'POST', headers: json, body: JSON.stringify({ path: zip }) })).status,
    ).toBe(201);
    const config = REAL
      ? {
          proxyMode: 'port-forward',
          image: { buildImages: true, registry: REGISTRY },
          maxRestarts: 0,
          pollIntervalMs: 1_000,
        }
      : {
          kubeconfig: standIn!.kubeconfigPath,
          proxyMode: 'service',
          image: { buildImages: false },
          maxRestarts: 0,
          pollIntervalMs: 100,
        };
    const res = await api('/api/v1/plugins/infra-k8s/config', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify(config),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(
      (await api('/api/v1/volumes', { method: 'POST', headers: json, body: JSON.stringify({ name: 'k8s-data' }) }))
        .status,
    ).toBe(201);
  }, T);
  afterAll(async () => {
    await kernel?.close();
    await standIn?.close();
    if (kubeconfigBefore === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = kubeconfigBefore;
  });

  it(
    'runs the adder as a Deployment with a Service, its secret only in a Secret, a volume as hostPath',
    async () => {
      const manifest = {
        name: 'k8sadder',
        version: '1.0.0',
        jobtype: 'python3:1.x',
        infrastructure: 'k8s',
        resources: { cpu: 0.1, memory: 64 },
        env: { GREETING: 'hello' },
        volumes: [{ name: 'k8s-data', mountPath: '/data', readOnly: true }],
        jobtypeExtra: { entrypointPath: 'adder.py', entrypointClass: 'Adder' },
      };
      expect(
        (
          await api('/api/v1/jobs', {
            method: 'POST',
            body: deployForm(manifest, zipDirectory(ADDER), { API_KEY: SECRET }),
          })
        ).status,
      ).toBe(201);
      const job = await waitFor('k8sadder', ['RUNNING', 'FAILED']);
      expect(job.state, job.reason).toBe('RUNNING');
      const nodes = (await cluster.makeApiClient(CoreV1Api).listNode()).items.map((n) => `k8s:${n.metadata!.name}`);
      expect(nodes).toContain(job.agentId);

      if (REAL) {
        const call = await api('/pub/job/k8sadder/latest/perform', {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ numbers: [40, 2] }),
        });
        expect(call.status).toBe(200);
        expect(await call.json()).toBe(42);
      } else {
        expect(job.agentId).toBe('k8s:stand-in-node');
        const name = `spindle-${job.id}`;
        expect(job.runtime.replicas).toEqual([
          { id: `${name}-0`, address: `http://${name}.spindle.svc.cluster.local:7000` },
        ]);
        const labels = {
          'app.kubernetes.io/managed-by': 'spindle',
          'spindle.dev/job': job.id,
          'spindle.dev/subject': 'k8sadder-1.0.0',
        };
        const secret = standIn!.object('secrets', NAMESPACE, name)!;
        expect(secret.metadata.labels).toEqual(labels);
        expect(Buffer.from(secret.data.API_KEY, 'base64').toString()).toBe(SECRET);
        expect(Buffer.from(secret.data.GREETING, 'base64').toString()).toBe('hello');
        const deployment = standIn!.object('deployments', NAMESPACE, name)!;
        expect(deployment.metadata.labels).toEqual(labels);
        const pod = deployment.spec.template.spec;
        const container = pod.containers[0];
        expect(container).toMatchObject({
          image: `spindle-job-${job.id}`,
          envFrom: [{ secretRef: { name } }],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
          readinessProbe: { httpGet: { path: '/ready', port: 7000 } },
          volumeMounts: [{ name: 'vol-0', mountPath: '/data', readOnly: true }],
        });
        expect(pod.volumes).toEqual([
          { name: 'vol-0', hostPath: { path: expect.stringContaining(home), type: 'Directory' } },
        ]);
        expect(standIn!.object('services', NAMESPACE, name)!.spec).toMatchObject({
          selector: { 'spindle.dev/job': job.id },
          ports: [{ port: 7000, targetPort: 7000 }],
        });
        // The secret went to the API once, base64 in the Secret; never in another object or request.
        const b64 = Buffer.from(SECRET).toString('base64');
        const carriers = standIn!.requests.filter(
          (r) => JSON.stringify(r.body ?? {}).includes(b64) || JSON.stringify(r.body ?? {}).includes(SECRET),
        );
        expect(carriers.map((r) => `${r.method} ${r.path}`)).toEqual([`POST /api/v1/namespaces/${NAMESPACE}/secrets`]);
        expect(JSON.stringify([deployment, standIn!.objects('services'), standIn!.objects('pods')])).not.toMatch(
          new RegExp(`${SECRET}|${b64}`),
        );
      }

      const logs = (await (await api('/api/v1/jobs/k8sadder/1.0.0/logs?offset=0')).json()) as { text: string };
      if (REAL) expect(logs.text).toMatch(/serving Adder/);
      else expect(logs.text).toBe(`stand-in pod spindle-${job.id}-0 started on node stand-in-node\n`);
    },
    T,
  );

  it(
    'runs a batch job to SUCCEEDED and one to FAILED',
    async () => {
      const base = {
        version: '1.0.0',
        jobtype: 'python3:1.x',
        infrastructure: 'k8s',
        kind: 'batch',
        resources: { cpu: 0.1, memory: 64 },
        jobtypeExtra: { entrypointPath: 'checker.py', entrypointClass: 'Checker' },
      };
      const ok = { ...base, name: 'k8sbatch', volumes: [{ name: 'k8s-data', mountPath: '/data' }] };
      const failing = { ...base, name: 'k8sfail', env: { SPINDLE_TEST_FAIL: '1' } };
      expect((await api('/api/v1/jobs', { method: 'POST', body: deployForm(ok, batchSource()) })).status).toBe(201);
      expect((await api('/api/v1/jobs', { method: 'POST', body: deployForm(failing, batchSource()) })).status).toBe(
        201,
      );
      const succeeded = await waitFor('k8sbatch', ['SUCCEEDED', 'FAILED']);
      expect(succeeded, succeeded.reason).toMatchObject({ state: 'SUCCEEDED' });
      const failed = await waitFor('k8sfail', ['SUCCEEDED', 'FAILED']);
      expect(failed).toMatchObject({
        state: 'FAILED',
        reason: expect.stringMatching(/^Job failed: BackoffLimitExceeded/),
      });
      if (REAL) {
        expect(await (await api('/api/v1/volumes/k8s-data/files/result.txt')).text()).toBe('from a pod /data');
      } else {
        const job = standIn!.object('jobs', NAMESPACE, `spindle-${succeeded.id}`)!;
        expect(job.spec).toMatchObject({
          completions: 1,
          parallelism: 1,
          backoffLimit: 0,
          template: { spec: { restartPolicy: 'Never' } },
        });
        expect(standIn!.object('services', NAMESPACE, `spindle-${succeeded.id}`)).toBeUndefined();
      }
    },
    T,
  );

  it(
    're-attaches the running adder after a kernel restart',
    async () => {
      const before = await waitFor('k8sadder', ['RUNNING']);
      await kernel.close();
      standIn?.requests.splice(0);
      kernel = await start();
      const after = await waitFor('k8sadder', ['RUNNING', 'FAILED', 'LOST'], 30_000);
      expect(after).toMatchObject({ id: before.id, state: 'RUNNING', reason: expect.stringMatching(/re-attached/) });
      if (REAL) {
        const call = await api('/pub/job/k8sadder/1.0.0/perform', {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ numbers: [1, 2] }),
        });
        expect(await call.json()).toBe(3);
      } else {
        expect(
          standIn!.requests.some(
            (r) =>
              r.method === 'GET' &&
              r.path === `/apis/apps/v1/namespaces/${NAMESPACE}/deployments` &&
              r.query.labelSelector === 'app.kubernetes.io/managed-by=spindle',
          ),
        ).toBe(true);
        expect(
          standIn!.requests.some(
            (r) =>
              r.method === 'GET' && r.path === `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/spindle-${before.id}`,
          ),
        ).toBe(true);
        expect(after.runtime.replicas).toEqual(before.runtime.replicas);
      }
    },
    T,
  );

  it(
    'deletes the jobs and leaves no Spindle object behind',
    async () => {
      const ids: string[] = [];
      for (const name of ['k8sadder', 'k8sbatch', 'k8sfail']) {
        ids.push((await getJob(name)).id);
        expect((await api(`/api/v1/jobs/${name}/1.0.0`, { method: 'DELETE' })).status).toBe(200);
      }
      // The garbage collector removes pods after their owner: give a cluster time.
      const deadline = Date.now() + (REAL ? 120_000 : 5_000);
      let left: string[] = [];
      do {
        left = (await Promise.all(ids.map(ownedObjects))).flat();
        if (left.length > 0) await new Promise((r) => setTimeout(r, 500));
      } while (left.length > 0 && Date.now() < deadline);
      expect(left).toEqual([]);
    },
    T,
  );
});
