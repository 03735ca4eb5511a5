/**
 * Scheduler throughput: decisions per second (a decision = one placement) of the drf and fifo
 * plugins' pure scheduling functions over one pass at 10,000 pending jobs of 100 owners on 1,000
 * agents with 3 slots, against a straightforward reference that re-sorts every pending job and
 * scans every agent on each decision; and the same pass at 10,000 agents against 1,000.
 * The reference is too slow for a full pass, so it is timed over its first REFERENCE_DECISIONS
 * decisions (its cost per decision barely moves while 10,000 jobs are pending), which are also
 * checked against the plugin's first decisions.
 * Times are the process's CPU time (user + system, GC and compiler threads included) per pass: on
 * a shared machine wall time also counts the wait for a core. Wall times are kept in the raw data.
 */
import type { Placement, ScheduleResult, SchedulingSnapshot } from '../plugin-sdk/index.js';
import { scheduleDrf } from '../plugins/scheduler-drf/src/drf.js';
import { scheduleFifo } from '../plugins/scheduler-fifo/src/fifo.js';
import { referenceDrf, referenceFifo } from './scheduler-reference.js';
import { makeWorkload } from './scheduler-workload.js';
import { type BenchResult, median, nowMs, result, round } from './stats.js';

const JOBS = 10_000;
const OWNERS = 100;
const ROUNDS = 9;
// Enough passes for the JIT to settle: the first few run 2–3× slower than a long-running kernel would.
const WARMUP = 6;
const REFERENCE_DECISIONS = 100;
const REFERENCE_ROUNDS = 3;

interface Algo {
  name: 'drf' | 'fifo';
  schedule(snapshot: SchedulingSnapshot): ScheduleResult;
  reference(snapshot: SchedulingSnapshot, maxDecisions: number): Placement[];
}

const ALGOS: Algo[] = [
  { name: 'drf', schedule: (s) => scheduleDrf(s), reference: referenceDrf },
  { name: 'fifo', schedule: (s) => scheduleFifo(s), reference: referenceFifo },
];

interface Samples {
  /** CPU microseconds per decision, one per round. */
  usPerDecision: number[];
  wallUsPerDecision: number[];
}

interface PassTiming extends Samples {
  decisions: number;
  waiting: number;
  first: Placement[];
}

/** Only before a series' warm-up: a forced GC right before a timed pass shrinks the young generation and makes that pass ~5× slower. */
function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Run `fn` `rounds` times; per round, CPU and wall µs divided by the decisions it made. */
function sample<T>(rounds: number, fn: () => T, decisions: (out: T) => number): Samples & { last: T } {
  const samples: Samples = { usPerDecision: [], wallUsPerDecision: [] };
  let last: T | undefined;
  for (let i = 0; i < rounds; i++) {
    const wall = nowMs();
    const cpu = process.cpuUsage();
    last = fn();
    const used = process.cpuUsage(cpu);
    const n = Math.max(1, decisions(last));
    samples.usPerDecision.push((used.user + used.system) / n);
    samples.wallUsPerDecision.push(((nowMs() - wall) * 1000) / n);
  }
  return { ...samples, last: last! };
}

function timePasses(algo: Algo, snapshot: SchedulingSnapshot): PassTiming {
  gc();
  for (let i = 0; i < WARMUP; i++) algo.schedule(snapshot);
  const { last, ...samples } = sample(
    ROUNDS,
    () => algo.schedule(snapshot),
    (r) => r.placements.length,
  );
  return {
    ...samples,
    decisions: last.placements.length,
    waiting: last.waiting.length,
    first: last.placements.slice(0, REFERENCE_DECISIONS),
  };
}

function timeReference(algo: Algo, snapshot: SchedulingSnapshot): Samples & { first: Placement[] } {
  gc();
  const { last, ...samples } = sample(
    REFERENCE_ROUNDS,
    () => algo.reference(snapshot, REFERENCE_DECISIONS),
    (p) => p.length,
  );
  return { ...samples, first: last };
}

