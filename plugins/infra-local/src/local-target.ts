import os from 'node:os';
import type {
  AgentInfo,
  DeployRequest,
  DeployResult,
  InfrastructureProvider,
  JobSpec,
  JobStateReport,
  LogChunk,
  PluginContext,
  ReplicaInfo,
  RunningJob,
} from 'spindle/plugin-sdk';
import { RejectedError } from 'spindle/plugin-sdk';
import { isRoot } from 'spindle/plugin-sdk/sandbox';
import {
  type HealthOutcome,
  makeSleep,
  readJobLog,
  replicaLogFile,
  type Sleep,
  tailLines,
  waitHealthy,
} from 'spindle/plugin-sdk/targets';
import { AdoptedJob } from './adopted-job.js';
import { type LocalConfig, withDefaults } from './config.js';
import type { Confinement } from './confinement.js';
import { describeExit, healthUrl, launchSpec, type Replica, startReplica, stopReplica } from './launcher.js';
import { LocalJob, type MonitorDeps, monitorBatch, monitorService } from './replica-monitor.js';
import { type JobRecord, StateFile } from './state-file.js';

export const TARGET_NAME = 'local';

/** The part of `ctx` the target uses (tests build it by hand). */
export type TargetContext = Pick<
  PluginContext,
  'exec' | 'setTimeout' | 'setInterval' | 'clearTimer' | 'signal' | 'dataDir' | 'logger' | 'infrastructure'
>;

/** The embedded default target: every replica is a local process on a loopback port. */
export class LocalTarget implements InfrastructureProvider {
  private readonly config: LocalConfig;
  private readonly jobs = new Map<string, LocalJob>();
  private readonly adopted = new Map<string, AdoptedJob>();
  private readonly state: StateFile;
  private readonly sleep: Sleep;
  private readonly monitorDeps: MonitorDeps;

  constructor(
    private readonly ctx: TargetContext,
    config?: Partial<LocalConfig>,
    /** How jobs are confined (confinement.ts); without one, they run as plain processes. */
    private readonly confinement?: Confinement,
  ) {
    this.config = withDefaults(config);
    this.state = new StateFile(ctx.dataDir, (message) => ctx.logger.warn({}, message));
    this.sleep = makeSleep(ctx);
    this.monitorDeps = {
      exec: ctx.exec,
      sleep: this.sleep,
      config: this.config,
      logger: ctx.logger,
      report: (report) => this.report(report),
      changed: (job) => this.persist(job),
      finish: (job, report) => this.finish(job, report),
    };
    ctx.signal.addEventListener('abort', () => this.closeAll(), { once: true });
  }

  /** Read jobs.json: jobs whose processes outlived the previous kernel are kept for list/attach. */
  restore(): void {
    for (const record of Object.values(this.state.readAll())) {
      if (!record.running) continue;
      const job = new AdoptedJob(record, this.adoptedDeps());
      if (job.anyAlive()) {
        this.adopted.set(record.jobId, job);
        this.ctx.logger.info(
          { jobId: record.jobId, pids: record.replicas.map((r) => r.pid) },
          'found a job that outlived the previous kernel',
        );
      } else {
        this.state.markEnded(record.jobId);
      }
    }
  }

  async agents(): Promise<AgentInfo[]> {
    const capacity = {
      cpu: os.availableParallelism(),
      memory: Math.floor(os.totalmem() / (1024 * 1024)),
      ...this.config.capacity,
    };
    return [{ id: TARGET_NAME, target: TARGET_NAME, capacity, allocated: {}, labels: { hostname: os.hostname() } }];
  }

