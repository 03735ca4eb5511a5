import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Principal } from '../../plugin-sdk/hook-types.js';
import type { JobStateReport, LogChunk } from '../../plugin-sdk/providers.js';
import type { ActivityRecorder } from '../activity-recorder.js';
import { KernelError, describeError } from '../errors/kernel-error.js';
import { pluginCallError } from '../plugin-dispatch.js';
import type { KernelHooks } from '../hooks.js';
import type { HomePaths } from '../home-paths.js';
import { extractZip } from '../intake/extract-zip.js';
import { inspectZip } from '../intake/inspect-zip.js';
import type { ZipLimits } from '../intake/zip-limits.js';
import type { KernelRegistries } from '../registries.js';
import type { SchedulingLoop } from '../scheduling/scheduling-loop.js';
import { admitJob } from './admission.js';
import { JobBinder } from './job-binder.js';
import { validateJobManifest } from './job-manifest.js';
import { ALLOCATED_STATES, FINAL_STATES, type JobRecord } from './job-record.js';
import { jobPaths } from './job-paths.js';
import type { JobFilter, JobStore } from './job-store.js';
import { JobTransitions, jobSubject } from './job-transitions.js';
import { resolveJobType, resolveTarget } from './job-resolution.js';
import type { VolumeService } from '../volumes/volume-service.js';

export interface DeployInput {
  /** The final manifest (extends and overrides applied by the client); validated here. */
  manifest: unknown;
  secretEnv: Record<string, string>;
  /** The job directory as a ZIP. */
  source: Buffer;
  actor: string;
  /** Who deploys: checked against the volumes the job mounts. */
  principal: Principal;
  force?: boolean;
}

export interface JobServiceDeps {
  store: JobStore;
  registries: KernelRegistries;
  hooks: KernelHooks;
  activity: ActivityRecorder;
  paths: HomePaths;
  limits: ZipLimits;
  logger: Logger;
  kernelVersion: string;
  scheduling: SchedulingLoop;
  stopGraceMs: number;
  volumes: Pick<VolumeService, 'checkMounts' | 'mountsFor'>;
  /** This kernel among replicas; recorded on the jobs it starts. */
  replicaId: string;
  /** True when other replicas share the job store (PostgreSQL). */
  sharedState: boolean;
}

/** The job model: deploy, delete, redeploy, state reports from targets, and queries. */
export class JobService {
  readonly transitions: JobTransitions;
  readonly binder: JobBinder;

  constructor(private readonly deps: JobServiceDeps) {
    this.transitions = new JobTransitions(deps.store, deps.activity, deps.logger);
    this.binder = new JobBinder({ ...deps, transitions: this.transitions, onFreed: (queue) => deps.scheduling.wake(queue) });
  }

