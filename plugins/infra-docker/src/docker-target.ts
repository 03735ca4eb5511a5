import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
  TrackedProcess,
} from 'spindle/plugin-sdk';
import { RejectedError } from 'spindle/plugin-sdk';
import { makeSleep, readJobLog, replicaLogFile, type Sleep, tailLines, waitHealthy } from 'spindle/plugin-sdk/targets';
import { backoffDelay, type DockerConfig, withDefaults } from './config.js';
import { containerName, createSpec, imageTag, LABELS } from './container-spec.js';
import { addressOf, containerPortOf, exposedPort, inspect, inspectManaged } from './containers.js';
import { DockerCli } from './docker-cli.js';

/** The part of `ctx` the target uses. */
export type TargetContext = Pick<
  PluginContext,
  'exec' | 'setTimeout' | 'setInterval' | 'clearTimer' | 'signal' | 'logger' | 'infrastructure'
>;

interface Replica {
  index: number;
  name: string;
  address: string;
  /** `docker wait`: ends with the container, printing its exit code. */
  wait?: TrackedProcess;
  /** `docker logs -f` into the replica's log file. */
  logs?: TrackedProcess;
  crashes: number;
}

interface DockerJob {
  id: string;
  kind: 'service' | 'batch';
  logDir: string;
  healthPath: string;
  replicas: Replica[];
  exits: Map<number, number>;
  stopping: boolean;
}

/**
 * Target `docker`: each job's image is built from its job type's Dockerfile, and each replica is a
 * container labelled `spindle.managed=true` (nothing else is ever touched). A service replica is
 * RUNNING once its health path answers on the published loopback port; a crashed one is started
 * again with backoff, then the job is FAILED. Containers outlive the kernel and are re-attached.
 */
export class DockerTarget implements InfrastructureProvider {
  readonly config: DockerConfig;
  readonly cli: DockerCli;
  private readonly jobs = new Map<string, DockerJob>();
  private readonly sleep: Sleep;

  constructor(
    private readonly ctx: TargetContext,
    config?: Partial<DockerConfig>,
  ) {
    this.config = withDefaults(config);
    this.cli = new DockerCli(ctx, this.config);
    this.sleep = makeSleep(ctx);
  }

  async agents(): Promise<AgentInfo[]> {
    const info = await this.cli.json<{ Name: string; NCPU: number; MemTotal: number; ServerVersion: string }>([
      'info',
      '--format',
      '{{json .}}',
    ]);
    const capacity = { cpu: info.NCPU, memory: Math.floor(info.MemTotal / (1024 * 1024)), ...this.config.capacity };
    return [
      {
        id: `${this.config.targetName}:${info.Name}`,
        target: this.config.targetName,
        capacity,
        allocated: {},
        labels: { engine: info.ServerVersion },
      },
    ];
  }

  async deploy(request: DeployRequest): Promise<DeployResult> {
    const { job, run } = request;
    if (!run.image)
      throw new RejectedError(
        `job type ${job.jobtypeResolved} gives no container image, so target ${this.config.targetName} cannot run job ${job.name}@${job.version}`,
      );
    if (this.jobs.has(job.id))
      throw new Error(`job ${job.id} already runs on target ${this.config.targetName}; stop it first`);
    await mkdir(request.logDir, { recursive: true });
    const tag = imageTag(job.id);
    await this.cli
      .run(
        [
          'build',
          '--quiet',
          '--tag',
          tag,
          '--label',
          `${LABELS.managed}=true`,
          '--label',
          `${LABELS.job}=${job.id}`,
          '--file',
          '-',
          run.image.contextDir,
        ],
        {
          input: run.image.dockerfile,
          timeout: this.config.buildTimeoutMs,
        },
      )
      .catch((error: Error) => {
        throw new Error(`building the image of ${job.name}@${job.version} failed: ${error.message}`);
      });
    const state: DockerJob = {
      id: job.id,
      kind: job.kind,
      logDir: request.logDir,
      healthPath: run.healthPath,
      replicas: [],
      exits: new Map(),
      stopping: false,
    };
    this.jobs.set(job.id, state);
    try {
      const port = job.kind === 'service' ? await exposedPort(this.cli, tag, this.config.containerPort) : undefined;
      for (let i = 0; i < Math.max(1, job.replicas); i++) await this.create(request, i, port);
      for (let i = 0; i < Math.max(1, job.replicas); i++) state.replicas.push(await this.start(state, i, port, false));
      if (job.kind === 'service') await Promise.all(state.replicas.map((r) => this.healthy(state, r)));
      for (const replica of state.replicas) this.monitor(state, replica, port);
      return { replicas: state.replicas.map(replicaInfo) };
    } catch (error) {
      await this.remove(job.id);
      throw error;
    }
  }

  async stop(jobId: string, options: { graceMs: number }): Promise<void> {
    const state = this.jobs.get(jobId);
    if (state) state.stopping = true;
    const ids = (await this.cli.run(['ps', '--all', '--quiet', '--filter', `label=${LABELS.job}=${jobId}`]))
      .split('\n')
      .filter(Boolean);
    if (ids.length > 0)
      await this.cli.run(['stop', '--time', String(Math.max(0, Math.ceil(options.graceMs / 1000))), ...ids]);
    await this.remove(jobId);
  }

