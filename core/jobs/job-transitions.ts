import type { Logger } from 'pino';
import type { KernelEventType } from '../../plugin-sdk/event-catalogue.js';
import type { JobRecord, JobState } from '../state/job-record.js';
import type { JobStore, Transition } from '../state/job-store.js';
import type { ActivityRecorder } from '../system/activity-recorder.js';

/** Where a job may go from each state (DESIGN.md §6). Anything else is refused by the store. */
export const NEXT_STATES: Readonly<Record<JobState, readonly JobState[]>> = Object.freeze({
  PENDING: ['SCHEDULED', 'CANCELLED', 'FAILED'],
  SCHEDULED: ['PREPARING', 'PENDING', 'FAILED', 'CANCELLED'],
  // PREPARING → SCHEDULED: the replica binding it died; the queue's new leader binds it again.
  PREPARING: ['RUNNING', 'FAILED', 'TERMINATING', 'CANCELLED', 'PENDING', 'SCHEDULED'],
  RUNNING: ['RUNNING', 'TERMINATING', 'SUCCEEDED', 'FAILED', 'LOST'],
  TERMINATING: ['TERMINATED', 'FAILED'],
  TERMINATED: [],
  FAILED: [],
  CANCELLED: [],
  SUCCEEDED: [],
  LOST: [],
});

/** `job.<state>` for each state: the compiler checks that the event catalogue has them all. */
function stateEvent(state: JobState): `job.${Lowercase<JobState>}` & KernelEventType {
  return `job.${state.toLowerCase() as Lowercase<JobState>}`;
}

export const jobSubject = (job: Pick<JobRecord, 'name' | 'version'>): string => `${job.name}@${job.version}`;

/**
 * Applies job state changes: persisted with the reason (job history), written to the activity
 * log and fired as `job.<state>` on `events.job`. Only moves allowed by NEXT_STATES happen.
 */
export class JobTransitions {
  constructor(
    private readonly store: JobStore,
    private readonly activity: ActivityRecorder,
    private readonly logger: Logger,
  ) {}

  /** Move `jobId` to `to` if it is in one of `from`; undefined when it was not (nothing changes). */
  async move(
    jobId: string,
    from: readonly JobState[],
    to: JobState,
    reason: string,
    patch?: Transition['patch'],
    actor = 'kernel',
  ): Promise<JobRecord | undefined> {
    const allowed = from.filter((state) => NEXT_STATES[state].includes(to));
    const job = await this.store.transition(jobId, { from: allowed, to, reason, patch });
    if (!job) return undefined;
    await this.announce(
      job,
      actor,
      to === 'RUNNING' && from.length === 1 && from[0] === 'RUNNING' ? 'job.restarted' : stateEvent(to),
    );
    return job;
  }

  /** Record and fire what happened to a job whose new state is already stored. */
  async announce(job: JobRecord, actor = 'kernel', action: KernelEventType = stateEvent(job.state)): Promise<void> {
    this.logger.info({ job: jobSubject(job), state: job.state, reason: job.reason }, 'job state');
    await this.activity.record({
      actor,
      action,
      subject: jobSubject(job),
      outcome: job.state === 'FAILED' || job.state === 'LOST' ? 'error' : 'ok',
      details: { jobId: job.id, state: job.state, reason: job.reason, owner: job.owner },
    });
  }
}