  async deploy(input: DeployInput): Promise<JobRecord> {
    const { store, hooks, scheduling } = this.deps;
    const { secretEnv: inlineSecrets, secretEnvFile, extends: base, ...plain } = (input.manifest ?? {}) as Record<string, unknown>;
    if (secretEnvFile !== undefined || base !== undefined) {
      throw new KernelError('KRN_ERR_JOB_MANIFEST_INVALID', `${secretEnvFile !== undefined ? 'secretEnvFile' : 'extends'} must be resolved before upload (spindle deploy does it); send the final manifest and the secrets apart`);
    }
    // Secrets never stay in the stored manifest: inline ones join the others and reach the job as env only.
    input = { ...input, secretEnv: { ...(inlineSecrets as Record<string, string> | undefined), ...input.secretEnv } };
    const notText = Object.entries(input.secretEnv).find(([, value]) => typeof value !== 'string');
    if (notText) throw new KernelError('KRN_ERR_JOB_MANIFEST_INVALID', `secretEnv.${notText[0]} must be a string (quote it in YAML)`);
    const parsed = validateJobManifest(plain);
    let manifest;
    try {
      manifest = validateJobManifest(await hooks['jobs.validateManifest'].promise({ ...parsed, owner: parsed.owner ?? input.actor }));
    } catch (error) {
      if (error instanceof KernelError && error.code !== 'KRN_ERR_PLUGIN_REJECTED') throw error;
      throw new KernelError('KRN_ERR_JOB_MANIFEST_INVALID', `${parsed.name}@${parsed.version}: ${(error as KernelError).what ?? describeError(error)}`, {
        job: `${parsed.name}@${parsed.version}`,
        details: (error as KernelError).details,
      });
    }
    const subject = jobSubject(manifest);
    // Stored as `backend:name`, so a backend added later cannot change which volume a job mounts.
    if (manifest.volumes) manifest.volumes = await this.deps.volumes.checkMounts(input.principal, manifest.volumes, subject);
    const jobtypeResolved = resolveJobType(this.deps.registries, manifest.jobtype, subject);
    const target = resolveTarget(this.deps.registries, manifest.infrastructure, subject);
    const queue = await scheduling.queueConfig(manifest.queue);
    if (!this.deps.registries.schedulers.has(queue.scheduler)) {
      throw new KernelError('KRN_ERR_SCHEDULER_NOT_FOUND', `queue ${queue.name} uses scheduler "${queue.scheduler}", which no active plugin provides`, { job: subject });
    }
    const existing = await store.findJob(manifest.name, manifest.version);
    if (existing && !input.force) {
      throw new KernelError('KRN_ERR_JOB_EXISTS', `${subject} is already deployed (state ${existing.state})`, { job: subject });
    }
    const now = new Date().toISOString();
    const job: Omit<JobRecord, 'seq'> = {
      id: randomUUID(),
      name: manifest.name,
      version: manifest.version,
      owner: manifest.owner ?? input.actor,
      queue: manifest.queue,
      target,
      jobtype: manifest.jobtype,
      jobtypeResolved,
      kind: manifest.kind,
      replicas: manifest.replicas,
      resources: { ...manifest.resources },
      manifest,
      state: 'PENDING',
      reason: 'queued',
      attempts: 0,
      agentId: null,
      runtime: { replicas: [] },
      notice: null,
      submittedAt: now,
      updatedAt: now,
    };
    await admitJob(this.deps, queue, job);
    if (existing) await this.remove(existing, input.actor, 'replaced by a forced deploy');
    await this.unpackSource(job.id, input.source, subject);
    const stored = await store.insertJob(job, input.secretEnv);
    await this.transitions.announce(stored, input.actor, 'job.deployed');
    scheduling.wake(stored.queue);
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
      if (error instanceof KernelError) throw new KernelError(error.code, `job source of ${subject}: ${error.what}`, { job: subject, details: error.details });
      throw error;
    }
  }

  list(filter: JobFilter = {}): Promise<JobRecord[]> {
    return this.deps.store.listJobs(filter);
  }

  async get(name: string, version: string): Promise<JobRecord> {
    const job = await this.deps.store.findJob(name, version);
    if (!job) throw new KernelError('KRN_ERR_JOB_NOT_FOUND', `no job ${name}@${version} is deployed`, { job: `${name}@${version}` });
    return job;
  }

  async delete(name: string, version: string, actor: string): Promise<JobRecord> {
    const job = await this.get(name, version);
    await this.remove(job, actor, `deleted by ${actor}`);
    return job;
  }

  /** Stop the job where it runs and forget it (files, secrets, history); the activity log keeps it. */
  private async remove(job: JobRecord, actor: string, reason: string): Promise<void> {
    await this.stop(job, reason, actor);
    // A job that already ended may still hold things on its target (a finished batch container).
    if (FINAL_STATES.includes(job.state)) await this.release(job);
    await this.deps.store.deleteJob(job.id);
    // The job type may still be writing to the job's work dir (a delete during PREPARING): retry ENOTEMPTY.
    await rm(jobPaths(this.deps.paths, job.id).root, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    await this.deps.activity.record({ actor, action: 'job.deleted', subject: jobSubject(job), details: { jobId: job.id, reason } });
    this.deps.scheduling.wake(job.queue);
  }

  /** Bring a job down: cancel it if it waits, else TERMINATING → stop on its target → TERMINATED. */
  private async stop(job: JobRecord, reason: string, actor: string): Promise<void> {
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
      this.deps.logger.warn({ job: jobSubject(job), err: describeError(error) }, 'the target could not release an ended job');
    }
  }

  /** Stop the job and queue it again, same source, same secrets. */
  async redeploy(name: string, version: string, actor: string, principal?: Principal): Promise<JobRecord> {
    const job = await this.get(name, version);
    // Access may have changed since the deploy (a share revoked): the redeployer must still have it.
    const volumes = (job.manifest.volumes ?? []).map((v) => ({ ...v, readOnly: v.readOnly ?? false }));
    if (principal && volumes.length > 0) await this.deps.volumes.checkMounts(principal, volumes, jobSubject(job));
    await this.stop(job, `redeployed by ${actor}`, actor);
    return this.requeue(job, `redeployed by ${actor}`, actor);
  }

  /** Put a job in a final state back in its queue (its place: by submission order). */
  async requeue(job: JobRecord, reason: string, actor = 'kernel'): Promise<JobRecord> {
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
    if (!requeued) throw new KernelError('KRN_ERR_JOB_NOT_RUNNING', `${jobSubject(job)} could not be stopped to queue it again`, { job: jobSubject(job) });
    await this.transitions.announce(requeued, actor, 'job.requeued');
    this.deps.scheduling.wake(requeued.queue);
    return requeued;
  }

  async logs(name: string, version: string, offset: number, limit?: number): Promise<LogChunk> {
    const job = await this.get(name, version);
    const target = this.deps.registries.targets.get(job.target);
    if (!target) throw new KernelError('KRN_ERR_TARGET_NOT_FOUND', `target ${job.target} is not active, so its logs cannot be read`, { job: jobSubject(job) });
    try {
      return await target.logs(job.id, { offset, limit });
    } catch (error) {
      throw pluginCallError(this.deps.registries.targets.ownerOf(job.target)?.plugin ?? job.target, `reading the log of ${jobSubject(job)}`, error);
    }
  }

  /** A state report from the plugin running the job's target (`ctx.infrastructure.reportJobState`). */
  async report(plugin: string, report: JobStateReport): Promise<void> {
    const job = await this.deps.store.getJob(report.jobId);
    if (!job || FINAL_STATES.includes(job.state)) return;
    if (this.deps.registries.targets.ownerOf(job.target)?.plugin !== plugin) {
      this.deps.logger.warn({ plugin, job: jobSubject(job) }, 'ignored a job state report from a plugin that does not run the job\'s target');
      return;
    }
    const patch = report.replicas ? { runtime: { replicas: report.replicas } } : {};
    const reason = report.exitCode === undefined || /code/.test(report.reason) ? report.reason : `${report.reason} (exit code ${report.exitCode})`;
    if (report.state === 'RESTARTING') {
      await this.transitions.move(job.id, ['RUNNING'], 'RUNNING', `restarting: ${reason}`, patch);
    } else {
      await this.transitions.move(job.id, ['PREPARING', 'RUNNING'], report.state, reason, patch);
    }
    if (report.state !== 'RUNNING' && report.state !== 'RESTARTING') this.deps.scheduling.wake(job.queue);
  }

  /** Who uses a plugin's job types and targets (asked before it is uninstalled). */
  async usersOf(plugin: string): Promise<string[]> {
    const { registries } = this.deps;
    const owned = (registry: KernelRegistries['jobTypes'] | KernelRegistries['targets'], key: string) => registry.ownerOf(key)?.plugin === plugin;
    const jobs = await this.deps.store.listJobs();
    const users = jobs
      .filter((job) => !FINAL_STATES.includes(job.state))
      .filter((job) => owned(registries.jobTypes, job.jobtypeResolved) || owned(registries.targets, job.target))
      .map((job) => `job ${jobSubject(job)} (${job.state})`);
    for (const name of registries.schedulers.keys().filter((key) => registries.schedulers.ownerOf(key)?.plugin === plugin)) {
      const queues = new Set(jobs.filter((job) => job.state === 'PENDING').map((job) => job.queue));
      for (const queue of queues) if ((await this.deps.scheduling.queueConfig(queue)).scheduler === name) users.push(`queue ${queue} (scheduler ${name}, with pending jobs)`);
    }
    return users;
  }

  /**
   * Before a plugin goes: the live jobs using its job types, and a function that marks them with a
   * notice once it is gone (they keep running; they cannot be redeployed on that version).
   */
  async beforePluginRemoved(plugin: string, version: string): Promise<() => Promise<void>> {
    const { registries, store } = this.deps;
    const jobs = (await store.listJobs()).filter((job) => !FINAL_STATES.includes(job.state) && registries.jobTypes.ownerOf(job.jobtypeResolved)?.plugin === plugin);
    return async () => {
      for (const job of jobs) {
        await store.setNotice(job.id, `job type ${job.jobtypeResolved} was uninstalled with ${plugin}@${version}; the job keeps running but cannot be redeployed on that version`);
      }
    };
  }

  /** Jobs that hold a reservation: what the scheduler must not count twice after a restart. */
  allocated(): Promise<JobRecord[]> {
    return this.deps.store.listJobs().then((jobs) => jobs.filter((j) => ALLOCATED_STATES.includes(j.state)));
  }
}
