import type { KernelRegistries } from '../registries/registries.js';
import { FINAL_STATES, type JobRecord, type QueueConfig } from '../state/job-record.js';
import type { JobStore } from '../state/job-store.js';
import { jobSubject } from './job-transitions.js';

/**
 * What jobs need of a plugin, asked before it is uninstalled: the live jobs on its job types and
 * targets, and the queues with pending jobs whose scheduler it provides.
 */
export async function jobUsersOf(
  deps: { store: JobStore; registries: KernelRegistries; queueConfig(queue: string): Promise<QueueConfig> },
  plugin: string,
): Promise<string[]> {
  const { registries } = deps;
  const owned = (registry: KernelRegistries['jobTypes'] | KernelRegistries['targets'], key: string) =>
    registry.ownerOf(key)?.plugin === plugin;
  const jobs = await deps.store.listJobs();
  const users = jobs
    .filter((job) => !FINAL_STATES.includes(job.state))
    .filter((job) => owned(registries.jobTypes, job.jobtypeResolved) || owned(registries.targets, job.target))
    .map((job) => `job ${jobSubject(job)} (${job.state})`);
  for (const name of registries.schedulers
    .keys()
    .filter((key) => registries.schedulers.ownerOf(key)?.plugin === plugin)) {
    const queues = new Set(jobs.filter((job) => job.state === 'PENDING').map((job) => job.queue));
    for (const queue of queues)
      if ((await deps.queueConfig(queue)).scheduler === name)
        users.push(`queue ${queue} (scheduler ${name}, with pending jobs)`);
  }
  return users;
}

/**
 * Before a plugin goes: the live jobs using its job types, and a function that marks them with a
 * notice once it is gone (they keep running; they cannot be redeployed on that version).
 */
export async function markJobsOfRemovedPlugin(
  deps: { store: JobStore; registries: KernelRegistries },
  plugin: string,
  version: string,
): Promise<() => Promise<void>> {
  const { registries, store } = deps;
  const jobs: JobRecord[] = (await store.listJobs()).filter(
    (job) => !FINAL_STATES.includes(job.state) && registries.jobTypes.ownerOf(job.jobtypeResolved)?.plugin === plugin,
  );
  return async () => {
    for (const job of jobs) {
      await store.setNotice(
        job.id,
        `job type ${job.jobtypeResolved} was uninstalled with ${plugin}@${version}; the job keeps running but cannot be redeployed on that version`,
      );
    }
  };
}
