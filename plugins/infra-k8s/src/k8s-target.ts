import type { V1Deployment, V1Job } from '@kubernetes/client-node';
import type {
  AgentInfo,
  DeployRequest,
  DeployResult,
  InfrastructureProvider,
  JobSpec,
  LogChunk,
  PluginContext,
  ReplicaInfo,
  RunningJob,
} from 'spindle/plugin-sdk';
import { RejectedError } from 'spindle/plugin-sdk';
import { makeSleep, type Sleep } from 'spindle/plugin-sdk/targets';
import { type K8sConfig, withDefaults } from './config.js';
import { ImageBuilder } from './image-builder.js';
import { readPodLogs, snapshotPodLogs } from './job-logs.js';
import { describePods, isPodReady, readiness } from './job-status.js';
import { JobWatch } from './job-watch.js';
import type { KubeClient } from './kube-client.js';
import { describeKubeError } from './kube-errors.js';
import { ANNOTATIONS, LABELS, objectName } from './labels.js';
import { agentsFromNodes } from './node-agents.js';
import { type PodForwarder, PortForwardServer } from './port-forward-server.js';
import { imageTag, renderJob, serviceAddress } from './render-job.js';

/** The part of `ctx` the target uses. */
export type TargetContext = Pick<
  PluginContext,
  'exec' | 'setTimeout' | 'clearTimer' | 'signal' | 'logger' | 'infrastructure'
>;

interface K8sJob {
  id: string;
  kind: 'service' | 'batch';
  port: number;
  logDir?: string;
  watch?: JobWatch;
}

/**
 * Target `k8s`: a service job is a Deployment with a Service, a batch job a Job, each with its
 * env in a Secret, all labelled `app.kubernetes.io/managed-by=spindle` in one namespace (nothing
 * unlabelled is listed or deleted). The objects outlive the kernel and are re-attached.
 */
export class K8sTarget implements InfrastructureProvider {
  readonly config: K8sConfig;
  private readonly jobs = new Map<string, K8sJob>();
  private readonly forwards = new Map<string, Promise<PortForwardServer>>();
  private readonly sleep: Sleep;
  private readonly images: ImageBuilder;
  private turn = 0;

  constructor(
    private readonly ctx: TargetContext,
    private readonly client: KubeClient,
    config: Partial<K8sConfig> | undefined,
    /** How a port-forward reaches a pod; required in `port-forward` mode. */
    private readonly forwarder?: PodForwarder,
  ) {
    this.config = withDefaults(config);
    this.sleep = makeSleep(ctx);
    this.images = new ImageBuilder(ctx, this.config.image);
  }

  async agents(): Promise<AgentInfo[]> {
    return agentsFromNodes(await this.client.nodes(), this.config.targetName);
  }

  async deploy(request: DeployRequest): Promise<DeployResult> {
    const { job, run } = request;
    const subject = `${job.name}@${job.version}`;
    if (!run.image)
      throw new RejectedError(
        `job type ${job.jobtypeResolved} gives no container image, so target ${this.config.targetName} cannot run job ${subject}`,
      );
    if (this.jobs.has(job.id))
      throw new Error(`job ${job.id} already runs on target ${this.config.targetName}; stop it first`);
    const { registry, buildImages } = this.config.image;
    const image = imageTag(job.id, registry);
    if (buildImages) {
      if (!registry)
        throw new Error(
          `target ${this.config.targetName} builds images (image.buildImages) but has no image.registry to push them to, where the nodes pull from`,
        );
      await this.images.buildAndPush(image, run.image).catch((error: Error) => {
        throw new Error(`building and pushing the image ${image} of ${subject} failed: ${error.message}`);
      });
    }
    const { namespace, containerPort, maxRestarts, targetName } = this.config;
    const rendered = renderJob(request, { namespace, image, containerPort, maxRestarts, targetName });
    const state: K8sJob = { id: job.id, kind: job.kind, port: containerPort, logDir: request.logDir };
    this.jobs.set(job.id, state);
    try {
      await this.client.apply('Secret', rendered.secret);
      if (rendered.job) await this.client.apply('Job', rendered.job);
      if (rendered.deployment) await this.client.apply('Deployment', rendered.deployment);
      if (rendered.service) await this.client.apply('Service', rendered.service);
      if (job.kind === 'service') await this.waitReady(job);
      const replicas = await this.replicas(job.id, job.kind, containerPort);
      this.watch(state);
      return { replicas };
    } catch (error) {
      this.jobs.delete(job.id);
      await this.closeForward(job.id);
      await this.removeObjects(job.id).catch((cleanup: unknown) =>
        this.ctx.logger.warn(
          { jobId: job.id, err: describeKubeError(cleanup) },
          'removing a failed deploy left objects behind',
        ),
      );
      throw new Error(`deploying ${subject} in namespace ${namespace} failed: ${describeKubeError(error)}`, {
        cause: error,
      });
    }
  }

