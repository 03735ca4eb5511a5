/** Text renderings of jobs for `spindle jobs`, `spindle jobs get` and `spindle queue`. */
import type { JobDetailView, JobView } from '../jobs/jobs-api.js';
import { renderFields, renderTable } from './format.js';
import { jobPath } from './job-follow.js';

/** `45s`, `12m`, `3h`, `2d`: how long ago `iso` was. */
export function age(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 120 * 60) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

function jobtype(job: JobView): string {
  return job.jobtypeResolved || job.jobtype;
}

function resources(job: JobView): string {
  return Object.entries(job.resources)
    .map(([slot, amount]) => `${slot}=${amount}`)
    .join(' ');
}

/** A job that runs or has succeeded needs no reason; any other state is best read with why it is so. */
function ageAndReason(job: JobView, now: number): string {
  const since = age(job.submittedAt, now);
  return job.state === 'RUNNING' || job.state === 'SUCCEEDED' || job.reason === '' ? since : `${since} ${job.reason}`;
}

export function renderJobList(jobs: JobView[], now: number = Date.now()): string {
  if (jobs.length === 0) return 'No jobs deployed. Deploy one with `spindle deploy <dir>`.\n';
  const rows = jobs.map((j) => [
    j.name,
    j.version,
    j.state,
    j.owner,
    j.queue,
    j.target,
    jobtype(j),
    ageAndReason(j, now),
  ]);
  return renderTable(['NAME', 'VERSION', 'STATE', 'OWNER', 'QUEUE', 'TARGET', 'JOBTYPE', 'AGE/REASON'], rows);
}

export function renderJob(job: JobDetailView): string {
  let text = renderFields([
    ['name', job.name],
    ['version', job.version],
    ['state', job.state],
    ['reason', job.reason],
    ['kind', job.kind],
    ['owner', job.owner],
    ['queue', job.queue],
    ['target', job.target],
    [
      'jobtype',
      job.jobtypeResolved && job.jobtypeResolved !== job.jobtype
        ? `${job.jobtypeResolved} (from ${job.jobtype})`
        : job.jobtype,
    ],
    ['replicas', job.replicas],
    ['resources', `${resources(job) || '-'} (per replica)`],
    ['agent', job.agentId],
    ['attempts', job.attempts],
    ['endpoint', job.kind === 'service' ? jobPath(job) : null],
    ['submitted', job.submittedAt],
    ['updated', job.updatedAt],
    ['id', job.id],
  ]);
  if (job.notice) text += `\nNotice: ${job.notice}\n`;
  const replicas = job.runtime?.replicas ?? [];
  if (replicas.length > 0)
    text += `\nReplicas:\n${renderTable(
      ['ID', 'ADDRESS'],
      replicas.map((r) => [r.id, r.address]),
    )}`;
  const events = job.events ?? [];
  if (events.length > 0) {
    text += `\nEvents:\n${renderTable(
      ['AT', 'FROM', 'TO', 'REASON'],
      events.map((e) => [e.at, e.from, e.to, e.reason]),
    )}`;
  }
  return text;
}

export function renderQueue(jobs: JobView[]): string {
  if (jobs.length === 0) return 'No jobs waiting.\n';
  const rows = jobs.map((j) => [j.name, j.version, j.owner, j.queue, j.submittedAt, j.reason]);
  return renderTable(['NAME', 'VERSION', 'OWNER', 'QUEUE', 'WAITING-SINCE', 'REASON'], rows);
}
