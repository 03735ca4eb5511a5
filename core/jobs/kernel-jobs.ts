import type { Principal } from '../../plugin-sdk/hook-types.js';
import type { JobStateReport, LogChunk } from '../../plugin-sdk/providers.js';
import { KernelError, describeError } from '../errors/kernel-error.js';
import { SchedulingLoop, type SchedulingLoopOptions } from '../scheduling/scheduling-loop.js';
import type { MaintenanceSwitch } from '../maintenance.js';
import { pickJobVersion } from './job-aliases.js';
import type { QueueConfig } from './job-record.js';
import { recoverJobs, recoverTarget } from './job-recovery.js';
import { JobService, type DeployInput, type JobServiceDeps } from './job-service.js';
import type { JobFilter } from './job-store.js';
import type { JobDetailView, JobView, JobsApi } from './jobs-api.js';

export type KernelJobsOptions = Omit<JobServiceDeps, 'scheduling'> & {
  /** Scheduling leadership of a queue (one replica decides per queue); absent: always this kernel. */
  lead?: SchedulingLoopOptions['lead'];
  maintenance: Pick<MaintenanceSwitch, 'assertWritable'>;
  /** Scheduler of a queue with no stored config. */
  defaultScheduler: string;
  schedulerTickMs: number;
};

/** The job side of the kernel: the job service, the scheduling loop and binding, behind JobsApi. */
export class KernelJobs implements JobsApi {
  readonly scheduling: SchedulingLoop;
  readonly service: JobService;

  constructor(private readonly options: KernelJobsOptions) {
    this.scheduling = new SchedulingLoop({
      store: options.store,
      registries: options.registries,
      hooks: options.hooks,
      logger: options.logger,
      defaultScheduler: options.defaultScheduler,
      tickMs: options.schedulerTickMs,
      ...(options.lead ? { lead: options.lead } : {}),
      onLead: (queue) => this.adoptOrphans(queue),
      onScheduled: (jobs) => {
        for (const job of jobs) {
          void this.service.transitions.announce(job);
          this.service.binder.bind(job);
        }
      },
    });
    this.service = new JobService({ ...options, scheduling: this.scheduling });
  }

  /** Which plugin instance serves each target, as last seen (see afterPluginChange). */
  private targetOwners = new Map<string, string | undefined>();
  private started = false;

  private currentTargetOwners(): Map<string, string | undefined> {
    const owners = new Map<string, string | undefined>();
    for (const target of this.options.registries.targets.keys()) owners.set(target, this.options.registries.targets.ownerOf(target)?.instanceId);
    return owners;
  }

  /**
   * On becoming the leader of a queue's scheduling: jobs of that queue left SCHEDULED or PREPARING
   * by a replica that is gone are bound here (they keep their one scheduling decision).
   */
  private async adoptOrphans(queue: string): Promise<void> {
    if (!this.options.sharedState) return;
    const { binder, transitions } = this.service;
    for (const state of ['SCHEDULED', 'PREPARING'] as const) {
      for (const job of await this.options.store.listJobs({ queue, state })) {
        if (binder.isBinding(job.id)) continue;
        const ready = state === 'SCHEDULED' ? job : await transitions.move(job.id, ['PREPARING'], 'SCHEDULED', `the replica binding it was lost; ${this.options.replicaId} binds it again`);
        if (ready) binder.bind(ready);
      }
    }
  }

  /**
   * After a plugin was swapped, reconfigured, disabled or removed: the jobs of a target whose
   * serving instance changed are re-attached by the new one, or LOST (a local target's processes
   * end with the instance that started them).
   */
  async afterPluginChange(): Promise<void> {
    if (!this.started) return;
    const now = this.currentTargetOwners();
    const changed = [...new Set([...this.targetOwners.keys(), ...now.keys()])].filter((t) => this.targetOwners.get(t) !== now.get(t));
    this.targetOwners = now;
    if (changed.length === 0) return;
    const running = (await this.options.store.listJobs()).filter((j) => (j.state === 'RUNNING' || j.state === 'TERMINATING') && changed.includes(j.target));
    const deps = { registries: this.options.registries, transitions: this.service.transitions, logger: this.options.logger };
    for (const target of changed) {
      const jobs = running.filter((j) => j.target === target);
      if (jobs.length === 0) continue;
      const lost = await recoverTarget(deps, target, jobs, `after the plugin serving target ${target} changed,`);
      // Services were fine; their target changed under them: queue them again (batch jobs stay LOST).
      for (const job of lost.filter((j) => j.kind === 'service')) await this.service.requeue(job, `requeued: the plugin serving target ${target} changed`);
    }
  }