  async stop(jobId: string, options: { graceMs: number }): Promise<void> {
    const state = this.jobs.get(jobId);
    state?.watch?.stop();
    this.jobs.delete(jobId);
    // Keep the last log next to the kernel: the pods go with their Job or Deployment.
    const logDir = state?.logDir ?? (await this.workload(jobId))?.metadata?.annotations?.[ANNOTATIONS.logDir];
    if (logDir) await snapshotPodLogs(this.client, jobId, logDir).catch(() => undefined);
    await this.closeForward(jobId);
    await this.removeObjects(jobId);
    // The workload is gone, so nothing starts them again: now SIGTERM, and SIGKILL after the kernel's grace.
    await this.client.deletePods(jobId, Math.ceil(options.graceMs / 1000));
  }

  async list(): Promise<RunningJob[]> {
    const [deployments, jobs] = await Promise.all([this.client.list('Deployment'), this.client.list('Job')]);
    const running: RunningJob[] = [];
    for (const [kind, workloads] of [
      ['service', deployments],
      ['batch', jobs],
    ] as const) {
      for (const workload of workloads) {
        const jobId = jobIdOf(workload);
        if (jobId)
          running.push({
            jobId,
            replicas: await this.replicas(jobId, kind, portOf(workload, this.config.containerPort)),
          });
      }
    }
    return running.sort((a, b) => a.jobId.localeCompare(b.jobId));
  }

  /** After a kernel restart or a swap of this plugin: follow the job's objects again. */
  async attach(job: JobSpec): Promise<boolean> {
    const workload =
      job.kind === 'service' ? await this.client.read('Deployment', job.id) : await this.client.read('Job', job.id);
    if (!workload) return false;
    this.jobs.get(job.id)?.watch?.stop();
    const annotations = workload.metadata?.annotations ?? {};
    const state: K8sJob = { id: job.id, kind: job.kind, port: portOf(workload, this.config.containerPort) };
    if (annotations[ANNOTATIONS.logDir]) state.logDir = annotations[ANNOTATIONS.logDir];
    this.jobs.set(job.id, state);
    if (job.kind === 'service' && this.config.proxyMode === 'port-forward') await this.forwardFor(job.id, state.port);
    this.watch(state);
    this.ctx.logger.info({ jobId: job.id, object: objectName(job.id) }, 're-attached to the job in the cluster');
    return true;
  }

  async logs(jobId: string, options: { offset: number; limit?: number }): Promise<LogChunk> {
    const logDir =
      this.jobs.get(jobId)?.logDir ?? (await this.workload(jobId))?.metadata?.annotations?.[ANNOTATIONS.logDir];
    return readPodLogs(this.client, jobId, logDir, options.offset, options.limit);
  }

  /** Stop following every job (the plugin is unloading); the objects stay in the cluster. */
  async shutdown(): Promise<void> {
    for (const state of this.jobs.values()) state.watch?.stop();
    this.jobs.clear();
    await Promise.all([...this.forwards.keys()].map((jobId) => this.closeForward(jobId)));
  }

  // -------------------------------------------------------------------------------------------

  private watch(state: K8sJob): void {
    state.watch = new JobWatch(
      {
        client: this.client,
        sleep: this.sleep,
        signal: this.ctx.signal,
        report: (report) => this.ctx.infrastructure.reportJobState(report),
        logger: this.ctx.logger,
        pollIntervalMs: this.config.pollIntervalMs,
        replicas: (jobId) => this.replicas(jobId, state.kind, state.port),
      },
      state.id,
      state.kind,
    ).start();
  }

