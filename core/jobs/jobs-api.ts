import type { Principal } from '../../plugin-sdk/hook-types.js';
import type { LogChunk } from '../../plugin-sdk/providers.js';
import type { JobEvent, JobRecord, QueueConfig } from '../state/job-record.js';
import type { JobFilter } from '../state/job-store.js';
import type { DeployInput } from './deploy-check.js';

/** A job as the API shows it (secrets are never part of it). */
export type JobView = JobRecord;

export interface JobDetailView extends JobView {
  events: JobEvent[];
}

/** What the HTTP API and the proxy need from the job side of the kernel. */
export interface JobsApi {
  deploy(input: DeployInput): Promise<JobView>;
  list(filter?: JobFilter): Promise<JobView[]>;
  /** The job `name` at `version` or alias (`latest`, `1.x`, `1.2.x`), without its history (hot path). */
  resolve(name: string, version: string, preferRunning?: boolean): Promise<JobView>;
  /** `version` may be an alias: `latest`, `1.x`, `1.2.x`. */
  get(name: string, version: string): Promise<JobDetailView>;
  delete(name: string, version: string, actor: string): Promise<JobView>;
  /** With `principal`, the job's volumes are checked again: a share revoked since is refused. */
  redeploy(name: string, version: string, actor: string, principal?: Principal): Promise<JobView>;
  logs(name: string, version: string, offset: number, limit?: number): Promise<LogChunk>;
  /** Pending jobs of every queue (or one), oldest first, each with why it waits. */
  pending(queue?: string): Promise<JobView[]>;
  queues(): Promise<QueueConfig[]>;
  putQueue(queue: QueueConfig, actor: string): Promise<QueueConfig>;
}
