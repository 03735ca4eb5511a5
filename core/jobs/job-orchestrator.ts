import { mkdir, rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Principal } from '../../plugin-sdk/hook-types.js';
import type { JobStateReport, LogChunk } from '../../plugin-sdk/providers.js';
import { describeError, KernelError } from '../errors/kernel-error.js';
import type { KernelHooks } from '../hooks/hooks.js';
import { extractZip } from '../intake/extract-zip.js';
import { inspectZip } from '../intake/inspect-zip.js';
import type { ZipLimits } from '../intake/zip-limits.js';
import type { KernelRegistries } from '../registries/registries.js';
import { SchedulingLoop } from '../scheduling/scheduling-loop.js';
import { FINAL_STATES, type JobRecord, type QueueConfig } from '../state/job-record.js';
import type { JobFilter, JobStore } from '../state/job-store.js';
import type { ActivityRecorder } from '../system/activity-recorder.js';
import type { HomePaths } from '../system/home-paths.js';
import type { MaintenanceSwitch } from '../system/maintenance.js';
import type { VolumeService } from '../volumes/volume-service.js';
import { checkDeploy, type DeployInput } from './deploy-check.js';
import { JobBinder } from './job-binder.js';
import { jobPaths } from './job-paths.js';
import { recoverJobs } from './job-recovery.js';
import { resolveJobType } from './job-resolution.js';
import { JobResolver } from './job-resolver.js';
import { JobTransitions, jobSubject } from './job-transitions.js';
import type { JobDetailView, JobsApi, JobView } from './jobs-api.js';
import { jobUsersOf, markJobsOfRemovedPlugin } from './plugin-users.js';
import { TargetFollower } from './target-follower.js';

export interface JobOrchestratorDeps {
  store: JobStore;
  registries: KernelRegistries;
  hooks: KernelHooks;
  activity: ActivityRecorder;
  paths: HomePaths;
  limits: ZipLimits;
  logger: Logger;
  kernelVersion: string;
  volumes: Pick<VolumeService, 'checkMounts' | 'mountsFor'>;
  maintenance: Pick<MaintenanceSwitch, 'assertWritable'>;
  /** Scheduler of a queue with no stored config. */
  defaultScheduler: string;
  schedulerTickMs: number;
  /** SIGTERM-to-SIGKILL grace when a job is stopped. */
  stopGraceMs: number;
  /** This kernel among replicas; recorded on the jobs it starts. */
  replicaId: string;
  /** True when other replicas share the job store (PostgreSQL). */
  sharedState: boolean;
  /** Scheduling leadership of a queue (one replica decides per queue); absent: always this kernel. */
  lead?(queue: string): Promise<'acquired' | 'held' | 'no'>;
}

/**
 * The one owner of a job's life: deploy (checks, source, store), the scheduling loop that places
 * it, the binder that prepares and starts it, the reports of its target, delete, redeploy and
 * recovery after a restart or a plugin change. The loop and the binder are its parts; they
 * report back only to it.
 */
export class JobOrchestrator implements JobsApi {
  readonly scheduling: SchedulingLoop;
  private readonly transitions: JobTransitions;
  private readonly binder: JobBinder;
  private readonly resolver: JobResolver;
  private readonly targets: TargetFollower;

  constructor(private readonly deps: JobOrchestratorDeps) {
    this.transitions = new JobTransitions(deps.store, deps.activity, deps.logger);
    this.binder = new JobBinder({
      ...deps,
      transitions: this.transitions,
      onFreed: (queue) => this.scheduling.wake(queue),
    });
    this.scheduling = new SchedulingLoop({
      ...deps,
      tickMs: deps.schedulerTickMs,
      onLead: (queue) => this.adoptOrphans(queue),
      onScheduled: (jobs) => {
        for (const job of jobs) {
          void this.transitions.announce(job);
          this.binder.bind(job);
        }
      },
    });
    this.resolver = new JobResolver(deps.store, deps.sharedState);
    this.targets = new TargetFollower({
      ...deps,
      transitions: this.transitions,
      requeue: (job, reason) => this.requeue(job, reason),
    });
  }

