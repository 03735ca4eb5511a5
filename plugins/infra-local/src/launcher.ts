import { chown, mkdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { DeployRequest, ExecResult, PluginContext, ReplicaInfo, TrackedProcess } from 'spindle/plugin-sdk';
import {
  cgroupCommand,
  type LimitReport,
  limitedCommand,
  type SandboxBind,
  sandboxCommand,
} from 'spindle/plugin-sdk/sandbox';
import { mountEnv, replicaLogFile, unixSocketAddress } from 'spindle/plugin-sdk/targets';
import type { LocalConfig } from './config.js';
import { freePort } from './free-port.js';
import { processStartTime } from './process-info.js';

/** How a confined replica is run (see confinement.ts); absent: a plain process on a loopback port. */
export interface SandboxPlan {
  readOnly: SandboxBind[];
  writable: SandboxBind[];
  hide: string[];
  network: 'none' | 'host';
  /** The uid/gid the job runs as, when the kernel is root. */
  runAs?: { uid: number; gid: number };
  /** assets/sandbox-init.cjs of this plugin. */
  initScript: string;
  /** Where the replicas' sockets live: `<dir>/<index>/http.sock`. */
  socketDir: string;
  bwrap: string;
  /** How the limits are enforced: cgroups v1 (as root, where mounted), else prlimit. */
  limitsBy: 'cgroup' | 'prlimit';
}

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
  sandbox?: SandboxPlan;
  /** The limits asked for, and which are enforced. */
  limits: LimitReport[];
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

/** Inside a sandbox the network is the job's own, so every replica listens on the same port. */
export const SANDBOX_PORT = 8080;
const INIT_INSIDE = '/run/spindle-init.cjs';
const SOCKET_DIR_INSIDE = '/run/spindle';
/** Unix socket paths longer than this do not fit `sockaddr_un`. */
const MAX_SOCKET_PATH = 107;

export function launchSpec(request: DeployRequest, config: LocalConfig, sandbox?: SandboxPlan): LaunchSpec {
  const { job, run } = request;
  if (!Array.isArray(run.command) || run.command.length === 0 || !run.command[0]) {
    throw new Error(`job ${job.id}: the job type gave an empty command`);
  }
  const env: Record<string, string> = {};
  if (process.env.PATH) env.PATH = process.env.PATH;
  env.HOME = request.workDir;
  env.LANG = 'C.UTF-8';
  // The mount variables last: they say where the volumes are, which a job's own env must not change.
  // Confined, a volume is mounted at its mountPath, as in a container.
  for (const source of [request.env, run.env, mountEnv(request.mounts, sandbox ? 'mount' : 'host')]) {
    for (const [key, value] of Object.entries(source ?? {})) if (typeof value === 'string') env[key] = value;
  }
  const healthPath = run.healthPath?.startsWith('/') ? run.healthPath : `/${run.healthPath ?? ''}`;
  const asked = {
    memoryMb: job.resources.memory,
    processes: job.limits?.processes ?? config.processes,
    cpu: job.resources.cpu,
  };
  const limits =
    sandbox?.limitsBy === 'cgroup' ? cgroupCommand('probe', asked, []).report : limitedCommand([], asked).report;
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
    ...(sandbox ? { sandbox } : {}),
    limits: sandbox
      ? limits
      : limits.map((l) => ({ ...l, enforced: false, how: 'not enforced: the job is not confined' })),
  };
}

/** The argv and address of replica `index`: confined behind a Unix socket, or on a free loopback port. */
async function replicaCommand(
  spec: LaunchSpec,
  index: number,
): Promise<{ file: string; args: string[]; port: number; address: string; cgroups?: string[] }> {
  const { sandbox } = spec;
  if (!sandbox) {
    const port = await freePort();
    const [file, ...args] = spec.command as [string, ...string[]];
    return { file, args, port, address: `http://127.0.0.1:${port}` };
  }
  const dir = path.join(sandbox.socketDir, String(index));
  const socket = path.join(dir, 'http.sock');
  if (socket.length > MAX_SOCKET_PATH)
    throw new Error(
      `job ${spec.jobId}: its socket path ${socket} is ${socket.length} bytes, more than Unix sockets allow (${MAX_SOCKET_PATH}); use a shorter SPINDLE_HOME`,
    );
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // The job's user makes its socket there.
  if (sandbox.runAs) await chown(dir, sandbox.runAs.uid, sandbox.runAs.gid);
  const limits = Object.fromEntries(spec.limits.filter((l) => l.enforced).map((l) => [l.limit, l.value]));
  // prlimit binds the job only; a cgroup holds the whole sandbox, entered before bwrap starts.
  const job = sandbox.limitsBy === 'prlimit' ? limitedCommand(spec.command, limits).command : spec.command;
  const serve = spec.kind === 'service' ? `${SOCKET_DIR_INSIDE}/http.sock` : '-';
  const confined = sandboxCommand([process.execPath, INIT_INSIDE, serve, String(SANDBOX_PORT), '--', ...job], {
    cwd: spec.cwd,
    network: sandbox.network,
    hide: sandbox.hide,
    readOnly: [...sandbox.readOnly, { host: sandbox.initScript, at: INIT_INSIDE }],
    writable: [...sandbox.writable, { host: dir, at: SOCKET_DIR_INSIDE }],
    ...(sandbox.runAs ? { runAs: sandbox.runAs } : {}),
    bwrap: sandbox.bwrap,
  });
  const grouped =
    sandbox.limitsBy === 'cgroup'
      ? cgroupCommand(`${spec.jobId}-${index}`, limits, [confined.file, ...confined.args])
      : { command: [confined.file, ...confined.args], dirs: [] };
  const [file, ...args] = grouped.command as [string, ...string[]];
  return { file, args, port: SANDBOX_PORT, address: unixSocketAddress(socket), cgroups: grouped.dirs };
}

/** Start replica `index`; secrets travel in the environment only. */
export async function startReplica(exec: Exec, spec: LaunchSpec, index: number): Promise<Replica> {
  await mkdir(spec.logDir, { recursive: true });
  const { file, args, port, address, cgroups } = await replicaCommand(spec, index);
  const proc = exec(file, args, {
    cwd: spec.sandbox ? '/' : spec.cwd,
    env: { ...spec.env, PORT: String(port), SPINDLE_REPLICA: String(index) },
    logFile: replicaLogFile(spec.logDir, index),
    killGraceMs: spec.graceMs,
  });
  if (cgroups?.length) void proc.result.then(() => removeGroups(cgroups));
  return {
    index,
    port,
    address,
    proc,
    startTime: processStartTime(proc.pid),
    startedAt: Date.now(),
  };
}

/** A replica's cgroups, once its processes are gone (the last of them may take a moment to leave). */
async function removeGroups(dirs: string[]): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const left: string[] = [];
    for (const dir of dirs)
      await rmdir(dir).catch((error: NodeJS.ErrnoException) => error.code !== 'ENOENT' && left.push(dir));
    if (left.length === 0) return;
    dirs = left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
