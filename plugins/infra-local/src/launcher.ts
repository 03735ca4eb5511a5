import { mkdir } from 'node:fs/promises';
import type { DeployRequest, ExecResult, PluginContext, ReplicaInfo, TrackedProcess } from 'spindle/plugin-sdk';
import { mountEnv, replicaLogFile } from 'spindle/plugin-sdk/targets';
import type { LocalConfig } from './config.js';
import { freePort } from './free-port.js';
import { processStartTime } from './process-info.js';

/** Everything needed to (re)start a replica of one job. Holds env values: never log it. */
export interface LaunchSpec {
  jobId: string;
  kind: 'service' | 'batch';
  replicaCount: number;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  logDir: string;
  healthPath: string;
  graceMs: number;
}

export interface Replica {
  index: number;
  port: number;
  address: string;
  proc: TrackedProcess;
  startTime?: string;
  startedAt: number;
}

export type Exec = PluginContext['exec'];

export function launchSpec(request: DeployRequest, config: LocalConfig): LaunchSpec {
  const { job, run } = request;
  if (!Array.isArray(run.command) || run.command.length === 0 || !run.command[0]) {
    throw new Error(`job ${job.id}: the job type gave an empty command`);
  }
  const env: Record<string, string> = {};
  if (process.env.PATH) env.PATH = process.env.PATH;
  env.HOME = request.workDir;
  env.LANG = 'C.UTF-8';
  // The mount variables last: they say where the volumes are, which a job's own env must not change.
  for (const source of [request.env, run.env, mountEnv(request.mounts, 'host')]) {
    for (const [key, value] of Object.entries(source ?? {})) if (typeof value === 'string') env[key] = value;
  }
  const healthPath = run.healthPath?.startsWith('/') ? run.healthPath : `/${run.healthPath ?? ''}`;
  return {
    jobId: job.id,
    kind: job.kind === 'batch' ? 'batch' : 'service',
    replicaCount: Math.max(1, Math.floor(job.replicas ?? 1)),
    command: [...run.command],
    cwd: run.cwd ?? request.sourceDir,
    env,
    logDir: request.logDir,
    healthPath,
    graceMs: config.stopGraceMs,
  };
}

/** Start replica `index` on a fresh loopback port; secrets travel in the environment only. */
export async function startReplica(exec: Exec, spec: LaunchSpec, index: number): Promise<Replica> {
  await mkdir(spec.logDir, { recursive: true });
  const port = await freePort();
  const [file, ...args] = spec.command as [string, ...string[]];
  const proc = exec(file, args, {
    cwd: spec.cwd,
    env: { ...spec.env, PORT: String(port), SPINDLE_REPLICA: String(index) },
    logFile: replicaLogFile(spec.logDir, index),
    killGraceMs: spec.graceMs,
  });
  return {
    index,
    port,
    address: `http://127.0.0.1:${port}`,
    proc,
    startTime: processStartTime(proc.pid),
    startedAt: Date.now(),
  };
}

/**
 * SIGTERM to the replica's group, SIGKILL after `graceMs`, then SIGKILL once more for children that
 * outlived the leader. Done by hand rather than `proc.stop()` so a per-call grace can differ from
 * the one fixed at start.
 */
export async function stopReplica(replica: Replica, graceMs: number): Promise<void> {
  const { proc } = replica;
  proc.kill('SIGTERM');
  // A plain timer on purpose: it must fire even while the plugin unloads, and it is cleared as soon
  // as the process exits.
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  try {
    await proc.result;
  } finally {
    clearTimeout(timer);
    proc.kill('SIGKILL');
  }
}

export interface ExitDescription {
  /** `exited with code 1`, `was killed by SIGSEGV`, `could not start (…)`. */
  text: string;
  /** For the final reason: `last exit code 1`. */
  last: string;
  exitCode: number;
}

export function describeExit(result: ExecResult): ExitDescription {
  if (result.signal)
    return {
      text: `was killed by ${result.signal}`,
      last: `last killed by ${result.signal}`,
      exitCode: result.exitCode,
    };
  if (result.exitCode === -1 && result.stderr) {
    const why = result.stderr.split('\n')[0]!.slice(0, 200);
    return { text: `could not start (${why})`, last: `last could not start (${why})`, exitCode: -1 };
  }
  return {
    text: `exited with code ${result.exitCode}`,
    last: `last exit code ${result.exitCode}`,
    exitCode: result.exitCode,
  };
}

export function replicaInfo(jobId: string, replica: Replica): ReplicaInfo {
  return { id: `${jobId}-${replica.index}`, address: replica.address, pid: replica.proc.pid };
}

export function healthUrl(spec: LaunchSpec, replica: Replica): string {
  return `${replica.address}${spec.healthPath}`;
}
