/** Follows a job from PENDING to where it settles, printing each phase once, as `deploy` and `redeploy` do. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobDetailView, JobView } from '../jobs/jobs-api.js';
import type { JobEvent, JobState } from '../state/job-record.js';
import type { ApiClient } from './api-client.js';
import { CliError } from './io.js';

export const POLL_INTERVAL_MS = 300;

export interface FollowOptions {
  timeoutMs: number;
  intervalMs?: number;
  say: (line: string) => void;
}

export function jobPath(job: Pick<JobView, 'name' | 'version'>): string {
  return `/pub/job/${job.name}/${job.version}/`;
}

function subject(job: Pick<JobView, 'name' | 'version'>): string {
  return `${job.name}@${job.version}`;
}

/** `ok` where the job should end up, `failed` where it never leaves, undefined on the way. */
function outcome(job: JobView): 'ok' | 'failed' | undefined {
  if (job.state === 'SUCCEEDED' || (job.state === 'RUNNING' && job.kind === 'service')) return 'ok';
  if (job.state === 'FAILED' || job.state === 'LOST' || job.state === 'CANCELLED' || job.state === 'TERMINATED')
    return 'failed';
  return undefined;
}

/**
 * Prints phases from the job's event history, so a state passed between two polls is still shown;
 * the record itself covers what the history does not (and the reason a PENDING job gives, which
 * changes without a transition).
 */
class PhasePrinter {
  private cursor: number | undefined;
  private state: JobState;
  private reason: string;
  private queuedBefore = false;

  constructor(
    private readonly start: JobView,
    private readonly say: (line: string) => void,
  ) {
    this.state = start.state;
    this.reason = start.reason;
    this.enter(start.state, start.reason, start);
  }

  update(job: JobDetailView): void {
    const events = (job.events ?? []).filter((event) => event.jobId === job.id);
    this.cursor ??= this.firstNew(events);
    for (const event of events.slice(this.cursor)) this.enter(event.to, event.reason, job, event);
    this.cursor = events.length;
    if (job.state !== this.state) this.enter(job.state, job.reason, job);
    else if (job.state === 'PENDING' && gist(job.reason) !== gist(this.reason)) {
      this.reason = job.reason;
      this.say(`waiting: ${job.reason}`);
    }
  }

  /** Events up to the one the start record reflects are history (a redeployed job has plenty). */
  private firstNew(events: JobEvent[]): number {
    const since = Date.parse(this.start.updatedAt);
    const index = events.findIndex((event) => event.to === this.start.state && Date.parse(event.at) >= since);
    return index === -1 ? events.length : index + 1;
  }

  private enter(state: JobState, reason: string, job: JobView, event?: JobEvent): void {
    // A self-transition (a restart in place) is no new phase.
    if (event && event.from === state) return;
    this.state = state;
    this.reason = reason;
    this.say(phaseLine(state, reason, job, this.queuedBefore));
    if (state === 'PENDING') this.queuedBefore = true;
  }
}

/** A reason without its numbers: schedulers count passes in it, which is no news worth a line. */
function gist(reason: string): string {
  return reason.replace(/\d+(\.\d+)?/g, '#');
}

function phaseLine(state: JobState, reason: string, job: JobView, queuedBefore: boolean): string {
  switch (state) {
    case 'PENDING':
      return queuedBefore ? `queued again: ${reason}` : 'queued';
    case 'SCHEDULED':
      return `scheduled on ${job.agentId ?? reason}`;
    case 'PREPARING':
      return 'preparing';
    case 'RUNNING':
      return job.kind === 'service' ? `running at ${jobPath(job)}` : 'running';
    case 'SUCCEEDED':
      return 'succeeded';
    case 'TERMINATING':
      return `stopping: ${reason}`;
    default:
      return `${state.toLowerCase()}: ${reason}`;
  }
}

export interface Followed {
  /** The job as last seen. */
  job: JobView;
  /** Why following ended badly: the job failed, was lost, cancelled or stopped, or took too long. */
  failure?: string;
}

/** Polls the job until it runs (a service) or succeeds (a batch job), or until it cannot. */
export async function followJob(client: ApiClient, start: JobView, options: FollowOptions): Promise<Followed> {
  const printer = new PhasePrinter(start, options.say);
  const deadline = Date.now() + options.timeoutMs;
  let job: JobView = start;
  for (;;) {
    const result = outcome(job);
    if (result === 'ok') return { job };
    if (result === 'failed')
      return {
        job,
        failure: `${subject(job)} ${job.state}: ${job.reason}; see its log with \`spindle logs ${job.name} --version ${job.version}\``,
      };
    const left = deadline - Date.now();
    if (left <= 0) {
      const goal = job.kind === 'batch' ? 'finish' : 'start running';
      const failure = `${subject(job)} did not ${goal} within ${options.timeoutMs / 1000} s; it is ${job.state}: ${job.reason} (\`spindle jobs get ${job.name} --version ${job.version}\` shows its history)`;
      return { job, failure };
    }
    await sleep(Math.min(options.intervalMs ?? POLL_INTERVAL_MS, left));
    const detail = await client.getJob(start.name, start.version);
    if (detail.id !== start.id)
      throw new CliError(`${subject(start)} was replaced by another deploy while it was followed`);
    printer.update(detail);
    job = detail;
  }
}
