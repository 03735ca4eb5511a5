/**
 * Slot names (`cpu`, `memory`, `gpu`, …) mapped to dense indices for one pass, so the hot loops work
 * on flat Float64Arrays instead of objects keyed by name.
 */
import type { AgentInfo, PendingJob } from '../index.js';

export class SlotSpace {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();

  get count(): number {
    return this.names.length;
  }

  add(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  /** The ids of those of `names` in this space. */
  idsOf(names: readonly string[]): number[] {
    return names.map((name) => this.ids.get(name)).filter((id): id is number => id !== undefined);
  }

  /** `values` as a dense vector over this space; names outside it are dropped. */
  vector(
    values: Readonly<Record<string, number>> | undefined,
    out: Float64Array = new Float64Array(this.count),
    offset = 0,
  ): Float64Array {
    if (!values) return out;
    for (const name in values) {
      const id = this.ids.get(name);
      const v = values[name];
      if (id !== undefined && typeof v === 'number' && Number.isFinite(v)) out[offset + id] = v;
    }
    return out;
  }
}

/** Every slot an agent offers or a job requests (a positive amount), agents' first. */
export function slotSpaceOf(agents: readonly AgentInfo[], pending: readonly PendingJob[]): SlotSpace {
  const space = new SlotSpace();
  for (const agent of agents) for (const name in agent.capacity) space.add(name);
  for (const job of pending) {
    for (const name in job.resources) if ((job.resources[name] ?? 0) > 0) space.add(name);
  }
  return space;
}

/** Pending jobs' requests as one flat table: row `j` holds job `j`'s amount per slot (0 = none). */
export class RequestTable {
  readonly amounts: Float64Array;
  /** 1 when the job requests any accelerator slot. */
  readonly accelerated: Uint8Array;

  constructor(
    readonly space: SlotSpace,
    pending: readonly PendingJob[],
    acceleratorSlots: readonly string[],
  ) {
    const width = space.count;
    this.amounts = new Float64Array(pending.length * width);
    this.accelerated = new Uint8Array(pending.length);
    const accel = space.idsOf(acceleratorSlots);
    for (let j = 0; j < pending.length; j++) {
      space.vector(pending[j]!.resources, this.amounts, j * width);
      for (const id of accel) if (this.amounts[j * width + id]! > 0) this.accelerated[j] = 1;
    }
  }

  offset(job: number): number {
    return job * this.space.count;
  }
}
