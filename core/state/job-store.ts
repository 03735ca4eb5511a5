import type { JobEvent, JobRecord, JobState, QueueConfig } from './job-record.js';

export interface JobFilter {
  name?: string;
  version?: string;
  state?: JobState;
  queue?: string;
  owner?: string;
}

/** A state change, applied only while the job is in one of `from`. */
export interface Transition {
  from: readonly JobState[];
  to: JobState;
  reason: string;
  patch?: Partial<Pick<JobRecord, 'agentId' | 'runtime' | 'notice' | 'attempts' | 'jobtypeResolved'>>;
}

/** The scheduler's decision for one pass, committed in one transaction. */
export interface PassOutcome {
  placements: { jobId: string; agentId: string }[];
  waiting: { jobId: string; reason: string }[];
}

/** Jobs, their secrets, their history and queues; one async interface for SQLite and PostgreSQL. */
export interface JobStore {
  /** Bumped by every write through this store: readers may cache what they read until it moves. */
  readonly generation: number;
  insertJob(job: Omit<JobRecord, 'seq'>, secrets: Record<string, string>): Promise<JobRecord>;
  getJob(id: string): Promise<JobRecord | undefined>;
  findJob(name: string, version: string): Promise<JobRecord | undefined>;
  /** Ordered by submission. */
  listJobs(filter?: JobFilter): Promise<JobRecord[]>;
  /** The queue's PENDING jobs, oldest first. */
  pendingJobs(queue: string): Promise<JobRecord[]>;
  /** Jobs holding a reservation (SCHEDULED … TERMINATING). */
  allocatedJobs(): Promise<JobRecord[]>;
  /** Apply a transition; undefined when the job was not in one of `from` (someone else moved it). */
  transition(id: string, transition: Transition): Promise<JobRecord | undefined>;
  /**
   * Reserve placements (PENDING → SCHEDULED) and record why the rest wait, in one transaction.
   * Returns the ids actually reserved (a job no longer PENDING is skipped).
   */
  commitPass(outcome: PassOutcome, at: string): Promise<string[]>;
  deleteJob(id: string): Promise<void>;
  /** Set (or clear, with null) the notice shown with a job, without changing its state. */
  setNotice(id: string, notice: string | null): Promise<void>;
  getSecrets(id: string): Promise<Record<string, string>>;
  listEvents(id: string): Promise<JobEvent[]>;
  getQueue(name: string): Promise<QueueConfig | undefined>;
  putQueue(queue: QueueConfig): Promise<void>;
  listQueues(): Promise<QueueConfig[]>;
}
