/**
 * Providers: what a plugin registers into a kernel registry, keyed by name. Registries refuse a
 * second registration of a taken key (`KRN_ERR_DUPLICATE`), except the same plugin's new version
 * during a swap. Every method is async (unless marked otherwise) and takes and returns plain JSON
 * data, so the contract also holds across a process boundary.
 */
import type { AgentInfo, JobManifestData } from './hook-types.js';

// ---------------------------------------------------------------------------------------------
// Scheduling
// ---------------------------------------------------------------------------------------------

/** A pending job as a scheduler sees it. */
export interface PendingJob {
  id: string;
  owner: string;
  /** ISO time; with `id`, the deterministic tie-break. */
  submittedAt: string;
  /** Requested slots per replica × replicas, e.g. `{cpu: 1, memory: 512}`. */
  resources: Record<string, number>;
  /** How many scheduling passes found no place for this job so far. */
  attempts: number;
}

/**
 * What a scheduler decides from: the queue's pending jobs (oldest first), the agents with their
 * capacity and current allocation, and each owner's current allocation (for fairness).
 */
export interface SchedulingSnapshot {
  queue: string;
  pending: PendingJob[];
  agents: AgentInfo[];
  /** Owner → slot → amount allocated now (running and reserved jobs of this queue's cluster). */
  allocatedByOwner: Record<string, Record<string, number>>;
}

/** One decision: this job goes to this agent. */
export interface Placement {
  jobId: string;
  agentId: string;
}

export interface ScheduleResult {
  /** In decision order. The kernel re-checks capacity and reserves them in one transaction. */
  placements: Placement[];
  /** Why each job left pending waits, e.g. `no agent has 4 gpu free (most free: 2)`. */
  waiting: { jobId: string; reason: string }[];
}

/**
 * A scheduler orders pending jobs and picks an agent for each, from a snapshot. It must not
 * assume its previous decisions were applied: each call gets a fresh snapshot. Registered by
 * name; a queue names the scheduler it uses (an unknown name is an error, never a fallback).
 */
export interface SchedulerProvider {
  schedule(snapshot: SchedulingSnapshot): Promise<ScheduleResult>;
}

// ---------------------------------------------------------------------------------------------
// Job types
// ---------------------------------------------------------------------------------------------

/** A job as the kernel hands it to job types and infrastructure targets. */
export interface JobSpec extends JobManifestData {
  id: string;
  owner: string;
  kind: 'service' | 'batch';
  replicas: number;
  resources: Record<string, number>;
  /** The exact job type resolved at deploy, e.g. `python3:1.2.0`. */
  jobtypeResolved: string;
}

export interface PrepareRequest {
  job: JobSpec;
  /** The job's files as deployed (read-only by convention). */
  sourceDir: string;
  /** A per-job directory the job type may fill (a venv, generated files). */
  workDir: string;
  kernelVersion: string;
}

/** How to run one replica of the job, as a process or (later) a container. */
export interface RunSpec {
  /** argv of the process; the target adds nothing but env. */
  command: string[];
  /** Working directory (default: the job's source dir). */
  cwd?: string;
  env: Record<string, string>;
  /** HTTP paths the target probes: the job is RUNNING only once `healthPath` answers 2xx. */
  healthPath: string;
  livePath?: string;
  readyPath?: string;
  /** For container targets: a Dockerfile (text) and the context dir to build the image from. */
  image?: { dockerfile: string; contextDir: string };
  /**
   * Host paths the command reads besides `sourceDir` and `workDir`: a job type's own files (a
   * wrapper in its assets), an interpreter outside the system folders. A target that confines
   * the job (infra-local) shows it these, read-only, and nothing else of the host.
   */
  readPaths?: string[];
}

/**
 * A job type `name:version` (e.g. `python3:1.2.0`); several versions live side by side.
 * `prepare` runs when a job is bound to an agent (state PREPARING); a throw fails the job with
 * the message.
 */
export interface JobTypeProvider {
  name: string;
  version: string;
  prepare(request: PrepareRequest): Promise<RunSpec>;
}

// ---------------------------------------------------------------------------------------------
// Infrastructure targets
// ---------------------------------------------------------------------------------------------

export interface DeployRequest {
  job: JobSpec;
  run: RunSpec;
  agentId: string;
  /** Plain env plus secret env, merged. Never log it; pass it only as the process environment. */
  env: Record<string, string>;
  sourceDir: string;
  workDir: string;
  /** Where the target writes the job's logs (one file per replica is fine). */
  logDir: string;
  /**
   * The job's volumes (manifest `volumes`), resolved by their storage backends. A container
   * target bind-mounts each `hostPath` at `mountPath` (read-only when asked); a process target
   * that cannot mount says in its docs how the job finds them.
   */
  mounts: VolumeMount[];
}

export interface ReplicaInfo {
  id: string;
  /**
   * Base URL the kernel proxies to: `http://127.0.0.1:40123`, or `http+unix://<socket path,
   * percent-encoded>` for a replica served on a Unix socket (`unixSocketAddress` in
   * `spindle/plugin-sdk/targets`).
   */
  address: string;
  pid?: number;
}

export interface DeployResult {
  replicas: ReplicaInfo[];
  /**
   * What the job's owner should know about how it runs, shown with the job (`spindle jobs get`):
   * that it is not confined, or that a limit it asked for is not enforced here.
   */
  notice?: string;
}

/** What a target knows of a job it runs, for re-attaching after a kernel restart. */
export interface RunningJob {
  jobId: string;
  replicas: ReplicaInfo[];
}

export interface LogChunk {
  text: string;
  /** Pass back as `offset` to read on from here. */
  offset: number;
}