  /** After plugins are active: re-attach or requeue what a previous run left, then schedule. */
  async start(): Promise<void> {
    this.targets.start();
    const { store, registries, logger, sharedState, replicaId } = this.deps;
    const lost = await recoverJobs({
      store,
      registries,
      transitions: this.transitions,
      logger,
      ...(sharedState ? { shared: { replicaId } } : {}),
    });
    // A service is meant to be up: one its target no longer runs after the restart starts again.
    for (const job of lost.filter((j) => j.kind === 'service'))
      await this.requeue(job, 'requeued after the kernel restarted');
    this.scheduling.start();
    this.scheduling.wakeAll();
  }

  async stop(): Promise<void> {
    await this.scheduling.stop();
    await this.binder.settled();
  }

  /** Let every pass and binding in progress finish (tests). */
  async settled(): Promise<void> {
    await this.scheduling.idle();
    await this.binder.settled();
  }

  /** After a plugin change: jobs of a target whose serving instance changed are re-attached or requeued. */
  afterPluginChange(): Promise<void> {
    return this.targets.follow();
  }

  /**
   * On becoming the leader of a queue's scheduling: jobs of that queue left SCHEDULED or PREPARING
   * by a replica that is gone are bound here (they keep their one scheduling decision).
   */
  private async adoptOrphans(queue: string): Promise<void> {
    if (!this.deps.sharedState) return;
    for (const state of ['SCHEDULED', 'PREPARING'] as const) {
      for (const job of await this.deps.store.listJobs({ queue, state })) {
        if (this.binder.isBinding(job.id)) continue;
        const ready =
          state === 'SCHEDULED'
            ? job
            : await this.transitions.move(
                job.id,
                ['PREPARING'],
                'SCHEDULED',
                `the replica binding it was lost; ${this.deps.replicaId} binds it again`,
              );
        if (ready) this.binder.bind(ready);
      }
    }
  }

  async deploy(input: DeployInput): Promise<JobView> {
    this.deps.maintenance.assertWritable('deploying a job');
    const { job, secretEnv, replaces } = await checkDeploy(
      { ...this.deps, queueConfig: (q) => this.scheduling.queueConfig(q) },
      input,
    );
    if (replaces) await this.remove(replaces, input.actor, 'replaced by a forced deploy');
    await this.unpackSource(job.id, input.source, jobSubject(job));
    const stored = await this.deps.store.insertJob(job, secretEnv);
    await this.transitions.announce(stored, input.actor, 'job.deployed');
    this.scheduling.wake(stored.queue);
    return stored;
  }

  private async unpackSource(jobId: string, zip: Buffer, subject: string): Promise<void> {
    const dirs = jobPaths(this.deps.paths, jobId);
    try {
      const entries = inspectZip(zip, this.deps.limits);
      await mkdir(dirs.source, { recursive: true });
      await extractZip(entries, dirs.source);
    } catch (error) {
      await rm(dirs.root, { recursive: true, force: true });
      if (error instanceof KernelError)
        throw new KernelError(error.code, `job source of ${subject}: ${error.what}`, {
          job: subject,
          details: error.details,
        });
      throw error;
    }
  }

  list(filter: JobFilter = {}): Promise<JobView[]> {
    return this.deps.store.listJobs(filter);
  }

  resolve(name: string, version: string, preferRunning = false): Promise<JobView> {
    return this.resolver.resolve(name, version, preferRunning);
  }

  async get(name: string, version: string): Promise<JobDetailView> {
    const job = await this.resolve(name, version);
    return { ...job, events: await this.deps.store.listEvents(job.id) };
  }

  async delete(name: string, version: string, actor: string): Promise<JobView> {
    this.deps.maintenance.assertWritable(`deleting ${name}@${version}`);
    const job = await this.current(name, version);
    await this.remove(job, actor, `deleted by ${actor}`);
    return job;
  }

