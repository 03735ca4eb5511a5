import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { JobSpec } from '../../plugin-sdk/providers.js';
import { describeError } from '../errors/kernel-error.js';
import type { KernelRegistries } from '../registries/registries.js';
import type { JobRecord } from '../state/job-record.js';
import type { JobStore } from '../state/job-store.js';
import type { HomePaths } from '../system/home-paths.js';
import type { VolumeService } from '../volumes/volume-service.js';
import { jobPaths } from './job-paths.js';
import type { JobTransitions } from './job-transitions.js';

export function jobSpec(job: JobRecord): JobSpec {
  return {
    ...job.manifest,
    id: job.id,
    owner: job.owner,
    kind: job.kind,
    replicas: job.replicas,
    resources: job.resources,
    jobtypeResolved: job.jobtypeResolved,
  };
}

/**
 * Binding a scheduled job: the job type prepares it, the target deploys it, and it is RUNNING
 * once healthy. Runs concurrently with the scheduling loop and never blocks the next decision.
 * A failure ends the job FAILED with the reason, which frees its reservation.
 */
export class JobBinder {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly binding = new Set<string>();

  constructor(
    private readonly deps: {
      store: JobStore;
      registries: KernelRegistries;
      transitions: JobTransitions;
      paths: HomePaths;
      kernelVersion: string;
      logger: Logger;
      volumes: Pick<VolumeService, 'mountsFor'>;
      replicaId: string;
      /** After a job leaves its reservation (so the next pass can use the room). */
      onFreed(queue: string): void;
    },
  ) {}

  bind(job: JobRecord): void {
    this.binding.add(job.id);
    const done = this.run(job).finally(() => {
      this.inFlight.delete(done);
      this.binding.delete(job.id);
    });
    this.inFlight.add(done);
  }

  /** True while this kernel binds the job. */
  isBinding(jobId: string): boolean {
    return this.binding.has(jobId);
  }

  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async run(scheduled: JobRecord): Promise<void> {
    const { registries, transitions } = this.deps;
    const jobType = registries.jobTypes.get(scheduled.jobtypeResolved);
    const target = registries.targets.get(scheduled.target);
    const job = await transitions.move(
      scheduled.id,
      ['SCHEDULED'],
      'PREPARING',
      `preparing with job type ${scheduled.jobtypeResolved} on ${scheduled.target}`,
    );
    if (!job) return;
    const fail = async (reason: string): Promise<void> => {
      await transitions.move(job.id, ['PREPARING'], 'FAILED', reason);
      this.deps.onFreed(job.queue);
    };
    if (!jobType) return fail(`job type ${job.jobtypeResolved} is no longer provided by any active plugin`);
    if (!target) return fail(`infrastructure target ${job.target} is not active`);
    const dirs = jobPaths(this.deps.paths, job.id);
    const spec = jobSpec(job);
    let run;
    try {
      await mkdir(dirs.work, { recursive: true });
      await mkdir(dirs.logs, { recursive: true });
      run = await jobType.prepare({
        job: spec,
        sourceDir: dirs.source,
        workDir: dirs.work,
        kernelVersion: this.deps.kernelVersion,
      });
    } catch (error) {
      return fail(`job type ${job.jobtypeResolved} could not prepare the job: ${describeError(error)}`);
    }
    let mounts;
    try {
      mounts = await this.deps.volumes.mountsFor(spec);
    } catch (error) {
      return fail(`its volumes could not be mounted: ${describeError(error)}`);
    }
    const env = { ...(job.manifest.env ?? {}), ...(await this.deps.store.getSecrets(job.id)) };
    try {
      const result = await target.deploy({
        job: spec,
        run,
        agentId: job.agentId ?? '',
        env,
        sourceDir: dirs.source,
        workDir: dirs.work,
        logDir: dirs.logs,
        mounts,
      });
      const running = await transitions.move(
        job.id,
        ['PREPARING'],
        'RUNNING',
        job.kind === 'batch' ? 'started' : 'healthy',
        { runtime: { replicas: result.replicas, boundBy: this.deps.replicaId }, notice: result.notice ?? null },
      );
      // Deleted or cancelled while deploying: do not leave it running.
      if (!running) await target.stop(job.id, { graceMs: 5_000 }).catch(() => undefined);
    } catch (error) {
      await fail(`target ${job.target} could not start the job: ${describeError(error)}`);
    }
  }
}