  /** After plugins are active: re-attach or requeue what a previous run left, then schedule. */
  async start(): Promise<void> {
    this.targetOwners = this.currentTargetOwners();
    this.started = true;
    const { store, registries, logger, sharedState, replicaId } = this.options;
    const lost = await recoverJobs({ store, registries, transitions: this.service.transitions, logger, ...(sharedState ? { shared: { replicaId } } : {}) });
    // A service is meant to be up: one its target no longer runs after the restart starts again.
    for (const job of lost.filter((j) => j.kind === 'service')) await this.service.requeue(job, 'requeued after the kernel restarted');
    this.scheduling.start();
    this.scheduling.wakeAll();
  }

  async stop(): Promise<void> {
    await this.scheduling.stop();
    await this.service.binder.settled();
  }

  /** Let every pass and binding in progress finish (tests). */
  async settled(): Promise<void> {
    await this.scheduling.idle();
    await this.service.binder.settled();
  }

  report(plugin: string, report: JobStateReport): void {
    void this.service.report(plugin, report).catch((error: unknown) =>
      this.options.logger.error({ plugin, job: report.jobId, err: describeError(error) }, 'could not apply a job state report'),
    );
  }

  async deploy(input: DeployInput): Promise<JobView> {
    this.options.maintenance.assertWritable('deploying a job');
    return this.service.deploy(input);
  }

  list(filter?: JobFilter): Promise<JobView[]> {
    return this.service.list(filter);
  }

  /** Resolved (name, alias) pairs, valid while the store's generation holds (the proxy's hot path). */
  private resolved = { generation: '', jobs: new Map<string, JobView>() };

  /**
   * The store counts only this kernel's writes; other replicas' writes are unseen, so with a shared
   * store an entry also expires with the second it was made in.
   */
  private cacheGeneration(): string {
    const own = String(this.options.store.generation);
    return this.options.sharedState ? `${own}@${Math.floor(Date.now() / 1000)}` : own;
  }

  async resolve(name: string, version: string, preferRunning = false): Promise<JobView> {
    const { store } = this.options;
    const generation = this.cacheGeneration();
    if (this.resolved.generation !== generation) this.resolved = { generation, jobs: new Map() };
    const key = `${name}\u0000${version}\u0000${preferRunning}`;
    const cached = this.resolved.jobs.get(key);
    if (cached) return cached;
    const jobs = await store.listJobs({ name });
    if (jobs.length === 0) throw new KernelError('KRN_ERR_JOB_NOT_FOUND', `no job named ${name} is deployed`, { job: name });
    const job = pickJobVersion(name, jobs, version, preferRunning);
    if (generation === this.cacheGeneration()) this.resolved.jobs.set(key, job);
    return job;
  }

  async get(name: string, version: string): Promise<JobDetailView> {
    const job = await this.resolve(name, version);
    return { ...job, events: await this.options.store.listEvents(job.id) };
  }

  async delete(name: string, version: string, actor: string): Promise<JobView> {
    this.options.maintenance.assertWritable(`deleting ${name}@${version}`);
    const job = await this.resolve(name, version);
    return this.service.delete(job.name, job.version, actor);
  }

  async redeploy(name: string, version: string, actor: string, principal?: Principal): Promise<JobView> {
    this.options.maintenance.assertWritable(`redeploying ${name}@${version}`);
    const job = await this.resolve(name, version);
    return this.service.redeploy(job.name, job.version, actor, principal);
  }

  async logs(name: string, version: string, offset: number, limit?: number): Promise<LogChunk> {
    const job = await this.resolve(name, version);
    return this.service.logs(job.name, job.version, offset, limit);
  }

  pending(queue?: string): Promise<JobView[]> {
    return this.options.store.listJobs({ state: 'PENDING', ...(queue ? { queue } : {}) });
  }

  async queues(): Promise<QueueConfig[]> {
    const stored = await this.options.store.listQueues();
    return stored.some((q) => q.name === 'default') ? stored : [await this.scheduling.queueConfig('default'), ...stored];
  }

  async putQueue(queue: QueueConfig, actor: string): Promise<QueueConfig> {
    this.options.maintenance.assertWritable(`changing queue ${queue.name}`);
    await this.options.store.putQueue(queue);
    await this.options.activity.record({ actor, action: 'queue.configured', subject: queue.name, details: { ...queue } });
    this.scheduling.wake(queue.name);
    return queue;
  }
}
