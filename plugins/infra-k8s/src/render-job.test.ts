import type { DeployRequest } from 'spindle/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { jobSelector, labelValue, objectName } from './labels.js';
import { imageTag, type RenderOptions, renderJob, serviceAddress } from './render-job.js';

const SECRET = 'very-secret-value';
const request = (patch: Partial<DeployRequest['job']> = {}, more: Partial<DeployRequest> = {}): DeployRequest => ({
  job: {
    id: 'A1B2-c3',
    name: 'adder',
    version: '1.0.0+build',
    owner: 'ada',
    jobtype: 'python3:1.x',
    jobtypeResolved: 'python3:1.0.0',
    kind: 'service',
    replicas: 2,
    resources: { cpu: 0.5, memory: 256, gpu: 1 },
    ...patch,
  },
  run: { command: ['python3'], env: { VIRTUAL_ENV: '/host/venv' }, healthPath: '/health', readyPath: '/ready' },
  agentId: 'k8s:node-a',
  env: { GREETING: 'hi', API_KEY: SECRET },
  sourceDir: '/src',
  workDir: '/work',
  logDir: '/logs/J1',
  mounts: [
    { volume: 'local:data', hostPath: '/vol/data', mountPath: '/data', readOnly: true },
    { volume: 'local:out-2', hostPath: '/vol/out', mountPath: '/out', readOnly: false },
  ],
  ...more,
});
const options: RenderOptions = {
  namespace: 'spindle',
  image: 'reg:5000/spindle/spindle-job-a1b2-c3',
  containerPort: 7000,
  maxRestarts: 4,
  targetName: 'k8s',
};
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('renderJob', () => {
  it('keeps env values in the Secret only, referenced with envFrom', () => {
    const { secret, deployment, service } = renderJob(request(), options);
    expect(secret).toMatchObject({
      kind: 'Secret',
      metadata: { name: 'spindle-a1b2-c3', namespace: 'spindle' },
      data: { API_KEY: b64(SECRET), GREETING: b64('hi') },
    });
    for (const object of [deployment, service]) {
      const text = JSON.stringify(object);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(b64(SECRET));
    }
    const container = deployment!.spec!.template.spec!.containers[0]!;
    expect(container.envFrom).toEqual([{ secretRef: { name: 'spindle-a1b2-c3' } }]);
    // The host-side run env (a local venv) is not the container's.
    expect(JSON.stringify(container.env)).not.toContain('VIRTUAL_ENV');
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: 'PORT', value: '7000' },
        { name: 'SPINDLE_VOLUME_DATA', value: '/data' },
        { name: 'SPINDLE_VOLUME_OUT_2', value: '/out' },
      ]),
    );
  });

  it('renders a service as a Deployment with equal requests and limits, a readiness probe and a Service', () => {
    const { deployment, service, job } = renderJob(request(), options);
    expect(job).toBeUndefined();
    expect(deployment!.spec!.replicas).toBe(2);
    expect(deployment!.spec!.selector.matchLabels).toEqual({ 'spindle.dev/job': 'A1B2-c3' });
    const container = deployment!.spec!.template.spec!.containers[0]!;
    const amounts = { cpu: '500m', memory: '256Mi', 'nvidia.com/gpu': '1' };
    expect(container.resources).toEqual({ requests: amounts, limits: amounts });
    expect(container.readinessProbe!.httpGet).toEqual({ path: '/ready', port: 7000 });
    expect(container.image).toBe(options.image);
    expect(service!.spec).toMatchObject({
      selector: { 'spindle.dev/job': 'A1B2-c3' },
      ports: [{ port: 7000, targetPort: 7000 }],
    });
    expect(deployment!.metadata!.annotations).toMatchObject({
      'spindle.dev/job-id': 'A1B2-c3',
      'spindle.dev/log-dir': '/logs/J1',
    });
    const noReady = renderJob(request({}, { run: { command: [], env: {}, healthPath: '/health' } }), options);
    expect(noReady.deployment!.spec!.template.spec!.containers[0]!.readinessProbe!.httpGet!.path).toBe('/health');
  });

  it('mounts each volume as a hostPath directory, read-only when asked', () => {
    const spec = renderJob(request(), options).deployment!.spec!.template.spec!;
    expect(spec.volumes).toEqual([
      { name: 'vol-0', hostPath: { path: '/vol/data', type: 'Directory' } },
      { name: 'vol-1', hostPath: { path: '/vol/out', type: 'Directory' } },
    ]);
    expect(spec.containers[0]!.volumeMounts).toEqual([
      { name: 'vol-0', mountPath: '/data', readOnly: true },
      { name: 'vol-1', mountPath: '/out', readOnly: false },
    ]);
  });

  it('labels every object and pins the pods to the node the kernel chose', () => {
    const rendered = renderJob(request(), options);
    const labels = {
      'app.kubernetes.io/managed-by': 'spindle',
      'spindle.dev/job': 'A1B2-c3',
      'spindle.dev/subject': 'adder-1.0.0-build',
    };
    for (const object of [rendered.secret, rendered.deployment, rendered.service])
      expect(object!.metadata!.labels).toEqual(labels);
    expect(rendered.deployment!.spec!.template.metadata!.labels).toEqual(labels);
    expect(
      rendered.deployment!.spec!.template.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!
        .nodeSelectorTerms[0]!.matchFields,
    ).toEqual([{ key: 'metadata.name', operator: 'In', values: ['node-a'] }]);
    expect(
      renderJob(request({}, { agentId: 'other:node-a' }), options).deployment!.spec!.template.spec!.affinity,
    ).toBeUndefined();
  });

  it('renders a batch job as a Job: completions = parallelism = replicas, backoffLimit, never restarted in place', () => {
    const { job, deployment, service } = renderJob(request({ kind: 'batch', replicas: 3, resources: {} }), options);
    expect(deployment).toBeUndefined();
    expect(service).toBeUndefined();
    expect(job!.spec).toMatchObject({ completions: 3, parallelism: 3, backoffLimit: 4 });
    const pod = job!.spec!.template.spec!;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.containers[0]!.readinessProbe).toBeUndefined();
    expect(pod.containers[0]!.resources).toEqual({});
    expect(pod.containers[0]!.env!.map((e) => e.name)).not.toContain('PORT');
  });
});

describe('names', () => {
  it('makes valid names, labels, tags and addresses', () => {
    expect(objectName('A1B2_c3')).toBe('spindle-a1b2-c3');
    expect(objectName('x'.repeat(80))).toHaveLength(63);
    expect(labelValue('-a b/c-')).toBe('a-b-c');
    expect(labelValue('y'.repeat(70))).toHaveLength(63);
    expect(jobSelector('J1')).toBe('app.kubernetes.io/managed-by=spindle,spindle.dev/job=J1');
    expect(imageTag('AB', 'reg:5000/spindle')).toBe('reg:5000/spindle/spindle-job-ab');
    expect(imageTag('AB')).toBe('spindle-job-ab');
    expect(serviceAddress('J1', 'ns', 7000)).toBe('http://spindle-j1.ns.svc.cluster.local:7000');
  });
});
