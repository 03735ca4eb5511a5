/**
 * Column encodings for the one large, hot call to an isolated plugin: a scheduler's `schedule`.
 * A pass sends every pending job; as 10,000 small objects through structured clone the child spends
 * longer decoding the snapshot than the scheduler spends deciding. As columns (the strings joined,
 * the numbers in typed arrays) the message is a handful of flat values that cross at memory speed.
 * Anything that does not have exactly the documented shape crosses as it is, so a scheduler that
 * returns something odd meets the kernel's checks unchanged.
 */
import type { AgentInfo } from '../../plugin-sdk/hook-types.js';
import type { PendingJob, ScheduleResult, SchedulingSnapshot } from '../../plugin-sdk/providers.js';

export interface WireCodec {
  encodeArgs(args: unknown[]): unknown[];
  decodeArgs(args: unknown[]): unknown[];
  encodeResult(value: unknown): unknown;
  decodeResult(value: unknown): unknown;
}

const SEP = '\u0000';
/** Below this many jobs or decisions, typed arrays cost more than they save: the value crosses as it is. */
const COLUMNS_FROM = 64;

/** Interns strings: the distinct ones, and each value's index among them. */
class Interned {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();
  of(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) this.index.set(value, (i = this.values.push(value) - 1));
    return i;
  }
}

const joinable = (s: unknown): s is string => typeof s === 'string' && !s.includes(SEP);
const split = (joined: string, count: number): string[] => (count === 0 ? [] : joined.split(SEP));

interface WireJobs {
  count: number;
  ids: string;
  submittedAt: string;
  owners: string[];
  owner: Uint32Array;
  attempts: Float64Array;
  /** Distinct key lists of `resources`, in each job's own key order. */
  shapes: string[][];
  shape: Uint32Array;
  amounts: Float64Array;
}

interface WireSnapshot {
  $wire: 'snapshot/1';
  queue: string;
  agents: AgentInfo[];
  allocatedByOwner: SchedulingSnapshot['allocatedByOwner'];
  jobs: WireJobs;
}

function encodeJobs(pending: unknown[]): WireJobs | undefined {
  const count = pending.length;
  const ids: string[] = new Array(count);
  const submittedAt: string[] = new Array(count);
  const owners = new Interned();
  const shapes: { signature: string; keys: string[] }[] = [];
  const owner = new Uint32Array(count);
  const shape = new Uint32Array(count);
  const attempts = new Float64Array(count);
  let amounts = new Float64Array(count * 2);
  let filled = 0;
  // Jobs in a row mostly ask for the same slots: compare with the last job's keys before looking up.
  let lastKeys: string[] = [];
  let lastShape = -1;
  for (let i = 0; i < count; i++) {
    const job = pending[i] as PendingJob;
    if (typeof job !== 'object' || job === null) return undefined;
    let fields = 0;
    for (const _ in job) fields++;
    if (fields !== 5) return undefined;
    const { id, owner: who, submittedAt: at, resources, attempts: tries } = job;
    if (!joinable(id) || !joinable(at) || typeof who !== 'string' || typeof tries !== 'number') return undefined;
    if (typeof resources !== 'object' || resources === null || Array.isArray(resources)) return undefined;
    const keys = Object.keys(resources);
    if (lastShape < 0 || keys.length !== lastKeys.length || keys.some((key, k) => key !== lastKeys[k])) {
      const signature = JSON.stringify(keys);
      lastShape = shapes.findIndex((known) => known.signature === signature);
      if (lastShape < 0) lastShape = shapes.push({ signature, keys }) - 1;
      lastKeys = keys;
    }
    if (filled + keys.length > amounts.length) {
      const grown = new Float64Array(amounts.length * 2 + keys.length);
      grown.set(amounts);
      amounts = grown;
    }
    for (const key of keys) {
      const amount = resources[key];
      if (typeof amount !== 'number') return undefined;
      amounts[filled++] = amount;
    }
    ids[i] = id;
    submittedAt[i] = at;
    owner[i] = owners.of(who);
    shape[i] = lastShape;
    attempts[i] = tries;
  }
  return {
    count,
    ids: ids.join(SEP),
    submittedAt: submittedAt.join(SEP),
    owners: owners.values,
    owner,
    attempts,
    shapes: shapes.map((known) => known.keys),
    shape,
    // A copy: a view would carry its whole buffer across.
    amounts: amounts.slice(0, filled),
  };
}

