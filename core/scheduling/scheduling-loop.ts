import type { Logger } from 'pino';
import type { AgentInfo } from '../../plugin-sdk/hook-types.js';
import type { ScheduleResult } from '../../plugin-sdk/providers.js';
import { describeError } from '../errors/kernel-error.js';
import type { KernelHooks } from '../hooks.js';
import { totalResources, type JobRecord, type QueueConfig } from '../jobs/job-record.js';
import type { JobStore, PassOutcome } from '../jobs/job-store.js';
import type { KernelRegistries } from '../registries.js';
import { addInto, allocationsByOwner, fitsOn, toPendingJob, withAllocations } from './scheduling-snapshot.js';

export interface SchedulingLoopOptions {
  store: JobStore;
  registries: KernelRegistries;
  hooks: KernelHooks;
  logger: Logger;
  /** The scheduler of a queue with no stored config. */
  defaultScheduler: string;
  /** Periodic wake-up, so capacity freed outside events is noticed. */
  tickMs: number;
  /** Called with the jobs a pass reserved (state SCHEDULED); binding runs from there. */
  onScheduled(jobs: JobRecord[]): void;
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
    void this.options.store.listQueues().then(async (queues) => {
      const names = new Set(queues.map((q) => q.name));
      for (const job of await this.options.store.listJobs({ state: 'PENDING' })) names.add(job.queue);
      for (const name of names) this.wake(name);
    }, (error: unknown) => this.options.logger.error({ err: describeError(error) }, 'scheduling tick failed'));
  }

  /** Resolves when no pass is running or asked for. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
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
      if (!agents) {
        outcome.waiting.push(...jobs.map((job) => ({ jobId: job.id, reason: `infrastructure target "${target}" is not active` })));
        continue;
      }
      const snapshot = { queue, pending: jobs.map(toPendingJob), agents, allocatedByOwner: allocationsByOwner(allocated) };
      let result: ScheduleResult;
      try {
        result = await scheduler.schedule(snapshot);
      } catch (error) {
        const reason = `scheduler "${config.scheduler}" failed: ${describeError(error)}`;
        outcome.waiting.push(...jobs.map((job) => ({ jobId: job.id, reason })));
        continue;
      }
      this.check(result, jobs, agents, outcome);
    }
    const scheduled = await store.commitPass(outcome, at);
    if (scheduled.length > 0) this.options.onScheduled(scheduled);
  }

  private async agentsOf(target: string, allocated: JobRecord[]): Promise<AgentInfo[] | undefined> {
    const provider = this.options.registries.targets.get(target);
    if (!provider) return undefined;
    try {
      return withAllocations(await provider.agents(), allocated);
    } catch (error) {
      this.options.logger.warn({ target, err: describeError(error) }, 'agents() failed');
      return undefined;
    }
  }

  /** Re-check what the scheduler decided: real capacity, and the `scheduling.filter` predicates. */
  private check(result: ScheduleResult, jobs: JobRecord[], agents: AgentInfo[], outcome: PassOutcome): void {
    const byId = new Map(jobs.map((job) => [job.id, job]));
    const agentById = new Map(agents.map((agent) => [agent.id, agent]));
    const placedOn = new Map<string, Record<string, number>>();
    const decided = new Set<string>();
    const filter = this.options.hooks['scheduling.filter'];
    for (const { jobId, agentId } of result.placements) {
      const job = byId.get(jobId);
      const agent = agentById.get(agentId);
      if (!job || decided.has(jobId)) continue;
      decided.add(jobId);
      const need = totalResources(job);
      const extra = placedOn.get(agentId) ?? {};
      let reason: string | undefined;
      if (!agent) reason = `scheduler chose unknown agent ${agentId}`;
      else if (!fitsOn(agent, need, extra)) reason = `agent ${agentId} no longer has room`;
      else if (filter.taps.length > 0) {
        try {
          reason = filter.call({ job: { id: job.id, name: job.name, version: job.version, owner: job.owner, resources: need }, agent })?.reject;
        } catch (error) {
          reason = `filter failed: ${describeError(error)}`;
        }
        if (reason) reason = `agent ${agentId} ruled out: ${reason}`;
      }
      if (reason) {
        outcome.waiting.push({ jobId, reason });
        continue;
      }
      addInto(extra, need);
      placedOn.set(agentId, extra);
      outcome.placements.push({ jobId, agentId });
    }
    for (const { jobId, reason } of result.waiting) {
      if (!byId.has(jobId) || decided.has(jobId)) continue;
      decided.add(jobId);
      outcome.waiting.push({ jobId, reason });
    }
    for (const job of jobs) if (!decided.has(job.id)) outcome.waiting.push({ jobId: job.id, reason: 'the scheduler made no decision for it' });
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