/**
 * An infrastructure target: where jobs run (local processes, Docker, Kubernetes). `deploy`
 * resolves once every replica answers its health check (or rejects with why it did not); after
 * that the target reports what happens to the job (exits, crashes, restarts) through
 * `ctx.infrastructure.reportJobState`.
 */
export interface InfrastructureProvider {
  /** Agents and their capacity as named slots (`cpu`, `memory` in MiB, `gpu`, …). */
  agents(): Promise<AgentInfo[]>;
  deploy(request: DeployRequest): Promise<DeployResult>;
  /** Stop every replica: SIGTERM (or the engine's equivalent), then kill after `graceMs`. */
  stop(jobId: string, options: { graceMs: number }): Promise<void>;
  /** Jobs this target runs now (re-attached after a kernel restart). */
  list(): Promise<RunningJob[]>;
  /** Re-attach a job found by `list` (resume monitoring); false if it cannot. */
  attach?(job: JobSpec, replicas: ReplicaInfo[]): Promise<boolean>;
  /** Read the job's log from `offset` (0 = start; negative = the last -offset bytes). */
  logs(jobId: string, options: { offset: number; limit?: number }): Promise<LogChunk>;
}

/** A state change a target reports for a job it runs. */
export interface JobStateReport {
  jobId: string;
  state: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'RESTARTING' | 'LOST';
  reason: string;
  exitCode?: number;
  replicas?: ReplicaInfo[];
}

// ---------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------

/** A volume as its backend reports it. */
export interface VolumeInfo {
  /** The name inside the backend (the kernel addresses it `backend:name`). */
  name: string;
  /** Bytes the volume's files take now. */
  usedBytes: number;
  /** The most `usedBytes` may grow to; null means no limit. */
  quotaBytes: number | null;
  /** ISO time. */
  createdAt: string;
}

/** One entry of a volume directory. Paths are relative to the volume root, `/`-separated. */
export interface VolumeFile {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  size: number;
  /** ISO time. */
  modifiedAt: string;
}

/** How a target makes a volume visible to a job: a directory on the agent's host. */
export interface VolumeMountSource {
  hostPath: string;
}

/**
 * A storage backend (Backend.AI's storage backends behind one volume interface), registered by
 * name with `ctx.storage.registerBackend`; volumes are addressed `backend:volume`.
 *
 * Paths are relative to the volume root (`a/b.txt`; a leading `/` is allowed and ignored). A
 * backend must confine every file operation to the volume: a path with a `..` segment, or one that
 * reaches outside through a symlink, is refused with `VolumeError('invalid-path')`. Refusals the
 * caller should see throw `VolumeError` with its `kind` (the kernel turns each kind into a
 * `KRN_ERR_VOLUME_*` code); any other error is reported as the backend failing.
 *
 * File contents never cross the contract as data: uploads arrive as a file the kernel staged
 * (`sourceFile`, which the backend may move), downloads leave as a file the kernel names
 * (`targetFile`, which the kernel streams to the caller and then deletes). That keeps every call
 * JSON-only, and large files out of memory.
 *
 * Ownership and sharing are the kernel's: it stores who owns each volume and with whom it is
 * shared, and checks that before calling the backend.
 */
export interface StorageProvider {
  /** Throws `VolumeError('exists')` if the name is taken. */
  createVolume(name: string, options: { quotaBytes: number | null }): Promise<VolumeInfo>;
  listVolumes(): Promise<VolumeInfo[]>;
  /** One volume with its usage; `VolumeError('not-found')` if there is none. */
  getVolume(name: string): Promise<VolumeInfo>;
  /** Removes the volume and every file in it. */
  deleteVolume(name: string): Promise<void>;
  /** A new volume `target` with a copy of `source`'s files (symlinks copied as links, not followed). */
  cloneVolume(source: string, target: string, options: { quotaBytes: number | null }): Promise<VolumeInfo>;
  /** A lower quota than the usage is allowed: it blocks further writes, it deletes nothing. */
  setQuota(name: string, quotaBytes: number | null): Promise<VolumeInfo>;
  /** The entries of one directory (not recursive), sorted by path. */
  listFiles(volume: string, path: string): Promise<VolumeFile[]>;
  /** Creates the directory and its missing parents. */
  mkdir(volume: string, path: string): Promise<void>;
  /**
   * Stores the file at `sourceFile` as `path` (parents created). Refuses with
   * `VolumeError('quota-exceeded')` when the volume would pass its quota, with
   * `VolumeError('file-exists')` when `path` exists and `overwrite` is not set.
   */
  putFile(volume: string, path: string, options: { sourceFile: string; overwrite: boolean }): Promise<VolumeFile>;
  /** Copies the file `path` to `targetFile`; `VolumeError('file-not-found')` if it is not a file. */
  getFile(volume: string, path: string, options: { targetFile: string }): Promise<VolumeFile>;
  /** Renames or moves inside the volume; `VolumeError('file-exists')` if `to` exists. */
  rename(volume: string, from: string, to: string): Promise<void>;
  /** Deletes a file or, with `recursive`, a directory and its contents (`VolumeError('not-empty')` otherwise). */
  deleteFile(volume: string, path: string, options: { recursive: boolean }): Promise<void>;
  /**
   * Where a target finds the volume to mount into job `jobId` (a host path for local and container
   * targets). `readOnly` is the job's request; enforcing it is the target's part.
   */
  mount(volume: string, options: { readOnly: boolean; jobId: string }): Promise<VolumeMountSource>;
}

/** A volume mounted into a job, as a target receives it in `DeployRequest.mounts`. */
export interface VolumeMount extends VolumeMountSource {
  /** `backend:volume`. */
  volume: string;
  /** Absolute path inside each replica, from the job manifest. */
  mountPath: string;
  readOnly: boolean;
}
