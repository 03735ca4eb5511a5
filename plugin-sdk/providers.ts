/**
 * Providers: what a plugin registers into a kernel registry, keyed by name. Registries refuse a
 * second registration of a taken key (`KRN_ERR_DUPLICATE`), except the same plugin's new version
 * during a swap. Every method is async and takes and returns plain JSON data.
 *
 * The kernel core issue fixes the registries and their keys; the jobs, storage and scale-out work
 * fills in what the kernel calls. Methods marked optional may be left out.
 */
import type { AgentInfo, JobManifestData } from './hook-types.js';

/** A pending job as a scheduler sees it. */
export interface PendingJob {
  id: string;
  owner: string;
  submittedAt: string;
  resources: Record<string, number>;
  /** How many scheduling passes found no place for this job. */
  attempts: number;
}

export interface SchedulingSnapshot {
  queue: string;
  pending: PendingJob[];
  agents: AgentInfo[];
}

/** One decision: which job goes to which agent. */
export interface Placement {
  jobId: string;
  agentId: string;
}

/** A scheduler orders pending jobs and picks agents; registered per queue by name. */
export interface SchedulerProvider {
  /** Decide placements for this snapshot; jobs left out stay pending. */
  schedule(snapshot: SchedulingSnapshot): Promise<Placement[]>;
}

/** A job type `name:version` (e.g. `python3:1.2.0`); several versions live side by side. */
export interface JobTypeProvider {
  name: string;
  version: string;
  /** Prepare what the target needs to run the job (a venv, an image context, …). */
  prepare?(job: JobManifestData & { id: string; workDir: string }): Promise<Record<string, unknown>>;
}

/** An infrastructure target: where jobs run (local processes, Docker, Kubernetes). */
export interface InfrastructureProvider {
  /** Agents and their capacity as named slots. */
  agents(): Promise<AgentInfo[]>;
  deploy?(job: Record<string, unknown>): Promise<Record<string, unknown>>;
  stop?(jobId: string): Promise<void>;
  /** Jobs this target runs now, for re-attaching after a kernel restart. */
  list?(): Promise<Record<string, unknown>[]>;
}

/** A storage backend offering volumes, addressed `backend:volume`. */
export interface StorageProvider {
  createVolume?(name: string, options: Record<string, unknown>): Promise<Record<string, unknown>>;
  listVolumes(): Promise<Record<string, unknown>[]>;
  deleteVolume?(name: string): Promise<void>;
  mount?(name: string, options: { readOnly: boolean }): Promise<{ hostPath: string }>;
}
