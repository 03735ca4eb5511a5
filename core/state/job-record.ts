import type { JobManifestData } from '../../plugin-sdk/hook-types.js';
import type { ReplicaInfo } from '../../plugin-sdk/providers.js';

/**
 * Job states (DESIGN.md §6). PENDING → SCHEDULED → PREPARING → RUNNING → TERMINATING →
 * TERMINATED, plus FAILED, CANCELLED, SUCCEEDED (batch) and LOST (its target lost track of it).
 */
export const JOB_STATES = [
  'PENDING',
  'SCHEDULED',
  'PREPARING',
  'RUNNING',
  'TERMINATING',
  'TERMINATED',
  'FAILED',
  'CANCELLED',
  'SUCCEEDED',
  'LOST',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States that hold a reservation on an agent. */
export const ALLOCATED_STATES: readonly JobState[] = ['SCHEDULED', 'PREPARING', 'RUNNING', 'TERMINATING'];
/** States a job never leaves (but by delete or redeploy). */
export const FINAL_STATES: readonly JobState[] = ['TERMINATED', 'FAILED', 'CANCELLED', 'SUCCEEDED', 'LOST'];

export interface JobRuntime {
  replicas: ReplicaInfo[];
  /** The kernel replica that started the job (with several replicas on one database). */
  boundBy?: string;
}

export interface JobRecord {
  id: string;
  /** Submission order within the kernel; with `submittedAt`, the FIFO order. */
  seq: number;
  name: string;
  version: string;
  owner: string;
  queue: string;
  /** Infrastructure target name. */
  target: string;
  /** As written in the manifest, e.g. `python3:1.x`. */
  jobtype: string;
  /** The exact job type chosen at deploy, e.g. `python3:1.2.0`. */
  jobtypeResolved: string;
  kind: 'service' | 'batch';
  replicas: number;
  /** Per replica. */
  resources: Record<string, number>;
  manifest: JobManifestData;
  state: JobState;
  /** Why the job is in its state (or why it waits). */
  reason: string;
  attempts: number;
  agentId: string | null;
  runtime: JobRuntime;
  /** Something the owner should know that is not a state, e.g. its job type version was uninstalled. */
  notice: string | null;
  submittedAt: string;
  updatedAt: string;
}

export interface JobEvent {
  jobId: string;
  at: string;
  from: JobState | null;
  to: JobState;
  reason: string;
}

export interface QueueConfig {
  name: string;
  /** The registered scheduler this queue uses; an unknown name is an error, never a fallback. */
  scheduler: string;
  /** Admission limits per owner (optional). */
  maxJobsPerOwner?: number;
  quotaPerOwner?: Record<string, number>;
}

/** The total a job reserves: its per-replica resources times its replicas. */
export function totalResources(job: Pick<JobRecord, 'resources' | 'replicas'>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const [slot, amount] of Object.entries(job.resources)) total[slot] = amount * job.replicas;
  return total;
}