  async deploy(request: DeployRequest): Promise<DeployResult> {
    const jobId = request.job.id;
    if (this.ctx.signal.aborted)
      throw new Error(`target ${TARGET_NAME} is shutting down; job ${jobId} was not started`);
    // An adopted job whose processes are gone (e.g. its old instance stopped them) is just a record.
    const adopted = this.adopted.get(jobId);
    if (adopted && !adopted.anyAlive()) {
      adopted.close();
      this.adopted.delete(jobId);
    }
    if (this.jobs.has(jobId) || this.adopted.has(jobId))
      throw new Error(`job ${jobId} already runs on target ${TARGET_NAME}; stop it first`);
    const runAs = this.confinement?.confined && isRoot() ? this.freeUser() : undefined;
    const job = new LocalJob(launchSpec(request, this.config, await this.confinement?.plan(request, runAs)));
    if (!job.spec.sandbox)
      this.ctx.logger.warn({ jobId }, `job ${jobId} runs unconfined: it can read and write what the kernel's user can`);
    this.jobs.set(jobId, job);
    let failed: { replica: Replica; outcome: HealthOutcome } | undefined;
    try {
      for (let i = 0; i < job.spec.replicaCount && !job.closed; i++) {
        await job.starting(startReplica(this.ctx.exec, job.spec, i).then((r) => job.replicas.push(r)));
        this.persist(job);
      }
      if (job.spec.kind === 'service') failed = await this.firstUnhealthy(job);
    } catch (error) {
      await this.discard(job, this.config.stopGraceMs);
      throw error;
    }
    if (failed || job.closed) {
      await this.discard(job, this.config.stopGraceMs);
      throw await this.deployError(job, failed);
    }
    (job.spec.kind === 'service' ? monitorService : monitorBatch)(job, this.monitorDeps);
    this.ctx.logger.info(
      { jobId, kind: job.spec.kind, replicas: job.replicas.map((r) => ({ port: r.port, pid: r.proc.pid })) },
      'job deployed',
    );
    const notice = this.confinement?.notice(job.spec);
    return { replicas: job.info(), ...(notice ? { notice } : {}) };
  }

  /** The lowest job user no live job of this target runs as. */
  private freeUser(): { uid: number; gid: number } {
    const taken = new Set([
      ...[...this.jobs.values()].map((j) => j.spec.sandbox?.runAs?.uid),
      ...[...this.adopted.values()].map((a) => a.record.uid),
    ]);
    let uid = this.config.jobUidBase;
    while (taken.has(uid)) uid++;
    return { uid, gid: uid };
  }

  /** Wait for every replica's health check; the first that fails ends the wait (undefined: all healthy). */
  private async firstUnhealthy(job: LocalJob): Promise<{ replica: Replica; outcome: HealthOutcome } | undefined> {
    const { healthIntervalMs: intervalMs, healthTimeoutMs: timeoutMs } = this.config;
    return new Promise((resolve) => {
      let pending = job.replicas.length;
      for (const replica of job.replicas) {
        const url = healthUrl(job.spec, replica);
        const settle = (outcome: HealthOutcome): void => {
          if (outcome.kind !== 'healthy') resolve({ replica, outcome });
          else if (--pending === 0) resolve(undefined);
        };
        void waitHealthy({
          url,
          intervalMs,
          timeoutMs,
          exited: replica.proc.result,
          signal: job.signal,
          sleep: this.sleep,
        }).then(settle, (error: unknown) => settle({ kind: 'timeout', last: String(error) }));
      }
    });
  }

  private async deployError(
    job: LocalJob,
    failed: { replica: Replica; outcome: HealthOutcome } | undefined,
  ): Promise<Error> {
    const { jobId } = job.spec;
    if (!failed || failed.outcome.kind === 'aborted')
      return new Error(`job ${jobId} was stopped before it became healthy`);
    const { replica, outcome } = failed;
    const url = healthUrl(job.spec, replica);
    const what =
      outcome.kind === 'exited'
        ? `${describeExit(outcome.result).text} before it answered ${url}`
        : `did not answer ${url} with 2xx within ${this.config.healthTimeoutMs} ms (last try: ${outcome.kind === 'timeout' ? outcome.last : 'none'})`;
    const file = replicaLogFile(job.spec.logDir, replica.index);
    const tail = await tailLines(file, 20);
    return new Error(
      `replica ${replica.index} of job ${jobId} ${what}; all replicas were stopped.\n${tail ? `last lines of ${file}:\n${tail}` : `${file} is empty`}`,
    );
  }

