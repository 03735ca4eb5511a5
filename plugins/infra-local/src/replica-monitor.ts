import { setMaxListeners } from 'node:events';
import { appendFile } from 'node:fs/promises';
import type { JobStateReport, PluginLogger, ReplicaInfo } from 'spindle/plugin-sdk';
import type { Sleep } from 'spindle/plugin-sdk/targets';
import { replicaLogFile, waitHealthy } from 'spindle/plugin-sdk/targets';
import { backoffDelay, type LocalConfig, STABLE_RESET_MS } from './config.js';
import {
  describeExit,
  type Exec,
  healthUrl,
  type LaunchSpec,
  type Replica,
  replicaInfo,
  startReplica,
  stopReplica,
} from './launcher.js';

/** A job this instance started: its replicas (replaced in place on restart) and its lifetime. */
export class LocalJob {
  readonly replicas: Replica[] = [];
  private readonly lifetime = new AbortController();
  private readonly starts = new Set<Promise<unknown>>();

  constructor(readonly spec: LaunchSpec) {
    // One listener per replica waiting on a timer or a health check.
    setMaxListeners(0, this.lifetime.signal);
  }

  get signal(): AbortSignal {
    return this.lifetime.signal;
  }

  /** Closed = stopped, failed, finished or unloading: nothing may be restarted or reported. */
  get closed(): boolean {
    return this.lifetime.signal.aborted;
  }

  close(): void {
    this.lifetime.abort();
  }

  /** Track a replica start, so stopping the job can wait for a process that is being started. */
  starting<T>(start: Promise<T>): Promise<T> {
    this.starts.add(start);
    const forget = (): void => void this.starts.delete(start);
    start.then(forget, forget);
    return start;
  }

  /** Resolves when no replica start is in flight (they land in `replicas` before this resolves). */
  async settled(): Promise<void> {
    while (this.starts.size > 0) await Promise.allSettled([...this.starts]);
  }

  info(): ReplicaInfo[] {
    return this.replicas.map((r) => replicaInfo(this.spec.jobId, r));
  }
}

export interface MonitorDeps {
  exec: Exec;
  sleep: Sleep;
  config: LocalConfig;
  logger: PluginLogger;
  report(report: JobStateReport): void;
  /** A replica was replaced: persist the new pid and port. */
  changed(job: LocalJob): void;
  /** The job ended on its own: stop what is left, forget it, then send `report`. */
  finish(job: LocalJob, report: JobStateReport): Promise<void>;
}

interface Failure {
  text: string;
  last: string;
  exitCode?: number;
}

const times = (n: number): string => (n === 1 ? '1 time' : `${n} times`);

/** Watch a healthy service job: restart crashed replicas with backoff, fail after maxRestarts. */
export function monitorService(job: LocalJob, deps: MonitorDeps): void {
  for (const replica of job.replicas) {
    void superviseReplica(job, replica.index, deps).catch((error: unknown) =>
      deps.logger.error(
        { jobId: job.spec.jobId, replica: replica.index, err: String(error) },
        'replica supervisor failed',
      ),
    );
  }
}

async function superviseReplica(job: LocalJob, index: number, deps: MonitorDeps): Promise<void> {
  let crashes = 0;
  for (;;) {
    const replica = job.replicas[index]!;
    const result = await replica.proc.result;
    if (job.closed) return;
    replica.proc.kill('SIGKILL'); // whatever the replica left running in its group
    if (Date.now() - replica.startedAt >= STABLE_RESET_MS) crashes = 0;
    deps.logger.warn(
      { jobId: job.spec.jobId, replica: index, exitCode: result.exitCode, signal: result.signal },
      'replica exited',
    );
    const restarted = await restartUntilHealthy(job, index, describeExit(result), crashes, deps);
    if (restarted === undefined) return;
    crashes = restarted;
  }
}