function decodeJobs(wire: WireJobs): PendingJob[] {
  const ids = split(wire.ids, wire.count);
  const submittedAt = split(wire.submittedAt, wire.count);
  const jobs: PendingJob[] = new Array(wire.count);
  let at = 0;
  for (let i = 0; i < wire.count; i++) {
    const resources: Record<string, number> = {};
    for (const key of wire.shapes[wire.shape[i]!]!) resources[key] = wire.amounts[at++]!;
    jobs[i] = {
      id: ids[i]!,
      owner: wire.owners[wire.owner[i]!]!,
      submittedAt: submittedAt[i]!,
      resources,
      attempts: wire.attempts[i]!,
    };
  }
  return jobs;
}

function encodeSnapshot(value: unknown): unknown {
  const snapshot = value as SchedulingSnapshot;
  if (typeof snapshot !== 'object' || snapshot === null || Object.keys(snapshot).length !== 4) return value;
  if (!Array.isArray(snapshot.pending) || snapshot.pending.length < COLUMNS_FROM) return value;
  const jobs = encodeJobs(snapshot.pending);
  if (!jobs) return value;
  const { queue, agents, allocatedByOwner } = snapshot;
  return { $wire: 'snapshot/1', queue, agents, allocatedByOwner, jobs } satisfies WireSnapshot;
}

function decodeSnapshot(value: unknown): unknown {
  const wire = value as WireSnapshot;
  if (wire?.$wire !== 'snapshot/1') return value;
  const { queue, agents, allocatedByOwner } = wire;
  return { queue, pending: decodeJobs(wire.jobs), agents, allocatedByOwner } satisfies SchedulingSnapshot;
}

interface WireResult {
  $wire: 'schedule-result/1';
  placed: string;
  placedCount: number;
  agents: string[];
  agent: Uint32Array;
  waiting: string;
  waitingCount: number;
  reasons: string[];
  reason: Uint32Array;
}

/** `[id, other]` pairs of a list of two-string objects (`{jobId, agentId}`), or undefined if any is not one. */
function pairs(list: unknown, first: string, second: string): [string[], Interned, Uint32Array] | undefined {
  if (!Array.isArray(list)) return undefined;
  const ids: string[] = [];
  const others = new Interned();
  const other = new Uint32Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as Record<string, unknown>;
    if (typeof item !== 'object' || item === null || Object.keys(item).length !== 2) return undefined;
    const id = item[first];
    const value = item[second];
    if (!joinable(id) || typeof value !== 'string') return undefined;
    ids.push(id);
    other[i] = others.of(value);
  }
  return [ids, others, other];
}

function encodeResult(value: unknown): unknown {
  const result = value as ScheduleResult;
  if (typeof result !== 'object' || result === null || Object.keys(result).length !== 2) return value;
  if (!Array.isArray(result.placements) || !Array.isArray(result.waiting)) return value;
  if (result.placements.length + result.waiting.length < COLUMNS_FROM) return value;
  const placed = pairs(result.placements, 'jobId', 'agentId');
  const waiting = pairs(result.waiting, 'jobId', 'reason');
  if (!placed || !waiting) return value;
  return {
    $wire: 'schedule-result/1',
    placed: placed[0].join(SEP),
    placedCount: placed[0].length,
    agents: placed[1].values,
    agent: placed[2],
    waiting: waiting[0].join(SEP),
    waitingCount: waiting[0].length,
    reasons: waiting[1].values,
    reason: waiting[2],
  } satisfies WireResult;
}

function decodeResult(value: unknown): unknown {
  const wire = value as WireResult;
  if (wire?.$wire !== 'schedule-result/1') return value;
  const placed = split(wire.placed, wire.placedCount);
  const waiting = split(wire.waiting, wire.waitingCount);
  return {
    placements: placed.map((jobId, i) => ({ jobId, agentId: wire.agents[wire.agent[i]!]! })),
    waiting: waiting.map((jobId, i) => ({ jobId, reason: wire.reasons[wire.reason[i]!]! })),
  } satisfies ScheduleResult;
}

const scheduleCodec: WireCodec = {
  encodeArgs: ([snapshot, ...rest]) => [encodeSnapshot(snapshot), ...rest],
  decodeArgs: ([snapshot, ...rest]) => [decodeSnapshot(snapshot), ...rest],
  encodeResult,
  decodeResult,
};

/** The codec for a provider method, by `<registry>.<method>`; other calls cross as they are. */
export function wireCodec(registry: string, method: string): WireCodec | undefined {
  return registry === 'schedulers' && method === 'schedule' ? scheduleCodec : undefined;
}
