import type { AgentInfo } from '../../plugin-sdk/hook-types.js';
import type { ScheduleResult, SchedulerProvider } from '../../plugin-sdk/providers.js';
import { describeError } from '../errors/kernel-error.js';
import type { KernelHooks } from '../hooks/hooks.js';
import { type JobRecord, totalResources } from '../state/job-record.js';
import type { PassOutcome } from '../state/job-store.js';
import { addInto, fitsOn, toPendingJob } from './scheduling-snapshot.js';

/** Jobs whose chosen agent a filter ruled out get this many more tries, without that agent. */
const FILTER_RETRIES = 3;
const MAX_RETRIED_JOBS = 100;

/**
 * One target's share of a pass: ask the scheduler, then check each placement against real
 * capacity (including what this pass placed) and the `scheduling.filter` predicates. A job whose
 * agent a predicate ruled out is offered to the scheduler again without that agent, so the
 * scheduler need not know the predicates.
 */
export class PassPlacer {
  private readonly placedOn = new Map<string, Record<string, number>>();
  private readonly excluded = new Map<string, Map<string, string>>();

  constructor(
    private readonly scheduler: SchedulerProvider,
    private readonly hooks: KernelHooks,
    private readonly snapshotBase: { queue: string; allocatedByOwner: Record<string, Record<string, number>> },
    private readonly agents: AgentInfo[],
    private readonly outcome: PassOutcome,
  ) {}

  async place(jobs: JobRecord[]): Promise<void> {
    let retry = this.apply(await this.ask(jobs, this.agents), jobs);
    for (let round = 0; round < FILTER_RETRIES && retry.length > 0; round++) {
      const next: JobRecord[] = [];
      for (const job of retry.slice(0, MAX_RETRIED_JOBS)) {
        const ruledOut = this.excluded.get(job.id)!;
        const agents = this.agents
          .filter((a) => !ruledOut.has(a.id))
          .map((a) => ({ ...a, allocated: plus(a.allocated, this.placedOn.get(a.id)) }));
        next.push(...this.apply(await this.ask([job], agents), [job], round === FILTER_RETRIES - 1));
      }
      for (const job of retry.slice(MAX_RETRIED_JOBS)) this.waitFiltered(job);
      retry = next;
    }
    for (const job of retry) this.waitFiltered(job);
  }

  private async ask(jobs: JobRecord[], agents: AgentInfo[]): Promise<ScheduleResult> {
    try {
      // The seam applies the scheduler's time limit (loader/call-limits.ts).
      return await this.scheduler.schedule({ ...this.snapshotBase, pending: jobs.map(toPendingJob), agents });
    } catch (error) {
      const reason = `the scheduler failed: ${describeError(error)}`;
      return { placements: [], waiting: jobs.map((job) => ({ jobId: job.id, reason })) };
    }
  }

  /** Apply a result; returns the jobs a filter sent back for another try. */
  private apply(result: ScheduleResult, jobs: JobRecord[], last = false): JobRecord[] {
    const byId = new Map(jobs.map((job) => [job.id, job]));
    const agentById = new Map(this.agents.map((agent) => [agent.id, agent]));
    const decided = new Set<string>();
    const retry: JobRecord[] = [];
    for (const { jobId, agentId } of result.placements) {
      const job = byId.get(jobId);
      if (!job || decided.has(jobId)) continue;
      decided.add(jobId);
      const agent = agentById.get(agentId);
      const need = totalResources(job);
      const extra = this.placedOn.get(agentId) ?? {};
      if (!agent || !fitsOn(agent, need, extra)) {
        this.outcome.waiting.push({
          jobId,
          reason: agent ? `agent ${agentId} no longer has room` : `the scheduler chose unknown agent ${agentId}`,
        });
        continue;
      }
      const veto = this.filter(job, need, agent);
      if (veto) {
        (this.excluded.get(jobId) ?? this.excluded.set(jobId, new Map()).get(jobId)!).set(agentId, veto);
        if (last) this.waitFiltered(job);
        else retry.push(job);
        continue;
      }
      addInto(extra, need);
      this.placedOn.set(agentId, extra);
      this.outcome.placements.push({ jobId, agentId });
    }
    for (const { jobId, reason } of result.waiting) {
      if (!byId.has(jobId) || decided.has(jobId)) continue;
      decided.add(jobId);
      const ruledOut = this.excluded.get(jobId);
      this.outcome.waiting.push({
        jobId,
        reason: ruledOut ? `${reason}; ruled out: ${describeVetoes(ruledOut)}` : reason,
      });
    }
    for (const job of jobs)
      if (!decided.has(job.id))
        this.outcome.waiting.push({ jobId: job.id, reason: 'the scheduler made no decision for it' });
    return retry;
  }

  private filter(job: JobRecord, need: Record<string, number>, agent: AgentInfo): string | undefined {
    const hook = this.hooks['scheduling.filter'];
    if (hook.taps.length === 0) return undefined;
    try {
      return hook.call({
        job: {
          id: job.id,
          name: job.name,
          version: job.version,
          owner: job.owner,
          resources: need,
          target: job.target,
        },
        agent,
      })?.reject;
    } catch (error) {
      return `a filter failed: ${describeError(error)}`;
    }
  }

  private waitFiltered(job: JobRecord): void {
    this.outcome.waiting.push({
      jobId: job.id,
      reason: `ruled out: ${describeVetoes(this.excluded.get(job.id) ?? new Map())}`,
    });
  }
}

function describeVetoes(vetoes: Map<string, string>): string {
  return [...vetoes].map(([agent, why]) => `agent ${agent} (${why})`).join(', ');
}

function plus(a: Record<string, number>, b: Record<string, number> | undefined): Record<string, number> {
  if (!b) return a;
  const sum = { ...a };
  addInto(sum, b);
  return sum;
}
