import { KernelError } from '../errors/kernel-error.js';
import type { JobRecord } from '../state/job-record.js';
import type { JobStore } from '../state/job-store.js';
import { pickJobVersion } from './job-aliases.js';

/**
 * Resolves `(name, version or alias)` to a job for the proxy's hot path, cached while the store's
 * generation holds. The store counts only this kernel's writes; other replicas' writes are unseen,
 * so with a shared store an entry also expires with the second it was made in.
 */
export class JobResolver {
  private resolved = { generation: '', jobs: new Map<string, JobRecord>() };

  constructor(
    private readonly store: JobStore,
    private readonly sharedState: boolean,
  ) {}

  private generation(): string {
    const own = String(this.store.generation);
    return this.sharedState ? `${own}@${Math.floor(Date.now() / 1000)}` : own;
  }

  async resolve(name: string, version: string, preferRunning = false): Promise<JobRecord> {
    const generation = this.generation();
    if (this.resolved.generation !== generation) this.resolved = { generation, jobs: new Map() };
    const key = `${name}\u0000${version}\u0000${preferRunning}`;
    const cached = this.resolved.jobs.get(key);
    if (cached) return cached;
    const jobs = await this.store.listJobs({ name });
    if (jobs.length === 0)
      throw new KernelError('KRN_ERR_JOB_NOT_FOUND', `no job named ${name} is deployed`, { job: name });
    const job = pickJobVersion(name, jobs, version, preferRunning);
    if (generation === this.generation()) this.resolved.jobs.set(key, job);
    return job;
  }
}