  async stop(jobId: string, options?: { graceMs?: number }): Promise<void> {
    const graceMs = options?.graceMs ?? this.config.stopGraceMs;
    const job = this.jobs.get(jobId);
    if (job) {
      await this.discard(job, graceMs);
      this.ctx.logger.info({ jobId }, 'job stopped');
      return;
    }
    const adopted = this.adopted.get(jobId);
    if (adopted) await adopted.stop(graceMs);
  }

  async list(): Promise<RunningJob[]> {
    const own = [...this.jobs.values()]
      .filter((j) => !j.closed)
      .map((j) => ({ jobId: j.spec.jobId, replicas: j.info() }));
    const survivors = [...this.adopted.values()]
      .filter((a) => a.anyAlive())
      .map((a) => ({ jobId: a.jobId, replicas: a.info() }));
    return [...own, ...survivors];
  }

  async attach(job: JobSpec, _replicas: ReplicaInfo[]): Promise<boolean> {
    const own = this.jobs.get(job.id);
    if (own) return !own.closed;
    const adopted = this.adopted.get(job.id);
    if (!adopted || !(await adopted.isHealthy())) return false;
    adopted.watch();
    this.ctx.logger.info({ jobId: job.id }, 'attached to a job that outlived the previous kernel');
    return true;
  }

  async logs(jobId: string, options: { offset: number; limit?: number }): Promise<LogChunk> {
    const known = this.jobs.get(jobId)?.spec ?? this.adopted.get(jobId)?.record ?? this.state.get(jobId);
    if (!known) throw new RejectedError(`no logs for job ${jobId} on target ${TARGET_NAME}`, { status: 404 });
    return readJobLog(known.logDir, known.replicaCount, options.offset ?? 0, options.limit);
  }

  /** At deactivate: no restart after this; our children go with the ledger, survivors we stop. */
  async shutdown(): Promise<void> {
    this.closeAll();
    for (const job of this.jobs.values()) this.state.markEnded(job.spec.jobId);
    const grace = Math.min(this.config.stopGraceMs, 1_500);
    await Promise.all([...this.adopted.values()].map((a) => a.stop(grace)));
  }

  private closeAll(): void {
    for (const job of this.jobs.values()) job.close();
    for (const adopted of this.adopted.values()) adopted.close();
  }

  private adoptedDeps(): ConstructorParameters<typeof AdoptedJob>[1] {
    return {
      setInterval: this.ctx.setInterval,
      clearTimer: this.ctx.clearTimer,
      config: this.config,
      logger: this.ctx.logger,
      report: (report) => this.report(report),
      gone: (jobId) => {
        this.adopted.delete(jobId);
        this.state.markEnded(jobId);
      },
    };
  }

  private report(report: JobStateReport): void {
    if (this.ctx.signal.aborted) return;
    this.ctx.logger.info({ jobId: report.jobId, state: report.state, reason: report.reason }, 'job state');
    this.ctx.infrastructure.reportJobState(report);
  }

  private persist(job: LocalJob): void {
    const { spec } = job;
    const record: JobRecord = {
      jobId: spec.jobId,
      kind: spec.kind,
      logDir: spec.logDir,
      replicaCount: spec.replicaCount,
      healthPath: spec.healthPath,
      ...(spec.sandbox?.runAs ? { uid: spec.sandbox.runAs.uid } : {}),
      replicas: job.replicas.map((r) => ({
        id: `${spec.jobId}-${r.index}`,
        index: r.index,
        pid: r.proc.pid,
        port: r.port,
        address: r.address,
        startTime: r.startTime,
      })),
      running: !job.closed,
      updatedAt: '',
    };
    this.state.put(record);
  }

  /** Close the job, stop every replica, forget it (its record stays, for logs). */
  private async discard(job: LocalJob, graceMs: number): Promise<void> {
    job.close();
    await job.settled();
    await Promise.all(job.replicas.map((r) => stopReplica(r, graceMs)));
    if (this.jobs.get(job.spec.jobId) === job) this.jobs.delete(job.spec.jobId);
    this.persist(job);
  }

  private async finish(job: LocalJob, report: JobStateReport): Promise<void> {
    if (job.closed) return;
    await this.discard(job, this.config.stopGraceMs);
    this.report(report);
  }
}