  /** The job as stored now (an alias resolved; not from the proxy's cache). */
  private async current(name: string, version: string): Promise<JobRecord> {
    const resolved = await this.resolve(name, version);
    const job = await this.deps.store.findJob(resolved.name, resolved.version);
    if (!job)
      throw new KernelError('KRN_ERR_JOB_NOT_FOUND', `no job ${resolved.name}@${resolved.version} is deployed`, {
        job: jobSubject(resolved),
      });
    return job;
  }

  /** Stop the job where it runs and forget it (files, secrets, history); the activity log keeps it. */
  private async remove(job: JobRecord, actor: string, reason: string): Promise<void> {
    await this.stopJob(job, reason, actor);
    // A job that already ended may still hold things on its target (a finished batch container).
    if (FINAL_STATES.includes(job.state)) await this.release(job);
    await this.deps.store.deleteJob(job.id);
    // The job type may still be writing to the job's work dir (a delete during PREPARING): retry ENOTEMPTY.
    await rm(jobPaths(this.deps.paths, job.id).root, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    await this.deps.activity.record({
      actor,
      action: 'job.deleted',
      subject: jobSubject(job),
      details: { jobId: job.id, reason },
    });
    this.scheduling.wake(job.queue);
  }

  /** Bring a job down: cancel it if it waits, else TERMINATING → stop on its target → TERMINATED. */
  private async stopJob(job: JobRecord, reason: string, actor: string): Promise<void> {
    const { transitions } = this;
    if (await transitions.move(job.id, ['PENDING', 'SCHEDULED'], 'CANCELLED', reason, {}, actor)) return;
    if (!(await transitions.move(job.id, ['PREPARING', 'RUNNING'], 'TERMINATING', reason, {}, actor))) return;
    const target = this.deps.registries.targets.get(job.target);
    try {
      await target?.stop(job.id, { graceMs: this.deps.stopGraceMs });
      await transitions.move(job.id, ['TERMINATING'], 'TERMINATED', reason, {}, actor);
    } catch (error) {
      await transitions.move(job.id, ['TERMINATING'], 'FAILED', `stop failed: ${describeError(error)}`, {}, actor);
    }
  }

  /** Ask the target to let go of what an ended job left there; a failure is logged, never fatal. */
  private async release(job: JobRecord): Promise<void> {
    try {
      await this.deps.registries.targets.get(job.target)?.stop(job.id, { graceMs: 0 });
    } catch (error) {
      this.deps.logger.warn(
        { job: jobSubject(job), err: describeError(error) },
        'the target could not release an ended job',
      );
    }
  }

  /** Stop the job and queue it again, same source, same secrets. With `principal`, its volumes are checked again. */
  async redeploy(name: string, version: string, actor: string, principal?: Principal): Promise<JobView> {
    this.deps.maintenance.assertWritable(`redeploying ${name}@${version}`);
    const job = await this.current(name, version);
    // Access may have changed since the deploy (a share revoked): the redeployer must still have it.
    const volumes = (job.manifest.volumes ?? []).map((v) => ({ ...v, readOnly: v.readOnly ?? false }));
    if (principal && volumes.length > 0) await this.deps.volumes.checkMounts(principal, volumes, jobSubject(job));
    await this.stopJob(job, `redeployed by ${actor}`, actor);
    return this.requeue(job, `redeployed by ${actor}`, actor);
  }

  /** Put a job in a final state back in its queue (its place: by submission order). */
  private async requeue(job: JobRecord, reason: string, actor = 'kernel'): Promise<JobRecord> {
    // The manifest's `jobtype` (e.g. python3:1.x) may select a newer version installed since.
    let jobtypeResolved = job.jobtypeResolved;
    try {
      jobtypeResolved = resolveJobType(this.deps.registries, job.jobtype, jobSubject(job));
    } catch {
      // none active now: keep the old one; binding will say it is missing
    }
    const requeued = await this.deps.store.transition(job.id, {
      from: FINAL_STATES,
      to: 'PENDING',
      reason: jobtypeResolved === job.jobtypeResolved ? reason : `${reason} (job type now ${jobtypeResolved})`,
      patch: { agentId: null, runtime: { replicas: [] }, attempts: 0, jobtypeResolved, notice: null },
    });
    if (!requeued)
      throw new KernelError('KRN_ERR_JOB_NOT_RUNNING', `${jobSubject(job)} could not be stopped to queue it again`, {
        job: jobSubject(job),
      });
    await this.transitions.announce(requeued, actor, 'job.requeued');
    this.scheduling.wake(requeued.queue);
    return requeued;
  }

  async logs(name: string, version: string, offset: number, limit?: number): Promise<LogChunk> {
    const job = await this.resolve(name, version);
    const target = this.deps.registries.targets.get(job.target);
    if (!target)
      throw new KernelError(
        'KRN_ERR_TARGET_NOT_FOUND',
        `target ${job.target} is not active, so its logs cannot be read`,
        { job: jobSubject(job) },
      );
    return target.logs(job.id, { offset, limit });
  }

  /** A state report from the plugin running the job's target (`ctx.infrastructure.reportJobState`). */
  report(plugin: string, report: JobStateReport): void {
    void this.applyReport(plugin, report).catch((error: unknown) =>
      this.deps.logger.error(
        { plugin, job: report.jobId, err: describeError(error) },
        'could not apply a job state report',
      ),
    );
  }

  private async applyReport(plugin: string, report: JobStateReport): Promise<void> {
    const job = await this.deps.store.getJob(report.jobId);
    if (!job || FINAL_STATES.includes(job.state)) return;
    if (this.deps.registries.targets.ownerOf(job.target)?.plugin !== plugin) {
      this.deps.logger.warn(
        { plugin, job: jobSubject(job) },
        "ignored a job state report from a plugin that does not run the job's target",
      );
      return;
    }
    const patch = report.replicas ? { runtime: { replicas: report.replicas } } : {};
    const reason =
      report.exitCode === undefined || /code/.test(report.reason)
        ? report.reason
        : `${report.reason} (exit code ${report.exitCode})`;
    if (report.state === 'RESTARTING') {
      await this.transitions.move(job.id, ['RUNNING'], 'RUNNING', `restarting: ${reason}`, patch);
    } else {
      await this.transitions.move(job.id, ['PREPARING', 'RUNNING'], report.state, reason, patch);
    }
    if (report.state !== 'RUNNING' && report.state !== 'RESTARTING') this.scheduling.wake(job.queue);
  }

  pending(queue?: string): Promise<JobView[]> {
    return this.deps.store.listJobs({ state: 'PENDING', ...(queue ? { queue } : {}) });
  }

  async queues(): Promise<QueueConfig[]> {
    const stored = await this.deps.store.listQueues();
    return stored.some((q) => q.name === 'default')
      ? stored
      : [await this.scheduling.queueConfig('default'), ...stored];
  }

  async putQueue(queue: QueueConfig, actor: string): Promise<QueueConfig> {
    this.deps.maintenance.assertWritable(`changing queue ${queue.name}`);
    await this.deps.store.putQueue(queue);
    await this.deps.activity.record({ actor, action: 'queue.configured', subject: queue.name, details: { ...queue } });
    this.scheduling.wake(queue.name);
    return queue;
  }

  /** Who uses a plugin's job types, targets and schedulers (asked before it is uninstalled). */
  usersOf(plugin: string): Promise<string[]> {
    return jobUsersOf({ ...this.deps, queueConfig: (q) => this.scheduling.queueConfig(q) }, plugin);
  }

  /** Before `plugin@version` goes: what to do once it is gone (mark the jobs of its job types). */
  beforePluginRemoved(plugin: string, version: string): Promise<() => Promise<void>> {
    return markJobsOfRemovedPlugin(this.deps, plugin, version);
  }
}