const rounded = (values: number[], digits: number) => values.map((v) => round(v, digits));

const perSecond = (us: number) => Math.round(1e6 / us);
const shape = (agents: number) => `${JOBS} pending, ${OWNERS} owners, ${agents} agents, 3 slots`;

function measure(algo: Algo, small: SchedulingSnapshot, large: SchedulingSnapshot): BenchResult[] {
  const at1k = timePasses(algo, small);
  const at10k = timePasses(algo, large);
  const ref = timeReference(algo, small);
  const [us1k, us10k, usRef] = [median(at1k.usPerDecision), median(at10k.usPerDecision), median(ref.usPerDecision)];
  const agrees = JSON.stringify(ref.first) === JSON.stringify(at1k.first.slice(0, ref.first.length));
  const id = `scheduler.${algo.name}`;
  const common = { jobs: JOBS, owners: OWNERS, rounds: ROUNDS };
  return [
    result({
      id: `${id}.throughput`,
      metric: `${algo.name}: µs per decision over a full pass, ${shape(1000)} (CPU; ≤ 10 µs = ≥ 100k decisions/s)`,
      value: round(us1k, 3),
      unit: 'µs',
      goal: { op: '<=', limit: 10 },
      summary: {
        decisionsPerSecond: perSecond(us1k),
        decisions: at1k.decisions,
        waiting: at1k.waiting,
        agents: 1000,
        passMs: round((us1k * at1k.decisions) / 1000, 2),
        ...common,
      },
      raw: { usPerDecision: rounded(at1k.usPerDecision, 4), wallUsPerDecision: rounded(at1k.wallUsPerDecision, 4) },
    }),
    result({
      id: `${id}.vs-reference`,
      metric: `${algo.name}: µs per decision / a re-sort-and-scan reference's, ${shape(1000)} (≤ 0.02 = ≥ 50× faster)`,
      value: round(us1k / usRef, 5),
      unit: '×',
      ratio: round(us1k / usRef, 5),
      goal: { op: '<=', limit: 0.02 },
      summary: {
        speedup: round(usRef / us1k, 1),
        decisionsPerSecond: perSecond(us1k),
        referenceDecisionsPerSecond: perSecond(usRef),
        referenceDecisionsTimed: ref.first.length,
        agreesWithReference: agrees ? 1 : 0,
      },
      raw: {
        referenceUsPerDecision: rounded(ref.usPerDecision, 2),
        referenceWallUsPerDecision: rounded(ref.wallUsPerDecision, 2),
      },
      notes: [
        `the reference re-sorts all pending jobs and scans all agents per decision; timed over its first ${REFERENCE_DECISIONS} decisions`,
        agrees
          ? `its first ${ref.first.length} decisions equal the plugin's`
          : `its first ${ref.first.length} decisions DIFFER from the plugin's`,
      ],
    }),
    result({
      id: `${id}.agents-10k`,
      metric: `${algo.name}: µs per decision at 10,000 agents / at 1,000 (≤ 2 = keeps ≥ 0.5 of the throughput)`,
      value: round(us10k / us1k, 3),
      unit: '×',
      ratio: round(us10k / us1k, 3),
      goal: { op: '<=', limit: 2 },
      summary: {
        throughputRatio: round(us1k / us10k, 3),
        decisionsPerSecond10k: perSecond(us10k),
        decisionsPerSecond1k: perSecond(us1k),
        decisions10k: at10k.decisions,
        waiting10k: at10k.waiting,
        ...common,
      },
      raw: {
        usPerDecision10k: rounded(at10k.usPerDecision, 4),
        wallUsPerDecision10k: rounded(at10k.wallUsPerDecision, 4),
      },
    }),
  ];
}

export async function runSchedulerBench(): Promise<BenchResult[]> {
  const small = makeWorkload({ jobs: JOBS, owners: OWNERS, agents: 1_000 });
  const large = makeWorkload({ jobs: JOBS, owners: OWNERS, agents: 10_000 });
  return ALGOS.flatMap((algo) => measure(algo, small, large));
}
