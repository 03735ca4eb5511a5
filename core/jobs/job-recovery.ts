import type { Logger } from 'pino';
import { describeError } from '../errors/kernel-error.js';
import type { KernelRegistries } from '../registries/registries.js';
import type { JobRecord } from '../state/job-record.js';
import type { JobStore } from '../state/job-store.js';
import { jobSpec } from './job-binder.js';
import type { JobTransitions } from './job-transitions.js';

/**
 * After a kernel restart: jobs caught between decision and start go back to the queue (keeping
 * their place: the order is by submission); each target re-attaches the jobs it still runs;
 * the rest are LOST with the reason (returned, so services can be queued again). PENDING jobs
 * are untouched.
 */
export async function recoverJobs(deps: {
  store: JobStore;
  registries: KernelRegistries;
  transitions: JobTransitions;
  logger: Logger;
  shared?: { replicaId: string };
}): Promise<JobRecord[]> {
  const { store, transitions } = deps;
  let jobs = await store.listJobs();
  // With replicas, the others' jobs are theirs: this one recovers what it started itself, and a
  // queue's leader binds again what a lost replica left SCHEDULED or PREPARING (adoptOrphans).
  if (deps.shared) jobs = jobs.filter((j) => j.runtime.boundBy === deps.shared!.replicaId);
  for (const job of jobs.filter((j) => j.state === 'SCHEDULED' || j.state === 'PREPARING')) {
    await transitions.move(
      job.id,
      [job.state],
      'PENDING',
      'the kernel restarted before the job started; queued again',
      { agentId: null, runtime: { replicas: [] } },
    );
  }
  const live = jobs.filter((j) => j.state === 'RUNNING' || j.state === 'TERMINATING');
  const lost: JobRecord[] = [];
  for (const [target, group] of groupByTarget(live)) lost.push(...(await recoverTarget(deps, target, group)));
  return lost;
}

/** Re-attach (or mark LOST) `jobs` that run on `target`; `when` says what happened, for the reason. */
export async function recoverTarget(
  deps: { registries: KernelRegistries; transitions: JobTransitions; logger: Logger },
  target: string,
  jobs: JobRecord[],
  when = 'after a kernel restart',
): Promise<JobRecord[]> {
  const lost: JobRecord[] = [];
  const { transitions } = deps;
  const provider = deps.registries.targets.get(target);
  let running: Awaited<ReturnType<NonNullable<typeof provider>['list']>> = [];
  if (provider) {
    try {
      running = await provider.list();
    } catch (error) {
      deps.logger.warn({ target, err: describeError(error) }, 'list() failed while re-attaching jobs');
    }
  }
  for (const job of jobs) {
    const found = running.find((r) => r.jobId === job.id);
    if (job.state === 'TERMINATING') {
      if (found) await provider?.stop(job.id, { graceMs: 5_000 }).catch(() => undefined);
      await transitions.move(job.id, ['TERMINATING'], 'TERMINATED', `stopped ${when}`);
      continue;
    }
    let attached = false;
    if (provider && found) {
      try {
        attached = provider.attach ? await provider.attach(jobSpec(job), found.replicas) : true;
      } catch (error) {
        deps.logger.warn({ target, job: job.id, err: describeError(error) }, 'attach() failed');
      }
    }
    if (attached) {
      await transitions.move(job.id, ['RUNNING'], 'RUNNING', `re-attached ${when}`, {
        runtime: { replicas: found!.replicas },
      });
    } else {
      const why = !provider
        ? `target ${target} is not active`
        : found
          ? `target ${target} could not re-attach it`
          : `it is no longer running on target ${target}`;
      const moved = await transitions.move(job.id, ['RUNNING'], 'LOST', `${when} ${why}`);
      if (moved) lost.push(moved);
    }
  }
  return lost;
}

function groupByTarget(jobs: JobRecord[]): Map<string, JobRecord[]> {
  const groups = new Map<string, JobRecord[]>();
  for (const job of jobs) groups.set(job.target, [...(groups.get(job.target) ?? []), job]);
  return groups;
}
