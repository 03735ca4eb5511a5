import type { JobStateReport, PluginLogger, ReplicaInfo } from 'spindle/plugin-sdk';
import type { Sleep } from 'spindle/plugin-sdk/targets';
import { batchOutcome, describePods, failedExitCode, readiness } from './job-status.js';
import type { KubeClient } from './kube-client.js';
import { describeKubeError } from './kube-errors.js';

export interface WatchDeps {
  client: KubeClient;
  sleep: Sleep;
  /** The plugin's `ctx.signal`: the watch ends when the plugin unloads. */
  signal: AbortSignal;
  report(report: JobStateReport): void;
  logger: PluginLogger;
  pollIntervalMs: number;
  /** The job's replicas as the kernel should call them now (after a service is back). */
  replicas(jobId: string): Promise<ReplicaInfo[]>;
}

/**
 * Follows one job by polling its Job or Deployment: a batch job to SUCCEEDED or FAILED; a
 * service to RESTARTING when fewer replicas are ready than wanted, RUNNING again when all are.
 * An object deleted behind Spindle's back makes the job LOST.
 */
export class JobWatch {
  private readonly stopper = new AbortController();
  private degraded = false;

  constructor(
    private readonly deps: WatchDeps,
    readonly jobId: string,
    readonly kind: 'service' | 'batch',
  ) {}

  start(): this {
    void this.loop();
    return this;
  }

  stop(): void {
    this.stopper.abort();
  }

  private get ended(): boolean {
    return this.stopper.signal.aborted || this.deps.signal.aborted;
  }

  private async loop(): Promise<void> {
    while (!this.ended) {
      await this.deps.sleep(this.deps.pollIntervalMs, this.stopper.signal);
      if (this.ended) return;
      try {
        const report = this.kind === 'batch' ? await this.checkBatch() : await this.checkService();
        if (this.ended || !report) continue;
        this.deps.report(report);
        if (report.state !== 'RUNNING' && report.state !== 'RESTARTING') return this.stop();
      } catch (error) {
        this.deps.logger.warn(
          { jobId: this.jobId, err: describeKubeError(error) },
          'reading the job status failed; trying again',
        );
      }
    }
  }

  private async checkBatch(): Promise<JobStateReport | undefined> {
    const job = await this.deps.client.read('Job', this.jobId);
    if (!job) return this.lost('Job');
    const outcome = batchOutcome(job);
    if (!outcome) return undefined;
    if (outcome.state === 'SUCCEEDED') return { jobId: this.jobId, ...outcome, exitCode: 0 };
    const exitCode = failedExitCode(await this.deps.client.pods(this.jobId).catch(() => []));
    return { jobId: this.jobId, ...outcome, ...(exitCode !== undefined ? { exitCode } : {}) };
  }

  private async checkService(): Promise<JobStateReport | undefined> {
    const deployment = await this.deps.client.read('Deployment', this.jobId);
    if (!deployment) return this.lost('Deployment');
    const { ready, wanted } = readiness(deployment);
    if (ready < wanted && !this.degraded) {
      this.degraded = true;
      const pods = describePods(await this.deps.client.pods(this.jobId).catch(() => []));
      return {
        jobId: this.jobId,
        state: 'RESTARTING',
        reason: `${ready} of ${wanted} replicas ready${pods ? `; pods: ${pods}` : ''}`,
      };
    }
    if (ready >= wanted && this.degraded) {
      this.degraded = false;
      return {
        jobId: this.jobId,
        state: 'RUNNING',
        reason: `all ${wanted} replicas are ready again`,
        replicas: await this.deps.replicas(this.jobId),
      };
    }
    return undefined;
  }

  private lost(kind: string): JobStateReport {
    return { jobId: this.jobId, state: 'LOST', reason: `its ${kind} was deleted outside Spindle` };
  }
}
