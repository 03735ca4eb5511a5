import type { Logger } from 'pino';
import type { AgentInfo } from '../../plugin-sdk/hook-types.js';
import { describeError } from '../errors/kernel-error.js';
import type { KernelHooks } from '../hooks/hooks.js';
import type { KernelRegistries } from '../registries/registries.js';
import type { JobRecord, QueueConfig } from '../state/job-record.js';
import type { JobStore, PassOutcome } from '../state/job-store.js';
import { PassPlacer } from './pass-placer.js';
import { allocationsByOwner, withAllocations } from './scheduling-snapshot.js';

export interface SchedulingLoopOptions {
  store: JobStore;
  registries: KernelRegistries;
  hooks: KernelHooks;
  logger: Logger;
  /** The scheduler of a queue with no stored config. */
  defaultScheduler: string;
  /** Periodic wake-up, so capacity freed outside events is noticed. */
  tickMs: number;
  /** How long a wake-up waits for more before the pass starts (the coalescing window). */
  coalesceMs?: number;
  /** Called with the jobs a pass reserved (state SCHEDULED); binding runs from there. */
  onScheduled(jobs: JobRecord[]): void;
  /**
   * Whether this kernel decides for `queue` now (several replicas on one database: one leads each
   * queue). Absent: always. `acquired` the first time, then `onLead` runs before the pass.
   */
  lead?(queue: string): Promise<'acquired' | 'held' | 'no'>;
  onLead?(queue: string): Promise<void>;
}

/**
 * The scheduling decision, one pass at a time: woken by events (coalesced: a burst of wake-ups
 * while a pass runs makes one more pass, not one each) and by a periodic tick. A pass takes a
 * snapshot, asks the queue's scheduler plugin, checks each placement (capacity, filter taps) and
 * commits the reservations in one transaction. Binding happens elsewhere, concurrently.
 */
export class SchedulingLoop {
  private readonly dirty = new Set<string>();
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Passes run so far (for tests and metrics). */
  passes = 0;

  constructor(private readonly options: SchedulingLoopOptions) {}

  start(): void {
    this.timer = setInterval(() => this.wakeAll(), this.options.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Ask for a pass over `queue` soon. Cheap: many calls while a pass runs make one more pass. */
  wake(queue: string): void {
    if (this.stopped) return;
    this.dirty.add(queue);
    this.running ??= this.drain();
  }

  wakeAll(): void {
    void this.options.store.listQueues().then(
      async (queues) => {
        const names = new Set(queues.map((q) => q.name));
        // SCHEDULED and PREPARING too: a queue's new leader must look even when nothing is pending.
        for (const state of ['PENDING', 'SCHEDULED', 'PREPARING'] as const)
          for (const job of await this.options.store.listJobs({ state })) names.add(job.queue);
        for (const name of names) this.wake(name);
      },
      (error: unknown) => this.options.logger.error({ err: describeError(error) }, 'scheduling tick failed'),
    );
  }

  /** Resolves when no pass is running or asked for. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.options.coalesceMs ?? 20));
    try {
      while (this.dirty.size > 0 && !this.stopped) {
        const queue = this.dirty.values().next().value as string;
        this.dirty.delete(queue);
        try {
          await this.pass(queue);
        } catch (error) {
          this.options.logger.error({ queue, err: describeError(error) }, 'scheduling pass failed');
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  async queueConfig(queue: string): Promise<QueueConfig> {
    return (await this.options.store.getQueue(queue)) ?? { name: queue, scheduler: this.options.defaultScheduler };
  }

  /** One decision pass over one queue. */
  async pass(queue: string): Promise<void> {
    const { store, registries } = this.options;
    const lead = (await this.options.lead?.(queue)) ?? 'held';
    if (lead === 'no') return;
    if (lead === 'acquired') await this.options.onLead?.(queue);
    const pending = await store.pendingJobs(queue);
    if (pending.length === 0) return;
    this.passes++;
    const at = new Date().toISOString();
    const config = await this.queueConfig(queue);
    const scheduler = registries.schedulers.get(config.scheduler);
    if (!scheduler) {
      const known = registries.schedulers.keys().join(', ') || 'none';
      const reason = `queue ${queue} uses scheduler "${config.scheduler}", which no active plugin provides (active: ${known})`;
      await store.commitPass({ placements: [], waiting: pending.map((job) => ({ jobId: job.id, reason })) }, at);
      return;
    }
    const allocated = await store.allocatedJobs();
    const outcome: PassOutcome = { placements: [], waiting: [] };
    for (const [target, jobs] of groupBy(pending, (job) => job.target)) {
      const agents = await this.agentsOf(target, allocated);
      if (typeof agents === 'string') {
        outcome.waiting.push(...jobs.map((job) => ({ jobId: job.id, reason: agents })));
        continue;
      }
      const placer = new PassPlacer(
        scheduler,
        this.options.hooks,
        { queue, allocatedByOwner: allocationsByOwner(allocated) },
        agents,
        outcome,
      );
      await placer.place(jobs);
    }
    const reserved = new Set(await store.commitPass(outcome, at));
    if (reserved.size === 0) return;
    const agentOf = new Map(outcome.placements.map((p) => [p.jobId, p.agentId]));
    const scheduled = pending
      .filter((job) => reserved.has(job.id))
      .map(
        (job): JobRecord => ({
          ...job,
          state: 'SCHEDULED',
          agentId: agentOf.get(job.id)!,
          reason: `placed on agent ${agentOf.get(job.id)}`,
          updatedAt: at,
        }),
      );
    this.options.onScheduled(scheduled);
  }

  /** The target's agents with their allocations, or why there are none. */
  private async agentsOf(target: string, allocated: JobRecord[]): Promise<AgentInfo[] | string> {
    const provider = this.options.registries.targets.get(target);
    if (!provider) return `infrastructure target "${target}" is not active`;
    try {
      return withAllocations(await provider.agents(), allocated);
    } catch (error) {
      this.options.logger.warn({ target, err: describeError(error) }, 'agents() failed');
      return `infrastructure target "${target}" could not list its agents: ${describeError(error)}`;
    }
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item)) ?? [];
    list.push(item);
    groups.set(key(item), list);
  }
  return groups;
}
