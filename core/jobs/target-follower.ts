import type { Logger } from 'pino';
import type { KernelRegistries } from '../registries/registries.js';
import type { JobRecord } from '../state/job-record.js';
import type { JobStore } from '../state/job-store.js';
import { recoverTarget } from './job-recovery.js';
import type { JobTransitions } from './job-transitions.js';

/**
 * Jobs follow the plugin that serves their target. After a plugin was swapped, reconfigured,
 * disabled or removed, the jobs of a target whose serving instance changed are re-attached by the
 * new one, or LOST (a local target's processes end with the instance that started them); services
 * among the lost are queued again.
 */
export class TargetFollower {
  /** Which plugin instance serves each target, as last seen. */
  private owners = new Map<string, string | undefined>();
  private started = false;

  constructor(
    private readonly deps: {
      store: JobStore;
      registries: KernelRegistries;
      transitions: JobTransitions;
      logger: Logger;
      requeue(job: JobRecord, reason: string): Promise<unknown>;
    },
  ) {}

  start(): void {
    this.owners = this.current();
    this.started = true;
  }

  async follow(): Promise<void> {
    if (!this.started) return;
    const now = this.current();
    const changed = [...new Set([...this.owners.keys(), ...now.keys()])].filter(
      (t) => this.owners.get(t) !== now.get(t),
    );
    this.owners = now;
    if (changed.length === 0) return;
    const running = (await this.deps.store.listJobs()).filter(
      (j) => (j.state === 'RUNNING' || j.state === 'TERMINATING') && changed.includes(j.target),
    );
    for (const target of changed) {
      const jobs = running.filter((j) => j.target === target);
      if (jobs.length === 0) continue;
      const lost = await recoverTarget(this.deps, target, jobs, `after the plugin serving target ${target} changed,`);
      // Services were fine; their target changed under them: queue them again (batch jobs stay LOST).
      for (const job of lost.filter((j) => j.kind === 'service'))
        await this.deps.requeue(job, `requeued: the plugin serving target ${target} changed`);
    }
  }

  private current(): Map<string, string | undefined> {
    const owners = new Map<string, string | undefined>();
    for (const target of this.deps.registries.targets.keys())
      owners.set(target, this.deps.registries.targets.ownerOf(target)?.instanceId);
    return owners;
  }
}