  async list(): Promise<RunningJob[]> {
    const byJob = new Map<string, ReplicaInfo[]>();
    for (const container of await inspectManaged(this.cli, ['--filter', 'status=running'])) {
      const labels = container.Config.Labels ?? {};
      const jobId = labels[LABELS.job]!;
      const replicas = byJob.get(jobId) ?? [];
      replicas.push({
        id: container.Name.replace(/^\//, ''),
        address: addressOf(container, this.config.publishHost) ?? '',
      });
      byJob.set(jobId, replicas);
    }
    return [...byJob].map(([jobId, replicas]) => ({
      jobId,
      replicas: replicas.sort((a, b) => a.id.localeCompare(b.id)),
    }));
  }

  /** After a kernel restart or a swap of this plugin: follow the job's running containers again. */
  async attach(job: JobSpec): Promise<boolean> {
    const containers = await inspectManaged(this.cli, ['--filter', `label=${LABELS.job}=${job.id}`]);
    if (containers.length === 0 || !containers.every((c) => c.State.Running)) return false;
    const labels = containers[0]!.Config.Labels ?? {};
    const state: DockerJob = {
      id: job.id,
      kind: job.kind,
      logDir: labels[LABELS.logDir]!,
      healthPath: '/health',
      replicas: [],
      exits: new Map(),
      stopping: false,
    };
    const port = containerPortOf(containers[0]!);
    for (const container of containers.sort(
      (a, b) => Number(a.Config.Labels?.[LABELS.replica]) - Number(b.Config.Labels?.[LABELS.replica]),
    )) {
      const index = Number(container.Config.Labels?.[LABELS.replica] ?? 0);
      const replica: Replica = {
        index,
        name: container.Name.replace(/^\//, ''),
        address: addressOf(container, this.config.publishHost) ?? '',
        crashes: 0,
      };
      this.follow(state, replica, true);
      state.replicas.push(replica);
    }
    this.jobs.set(job.id, state);
    for (const replica of state.replicas) this.monitor(state, replica, port);
    this.ctx.logger.info(
      { jobId: job.id, containers: state.replicas.map((r) => r.name) },
      're-attached to running containers',
    );
    return true;
  }

  async logs(jobId: string, options: { offset: number; limit?: number }): Promise<LogChunk> {
    let state = this.jobs.get(jobId);
    if (!state) {
      const found = await inspectManaged(this.cli, ['--filter', `label=${LABELS.job}=${jobId}`]);
      const labels = found[0]?.Config.Labels;
      if (!labels) return { text: '', offset: 0 };
      state = {
        id: jobId,
        kind: 'service',
        logDir: labels[LABELS.logDir]!,
        healthPath: '/health',
        replicas: found.map((c, index) => ({ index, name: c.Name, address: '', crashes: 0 })),
        exits: new Map(),
        stopping: false,
      };
    }
    return readJobLog(state.logDir, state.replicas.length, options.offset, options.limit);
  }

  /** Stop following every job (the plugin is unloading); the containers keep running. */
  shutdown(): void {
    for (const state of this.jobs.values()) state.stopping = true;
    this.jobs.clear();
  }

  // -------------------------------------------------------------------------------------------

  /** `docker create` for one replica; secrets reach the CLI by environment, never on its command line. */
  private async create(request: DeployRequest, index: number, port: number | undefined): Promise<void> {
    const spec = createSpec(request, index, {
      ...(port !== undefined ? { port } : {}),
      publishHost: this.config.publishHost,
    });
    let envFile: string | undefined;
    if (spec.envFile) {
      envFile = path.join(os.tmpdir(), `spindle-env-${randomUUID()}`);
      await writeFile(envFile, spec.envFile, { mode: 0o600 });
      spec.args.push('--env-file', envFile);
    }
    try {
      await this.cli.run([...spec.args, imageTag(request.job.id)], { env: spec.env });
    } finally {
      if (envFile) await rm(envFile, { force: true });
    }
  }

  /** Start (or restart) a replica's container and follow it: `docker wait` and `docker logs -f`. */
  private async start(state: DockerJob, index: number, port: number | undefined, restart: boolean): Promise<Replica> {
    const name = containerName(state.id, index);
    await this.cli.run(['start', name]);
    const container = (await inspect(this.cli, [name]))[0]!;
    const replica: Replica = {
      index,
      name,
      address: port === undefined ? '' : (addressOf(container, this.config.publishHost) ?? ''),
      crashes: 0,
    };
    this.follow(state, replica, !restart);
    return replica;
  }

  private follow(state: DockerJob, replica: Replica, fresh: boolean): void {
    const logFile = replicaLogFile(state.logDir, replica.index);
    // A fresh follow replays the whole log into a new file; after a restart only what is new is appended.
    const since = fresh ? [] : ['--since', new Date().toISOString()];
    if (fresh) void writeFile(logFile, '').catch(() => undefined);
    replica.logs = this.cli.spawn(['logs', '--follow', ...since, replica.name], { logFile });
    replica.wait = this.cli.spawn(['wait', replica.name]);
  }

  private async healthy(state: DockerJob, replica: Replica): Promise<void> {
    const exited = replica.wait!.result;
    const outcome = await waitHealthy({
      url: `${replica.address}${state.healthPath.startsWith('/') ? '' : '/'}${state.healthPath}`,
      intervalMs: this.config.healthIntervalMs,
      timeoutMs: this.config.healthTimeoutMs,
      exited,
      signal: this.ctx.signal,
      sleep: this.sleep,
    });
    if (outcome.kind === 'healthy') return;
    const log = await tailLines(replicaLogFile(state.logDir, replica.index), 10);
    const why =
      outcome.kind === 'exited'
        ? `exited with code ${outcome.result.stdout.trim() || outcome.result.exitCode} before it was healthy`
        : outcome.kind === 'timeout'
          ? `did not answer ${state.healthPath} with 2xx within ${this.config.healthTimeoutMs} ms (last: ${outcome.last})`
          : 'was stopped while starting';
    throw new Error(`container ${replica.name} ${why}${log ? `; its log ends:\n${log}` : ''}`);
  }

  private monitor(state: DockerJob, replica: Replica, port: number | undefined): void {
    void replica.wait!.result.then(async (result) => {
      if (state.stopping || this.ctx.signal.aborted) return;
      const code = Number.parseInt(result.stdout.trim(), 10);
      const exitCode = Number.isNaN(code) ? -1 : code;
      if (state.kind === 'batch') return this.batchExit(state, replica, exitCode);
      await this.serviceExit(state, replica, exitCode, port);
    });
  }

  private batchExit(state: DockerJob, replica: Replica, exitCode: number): void {
    state.exits.set(replica.index, exitCode);
    if (state.exits.size < state.replicas.length) return;
    const failed = [...state.exits].find(([, code]) => code !== 0);
    state.stopping = true;
    this.ctx.infrastructure.reportJobState(
      failed
        ? {
            jobId: state.id,
            state: 'FAILED',
            reason: `replica ${failed[0]} exited with code ${failed[1]}`,
            exitCode: failed[1],
          }
        : { jobId: state.id, state: 'SUCCEEDED', reason: 'every replica exited with code 0', exitCode: 0 },
    );
  }

  private async serviceExit(
    state: DockerJob,
    replica: Replica,
    exitCode: number,
    port: number | undefined,
  ): Promise<void> {
    const crashes = replica.crashes + 1;
    if (crashes > this.config.maxRestarts) {
      state.stopping = true;
      this.ctx.infrastructure.reportJobState({
        jobId: state.id,
        state: 'FAILED',
        reason: `container ${replica.name} exited with code ${exitCode} after ${this.config.maxRestarts} restarts`,
        exitCode,
      });
      return;
    }
    const delay = backoffDelay(this.config.restartBackoffMs, crashes);
    this.ctx.infrastructure.reportJobState({
      jobId: state.id,
      state: 'RESTARTING',
      reason: `container ${replica.name} exited with code ${exitCode}; restart ${crashes} of ${this.config.maxRestarts} in ${delay} ms`,
      exitCode,
    });
    await this.sleep(delay);
    if (state.stopping || this.ctx.signal.aborted) return;
    try {
      const next = await this.start(state, replica.index, port, true);
      next.crashes = crashes;
      state.replicas[state.replicas.indexOf(replica)] = next;
      await this.healthy(state, next);
      this.monitor(state, next, port);
      this.ctx.infrastructure.reportJobState({
        jobId: state.id,
        state: 'RUNNING',
        reason: `container ${next.name} is healthy again`,
        replicas: state.replicas.map(replicaInfo),
      });
    } catch (error) {
      state.stopping = true;
      this.ctx.infrastructure.reportJobState({
        jobId: state.id,
        state: 'FAILED',
        reason: `container ${replica.name} could not be restarted: ${(error as Error).message}`,
      });
    }
  }

  /** Remove the job's containers and image; never fails on what is already gone. */
  private async remove(jobId: string): Promise<void> {
    const state = this.jobs.get(jobId);
    this.jobs.delete(jobId);
    if (state) state.stopping = true;
    const ids = (await this.cli.run(['ps', '--all', '--quiet', '--filter', `label=${LABELS.job}=${jobId}`]))
      .split('\n')
      .filter(Boolean);
    if (ids.length > 0) await this.cli.run(['rm', '--force', ...ids]);
    for (const replica of state?.replicas ?? []) {
      await replica.logs?.stop();
      await replica.wait?.stop();
    }
    await this.cli.run(['image', 'rm', '--force', imageTag(jobId)]).catch(() => undefined);
  }
}

const replicaInfo = (replica: Replica): ReplicaInfo => ({ id: replica.name, address: replica.address });
