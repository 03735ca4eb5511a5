/** Rows of the job tables to records, shared by both backends so they return identical records. */
import type { JobEvent, JobRecord, JobState, QueueConfig } from './job-record.js';
import type { Row } from './state-rows.js';

export const JOB_COLUMNS = `id, seq, name, version, owner, queue, target, jobtype, jobtype_resolved, kind, replicas, resources_json,
  manifest_json, state, reason, attempts, agent_id, runtime_json, notice, submitted_at, updated_at`;

/** The values of a job for `JOB_COLUMNS` minus `seq`, in that order. */
export function jobValues(job: Omit<JobRecord, 'seq'>): unknown[] {
  return [
    job.id,
    job.name,
    job.version,
    job.owner,
    job.queue,
    job.target,
    job.jobtype,
    job.jobtypeResolved,
    job.kind,
    job.replicas,
    JSON.stringify(job.resources),
    JSON.stringify(job.manifest),
    job.state,
    job.reason,
    job.attempts,
    job.agentId,
    JSON.stringify(job.runtime),
    job.notice,
    job.submittedAt,
    job.updatedAt,
  ];
}

export function toJob(row: Row): JobRecord {
  return {
    id: row.id as string,
    seq: row.seq as number,
    name: row.name as string,
    version: row.version as string,
    owner: row.owner as string,
    queue: row.queue as string,
    target: row.target as string,
    jobtype: row.jobtype as string,
    jobtypeResolved: row.jobtype_resolved as string,
    kind: row.kind as JobRecord['kind'],
    replicas: row.replicas as number,
    resources: JSON.parse(row.resources_json as string) as Record<string, number>,
    manifest: JSON.parse(row.manifest_json as string) as JobRecord['manifest'],
    state: row.state as JobState,
    reason: row.reason as string,
    attempts: row.attempts as number,
    agentId: (row.agent_id as string | null) ?? null,
    runtime: JSON.parse(row.runtime_json as string) as JobRecord['runtime'],
    notice: (row.notice as string | null) ?? null,
    submittedAt: row.submitted_at as string,
    updatedAt: row.updated_at as string,
  };
}

export function toEvent(r: Row): JobEvent {
  return {
    jobId: r.job_id as string,
    at: r.at as string,
    from: (r.from_state as JobState | null) ?? null,
    to: r.to_state as JobState,
    reason: r.reason as string,
  };
}

export function toQueue(row: Row): QueueConfig {
  return {
    ...(JSON.parse(row.config_json as string) as object),
    name: row.name as string,
    scheduler: row.scheduler as string,
  };
}

/** A queue as its row values: name, scheduler, the rest as JSON. */
export function queueValues(queue: QueueConfig): [string, string, string] {
  const { name, scheduler, ...config } = queue;
  return [name, scheduler, JSON.stringify(config)];
}
