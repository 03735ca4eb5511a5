/**
 * Where a job goes. Agents are split into two groups — without and with accelerators — each kept
 * in a ScoreTree. A job that requests no accelerator tries the plain group first, so accelerator
 * agents stay free for the jobs that need them; within a group the agent's free-capacity score
 * ranks it (higher first for `dispersed`, lower first for `concentrated`), then its id.
 *
 * Score = Σ over slots of free / (the largest capacity of that slot on any agent): every slot
 * weighs the same whatever its unit (MiB of memory against cores).
 */
import type { AgentInfo } from '../index.js';
import type { PlacementConfig } from './config.js';
import { rankKey, ScoreTree } from './score-tree.js';
import type { SlotSpace } from './slot-space.js';

/** What the waiting reasons need to know about the cluster. */
export interface FreeView {
  readonly agentCount: number;
  /** The largest free amount of `slot` on any agent now. */
  maxFree(slot: number): number;
  /** The largest capacity of `slot` on any agent (0 when no agent has the slot). */
  maxCapacity(slot: number): number;
}

interface Group {
  tree: ScoreTree;
  /** Agent ids by tree position. */
  ids: string[];
}

/** Agents as dense rows, in id order: row `i` is the agent with the i-th smallest id. */
interface AgentRows {
  agents: readonly AgentInfo[];
  width: number;
  capacity: Float64Array;
  free: Float64Array;
}

/** Tree positions group agents into this many bands of their score at the start of the pass. */
const BANDS = 64;

export class AgentIndex implements FreeView {
  readonly agentCount: number;
  /** Per slot: the sum of every agent's capacity (DRF's denominator). */
  readonly totalCapacity: Float64Array;
  private readonly capacityMax: Float64Array;
  private readonly plain: Group;
  private readonly accelerated: Group;

  constructor(agents: readonly AgentInfo[], space: SlotSpace, config: PlacementConfig) {
    const rows = agentRows(inIdOrder(agents), space);
    const { width, capacity } = rows;
    this.agentCount = agents.length;
    this.totalCapacity = new Float64Array(width);
    this.capacityMax = new Float64Array(width);
    for (let i = 0; i < capacity.length; i++) {
      this.totalCapacity[i % width] += capacity[i]!;
      if (capacity[i]! > this.capacityMax[i % width]!) this.capacityMax[i % width] = capacity[i]!;
    }
    const invNorm = this.capacityMax.map((c) => (c > 0 ? 1 / c : 0));
    const sign = config.agentSelection === 'dispersed' ? -1 : 1;
    const keys = new Float64Array(agents.length);
    for (let i = 0; i < agents.length; i++) keys[i] = rankKey(rows.free, i * width, invNorm, sign);
    const accel = space.idsOf(config.acceleratorSlots);
    const isAccel = (i: number) => accel.some((s) => capacity[i * width + s]! > 0);
    this.plain = makeGroup(
      rows,
      banded(keys, (i) => !isAccel(i)),
      invNorm,
      sign,
    );
    this.accelerated = makeGroup(rows, banded(keys, isAccel), invNorm, sign);
  }

  /** Choose an agent for `request` (a row of a RequestTable), record it, and return its id. */
  place(request: Float64Array, offset: number, accelerated: boolean): string | undefined {
    const first = accelerated ? this.accelerated : this.plain;
    const second = accelerated ? this.plain : this.accelerated;
    return take(first, request, offset) ?? take(second, request, offset);
  }

  maxFree(slot: number): number {
    return Math.max(this.plain.tree.maxFreeOf(slot), this.accelerated.tree.maxFreeOf(slot));
  }

  maxCapacity(slot: number): number {
    return this.capacityMax[slot]!;
  }
}

function take(group: Group, request: Float64Array, offset: number): string | undefined {
  const pos = group.tree.find(request, offset);
  if (pos < 0) return undefined;
  group.tree.consume(pos, request, offset);
  return group.ids[pos];
}

function agentRows(agents: readonly AgentInfo[], space: SlotSpace): AgentRows {
  const width = space.count;
  const capacity = new Float64Array(agents.length * width);
  const free = new Float64Array(agents.length * width);
  const allocated = new Float64Array(width);
  for (let i = 0; i < agents.length; i++) {
    space.vector(agents[i]!.capacity, capacity, i * width);
    space.vector(agents[i]!.allocated, allocated.fill(0));
    for (let s = 0; s < width; s++) free[i * width + s] = capacity[i * width + s]! - allocated[s]!;
  }
  return { agents, width, capacity, free };
}

/** `rows` indices in tree order; each agent's tie rank is its row (its place in id order). */
function makeGroup(rows: AgentRows, members: Int32Array, invNorm: Float64Array, sign: 1 | -1): Group {
  const { width, free } = rows;
  const groupFree = new Float64Array(members.length * width);
  const ids: string[] = new Array<string>(members.length);
  for (let pos = 0; pos < members.length; pos++) {
    const i = members[pos]!;
    for (let s = 0; s < width; s++) groupFree[pos * width + s] = free[i * width + s]!;
    ids[pos] = rows.agents[i]!.id;
  }
  return { ids, tree: new ScoreTree(members.length, width, groupFree, members, invNorm, sign) };
}

/**
 * The members in tree order: by band of their starting key, in id order within a band (a stable
 * counting sort). Agents alike in fullness then share subtrees, so the per-slot maxima prune whole
 * subtrees of full agents — without it, `concentrated` visits most of the full agents on every
 * decision. Ties are still broken by id: the tree carries each agent's id rank.
 */
function banded(keys: Float64Array, member: (i: number) => boolean): Int32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < keys.length; i++) {
    if (!member(i)) continue;
    if (keys[i]! < lo) lo = keys[i]!;
    if (keys[i]! > hi) hi = keys[i]!;
  }
  const scale = hi > lo ? (BANDS - 1) / (hi - lo) : 0;
  const band = (i: number) => Math.floor((keys[i]! - lo) * scale);
  const starts = new Int32Array(BANDS + 1);
  for (let i = 0; i < keys.length; i++) if (member(i)) starts[band(i) + 1]++;
  for (let b = 0; b < BANDS; b++) starts[b + 1] += starts[b]!;
  const out = new Int32Array(starts[BANDS]!);
  for (let i = 0; i < keys.length; i++) if (member(i)) out[starts[band(i)]!++] = i;
  return out;
}

/** Agents by id; a listing already in id order (the usual case) is taken as is, without a sort. */
function inIdOrder(agents: readonly AgentInfo[]): readonly AgentInfo[] {
  for (let i = 1; i < agents.length; i++) {
    if (agents[i - 1]!.id > agents[i]!.id) return [...agents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return agents;
}