  /** Poll the Deployment until every replica is ready; on timeout say what was last seen. */
  private async waitReady(job: JobSpec): Promise<void> {
    const deadline = Date.now() + this.config.healthTimeoutMs;
    let last = 'no status yet';
    for (;;) {
      if (this.ctx.signal.aborted) throw new Error('the plugin was stopped while the job was starting');
      const deployment = await this.client.read('Deployment', job.id);
      if (!deployment) throw new Error(`its Deployment ${objectName(job.id)} was deleted while it was starting`);
      const { ready, wanted } = readiness(deployment);
      if (ready >= wanted) return;
      last = `${ready} of ${wanted} replicas ready`;
      if (Date.now() >= deadline) {
        const pods = describePods(await this.client.pods(job.id).catch(() => []));
        const events = await this.client.events(job.id);
        throw new Error(
          `Deployment ${objectName(job.id)} was not ready within ${this.config.healthTimeoutMs} ms: ${last}${pods ? `; pods: ${pods}` : ''}${events.length ? `; events: ${events.join(' | ')}` : ''}`,
        );
      }
      await this.sleep(Math.min(this.config.pollIntervalMs, Math.max(0, deadline - Date.now())));
    }
  }

  /**
   * How the kernel calls the job: for a service one entry per ready pod, all with the one address
   * (the Service's, or the port-forward's, which picks a pod per connection); a batch job has none.
   */
  private async replicas(jobId: string, kind: 'service' | 'batch', port: number): Promise<ReplicaInfo[]> {
    if (kind === 'batch') return [{ id: objectName(jobId), address: '' }];
    const address =
      this.config.proxyMode === 'service'
        ? serviceAddress(jobId, this.config.namespace, port)
        : (await this.forwardFor(jobId, port)).address;
    const ready = await this.readyPods(jobId).catch(() => []);
    return (ready.length > 0 ? ready : [objectName(jobId)]).map((id) => ({ id, address }));
  }

  private async readyPods(jobId: string): Promise<string[]> {
    return (await this.client.pods(jobId))
      .filter(isPodReady)
      .map((p) => p.metadata!.name!)
      .sort();
  }

  private async workload(jobId: string): Promise<V1Deployment | V1Job | undefined> {
    return (await this.client.read('Deployment', jobId)) ?? (await this.client.read('Job', jobId));
  }

  /** The loopback port-forward of a service job (opened once, kept until the job stops). */
  private forwardFor(jobId: string, port: number): Promise<PortForwardServer> {
    let forward = this.forwards.get(jobId);
    if (!forward) {
      const forwarder = this.forwarder;
      if (!forwarder) throw new Error('proxyMode port-forward needs a pod forwarder');
      forward = PortForwardServer.open({
        port,
        forwarder,
        pickPod: async () => {
          const ready = await this.readyPods(jobId);
          return ready.length === 0 ? undefined : ready[this.turn++ % ready.length];
        },
        onError: (error, pod) =>
          this.ctx.logger.warn({ jobId, pod, err: describeKubeError(error) }, 'a port-forward connection failed'),
      });
      this.forwards.set(jobId, forward);
      forward.catch(() => this.forwards.delete(jobId));
    }
    return forward;
  }

  private async closeForward(jobId: string): Promise<void> {
    const forward = this.forwards.get(jobId);
    this.forwards.delete(jobId);
    await (await forward?.catch(() => undefined))?.close();
  }

  /** Delete the job's objects (found by label): workload first, so no pod starts without its Secret. */
  private async removeObjects(jobId: string): Promise<void> {
    for (const kind of ['Deployment', 'Job', 'Service', 'Secret'] as const) await this.client.deleteAll(kind, jobId);
  }
}

const jobIdOf = (workload: V1Deployment | V1Job): string | undefined =>
  workload.metadata?.annotations?.[ANNOTATIONS.jobId] ?? workload.metadata?.labels?.[LABELS.job];

function portOf(workload: V1Deployment | V1Job, fallback: number): number {
  const port = Number(workload.metadata?.annotations?.[ANNOTATIONS.port]);
  return Number.isInteger(port) && port > 0 ? port : fallback;
}