/** Returns the crash count once a restart is healthy; undefined when the job closed or failed. */
async function restartUntilHealthy(
  job: LocalJob,
  index: number,
  first: Failure,
  crashes: number,
  deps: MonitorDeps,
): Promise<number | undefined> {
  const { jobId } = job.spec;
  const { maxRestarts, restartBackoffMs } = deps.config;
  let failure = first;
  for (;;) {
    crashes++;
    if (crashes > maxRestarts) {
      const reason = `replica ${index} crashed ${times(crashes)}; ${failure.last}`;
      await deps.finish(job, { jobId, state: 'FAILED', reason, exitCode: failure.exitCode });
      return undefined;
    }
    const delay = backoffDelay(restartBackoffMs, crashes);
    deps.report({
      jobId,
      state: 'RESTARTING',
      reason: `replica ${index} ${failure.text}; restart ${crashes} of ${maxRestarts} in ${delay} ms`,
    });
    await deps.sleep(delay, job.signal);
    if (job.closed) return undefined;
    const outcome = await relaunch(job, index, crashes, deps);
    if (outcome === 'closed') return undefined;
    if (outcome === 'healthy') {
      deps.report({ jobId, state: 'RUNNING', reason: `replica ${index} restarted`, replicas: job.info() });
      return crashes;
    }
    failure = outcome;
  }
}

async function relaunch(
  job: LocalJob,
  index: number,
  attempt: number,
  deps: MonitorDeps,
): Promise<'healthy' | 'closed' | Failure> {
  const { spec } = job;
  const marker = `--- spindle: restarting replica ${index} (restart ${attempt} of ${deps.config.maxRestarts}) ---\n`;
  await appendFile(replicaLogFile(spec.logDir, index), marker).catch(() => undefined);
  let replica: Replica;
  try {
    replica = await job.starting(startReplica(deps.exec, spec, index).then((r) => (job.replicas[index] = r)));
  } catch (error) {
    if (job.closed) return 'closed';
    const why = (error as Error).message;
    return { text: `could not be restarted (${why})`, last: `last could not be restarted (${why})` };
  }
  if (job.closed) {
    await stopReplica(replica, spec.graceMs);
    return 'closed';
  }
  deps.changed(job);
  const url = healthUrl(spec, replica);
  const { healthIntervalMs: intervalMs, healthTimeoutMs: timeoutMs } = deps.config;
  const outcome = await waitHealthy({
    url,
    intervalMs,
    timeoutMs,
    exited: replica.proc.result,
    signal: job.signal,
    sleep: deps.sleep,
  });
  if (outcome.kind === 'healthy') return 'healthy';
  if (outcome.kind === 'aborted' || job.closed) return 'closed';
  if (outcome.kind === 'exited') {
    replica.proc.kill('SIGKILL');
    return describeExit(outcome.result);
  }
  await stopReplica(replica, spec.graceMs);
  return {
    text: `did not answer ${url} within ${timeoutMs} ms (${outcome.last})`,
    last: `last: no healthy answer within ${timeoutMs} ms`,
  };
}

/** Watch a batch job: when every replica has exited, SUCCEEDED if all exited 0, else FAILED. */
export function monitorBatch(job: LocalJob, deps: MonitorDeps): void {
  void watchBatch(job, deps).catch((error: unknown) =>
    deps.logger.error({ jobId: job.spec.jobId, err: String(error) }, 'batch watcher failed'),
  );
}

async function watchBatch(job: LocalJob, deps: MonitorDeps): Promise<void> {
  const failures: { index: number; text: string; exitCode: number }[] = [];
  await Promise.all(
    job.replicas.map(async (replica) => {
      const exit = describeExit(await replica.proc.result);
      replica.proc.kill('SIGKILL');
      if (exit.exitCode !== 0) failures.push({ index: replica.index, ...exit });
    }),
  );
  if (job.closed) return;
  const { jobId } = job.spec;
  const failed = failures[0];
  const count = job.replicas.length;
  const report: JobStateReport = failed
    ? { jobId, state: 'FAILED', reason: `replica ${failed.index} ${failed.text}`, exitCode: failed.exitCode }
    : {
        jobId,
        state: 'SUCCEEDED',
        reason: count === 1 ? 'replica 0 exited with code 0' : `all ${count} replicas exited with code 0`,
        exitCode: 0,
      };
  await deps.finish(job, report);
}
