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
}

export interface ReplicaInfo {
  id: string;
  /** Base URL the kernel proxies to, e.g. `http://127.0.0.1:40123`. */
  address: string;
  pid?: number;
}

export interface DeployResult {
  replicas: ReplicaInfo[];
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
// Storage (volumes; the storage issue fills this in)
// ---------------------------------------------------------------------------------------------

/** A storage backend offering volumes, addressed `backend:volume`. */
export interface StorageProvider {
  createVolume?(name: string, options: Record<string, unknown>): Promise<Record<string, unknown>>;
  listVolumes(): Promise<Record<string, unknown>[]>;
  deleteVolume?(name: string): Promise<void>;
  mount?(name: string, options: { readOnly: boolean }): Promise<{ hostPath: string }>;
}
