import type { Principal } from '../../plugin-sdk/hook-types.js';
import { describeError, KernelError } from '../errors/kernel-error.js';
import type { KernelHooks } from '../hooks/hooks.js';
import { addInto } from '../scheduling/scheduling-snapshot.js';
import { FINAL_STATES, type JobRecord, type QueueConfig, totalResources } from '../state/job-record.js';
import type { JobStore } from '../state/job-store.js';
import { jobSubject } from './job-transitions.js';

/**
 * Admission at enqueue: the queue's per-owner limits, then the `scheduling.admit` taps. A refusal
 * goes back to the caller with its reason (KRN_ERR_JOB_REJECTED); a failing tap refuses too.
 */
export async function admitJob(
  deps: { store: JobStore; hooks: KernelHooks },
  queue: QueueConfig,
  job: Omit<JobRecord, 'seq'>,
  principal: Principal,
): Promise<void> {
  const subject = jobSubject(job);
  const reject = (reason: string): never => {
    throw new KernelError('KRN_ERR_JOB_REJECTED', `queue ${queue.name} refused the job: ${reason}`, {
      job: subject,
      details: { reason },
    });
  };
  if (queue.maxJobsPerOwner !== undefined || queue.quotaPerOwner) {
    const live = (await deps.store.listJobs({ owner: job.owner, queue: queue.name })).filter(
      (other) => !FINAL_STATES.includes(other.state) && !(other.name === job.name && other.version === job.version),
    );
    if (queue.maxJobsPerOwner !== undefined && live.length >= queue.maxJobsPerOwner) {
      reject(`${job.owner} already has ${live.length} job(s) in the queue (limit ${queue.maxJobsPerOwner})`);
    }
    const used: Record<string, number> = {};
    for (const other of live) addInto(used, totalResources(other));
    for (const [slot, limit] of Object.entries(queue.quotaPerOwner ?? {})) {
      const want = totalResources(job)[slot] ?? 0;
      if ((used[slot] ?? 0) + want > limit)
        reject(`${slot} quota of ${job.owner} is ${limit}; in use ${used[slot] ?? 0}, this job asks ${want}`);
    }
  }
  let verdict;
  try {
    verdict = await deps.hooks['scheduling.admit'].promise({
      queue: queue.name,
      job: {
        id: job.id,
        name: job.name,
        version: job.version,
        owner: job.owner,
        resources: totalResources(job),
        target: job.target,
      },
      principal: { id: principal.id, name: principal.name, kind: principal.kind, provider: principal.provider },
    });
  } catch (error) {
    reject(`an admission plugin failed: ${describeError(error)}`);
  }
  if (verdict?.reject) reject(verdict.reject);
}
