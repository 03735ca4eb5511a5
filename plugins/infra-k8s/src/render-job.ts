import type {
  V1Affinity,
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1Job,
  V1ObjectMeta,
  V1PodTemplateSpec,
  V1Secret,
  V1Service,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { DeployRequest } from 'spindle/plugin-sdk';
import { mountEnv } from 'spindle/plugin-sdk/targets';
import { ANNOTATIONS, jobLabels, LABELS, objectName } from './labels.js';
import { cpuQuantity, memoryQuantity } from './quantity.js';

export interface RenderOptions {
  namespace: string;
  /** The image every replica runs. */
  image: string;
  containerPort: number;
  /** A batch Job's backoffLimit. */
  maxRestarts: number;
  /** Agents are `<targetName>:<node>`: the job is pinned to the node the kernel placed it on. */
  targetName: string;
}

/** What one job becomes: its env as a Secret, a Deployment (service) or a Job (batch), and a Service for services. */
export interface RenderedJob {
  secret: V1Secret;
  deployment?: V1Deployment;
  job?: V1Job;
  service?: V1Service;
}

export const imageTag = (jobId: string, registry?: string): string =>
  `${registry ? `${registry}/` : ''}spindle-job-${jobId.toLowerCase()}`;

/** `http://<service>.<namespace>.svc.cluster.local:<port>`: how a kernel inside the cluster calls a service job. */
export const serviceAddress = (jobId: string, namespace: string, port: number): string =>
  `http://${objectName(jobId)}.${namespace}.svc.cluster.local:${port}`;

export function renderJob(request: DeployRequest, options: RenderOptions): RenderedJob {
  const { job } = request;
  const name = objectName(job.id);
  const labels = jobLabels(job.id, job.name, job.version);
  const service = job.kind === 'service';
  const metadata = (annotations?: Record<string, string>): V1ObjectMeta => ({
    name,
    namespace: options.namespace,
    labels: { ...labels },
    ...(annotations ? { annotations } : {}),
  });
  const annotations = {
    [ANNOTATIONS.jobId]: job.id,
    [ANNOTATIONS.logDir]: request.logDir,
    [ANNOTATIONS.port]: String(options.containerPort),
  };
  const secret: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(),
    type: 'Opaque',
    data: Object.fromEntries(
      Object.entries(request.env).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]),
    ),
  };
  const template: V1PodTemplateSpec = { metadata: { labels: { ...labels } }, spec: podSpec(request, options, name) };
  if (!service) {
    template.spec!.restartPolicy = 'Never';
    const replicas = Math.max(1, job.replicas);
    const batch: V1Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: metadata(annotations),
      spec: { completions: replicas, parallelism: replicas, backoffLimit: options.maxRestarts, template },
    };
    return { secret, job: batch };
  }
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(annotations),
    spec: {
      replicas: Math.max(1, job.replicas),
      selector: { matchLabels: { [LABELS.job]: labels[LABELS.job]! } },
      template,
    },
  };
  const svc: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(),
    spec: {
      type: 'ClusterIP',
      selector: { [LABELS.job]: labels[LABELS.job]! },
      ports: [{ name: 'http', port: options.containerPort, targetPort: options.containerPort, protocol: 'TCP' }],
    },
  };
  return { secret, deployment, service: svc };
}

function podSpec(request: DeployRequest, options: RenderOptions, name: string): NonNullable<V1PodTemplateSpec['spec']> {
  const { job, run } = request;
  const service = job.kind === 'service';
  const volumes: V1Volume[] = [];
  const volumeMounts: V1VolumeMount[] = [];
  request.mounts.forEach((mount, i) => {
    volumes.push({ name: `vol-${i}`, hostPath: { path: mount.hostPath, type: 'Directory' } });
    volumeMounts.push({ name: `vol-${i}`, mountPath: mount.mountPath, readOnly: mount.readOnly });
  });
  // Spindle's own variables only: the job's env (secrets included) is in the Secret, by reference.
  const env: V1EnvVar[] = Object.entries({
    ...mountEnv(request.mounts, 'mount'),
    ...(service ? { PORT: String(options.containerPort) } : {}),
  }).map(([key, value]) => ({ name: key, value }));
  const container: V1Container = {
    name: 'job',
    image: options.image,
    imagePullPolicy: 'IfNotPresent',
    envFrom: [{ secretRef: { name } }],
    env,
    resources: resources(job.resources),
    volumeMounts,
  };
  if (service) {
    container.ports = [{ name: 'http', containerPort: options.containerPort, protocol: 'TCP' }];
    container.readinessProbe = {
      httpGet: { path: run.readyPath ?? run.healthPath, port: options.containerPort },
      periodSeconds: 2,
      timeoutSeconds: 2,
      failureThreshold: 3,
    };
  }
  const node = nodeOf(request.agentId, options.targetName);
  return { containers: [container], volumes, enableServiceLinks: false, ...(node ? { affinity: pinTo(node) } : {}) };
}

/** Requests equal limits, so the kernel's accounting and the node's agree. */
function resources(slots: Record<string, number>): V1Container['resources'] {
  const amounts: Record<string, string> = {};
  if (slots.cpu !== undefined && slots.cpu > 0) amounts.cpu = cpuQuantity(slots.cpu);
  if (slots.memory !== undefined && slots.memory > 0) amounts.memory = memoryQuantity(slots.memory);
  if (slots.gpu !== undefined && slots.gpu > 0) amounts['nvidia.com/gpu'] = String(Math.ceil(slots.gpu));
  return Object.keys(amounts).length === 0 ? {} : { requests: { ...amounts }, limits: { ...amounts } };
}

const nodeOf = (agentId: string, targetName: string): string | undefined =>
  agentId.startsWith(`${targetName}:`) ? agentId.slice(targetName.length + 1) || undefined : undefined;

/** The node the kernel placed the job on, by name (as the DaemonSet controller pins pods). */
const pinTo = (node: string): V1Affinity => ({
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
    },
  },
});
