/** One scheduling pass's working state: slots, the jobs' requests and the agent index. */
import type { SchedulingSnapshot } from '../index.js';
import { AgentIndex } from './agent-index.js';
import type { PlacementConfig } from './config.js';
import { whyNoFit } from './fits.js';
import { RequestTable, type SlotSpace, slotSpaceOf } from './slot-space.js';

export class PassModel {
  readonly space: SlotSpace;
  readonly requests: RequestTable;
  readonly agents: AgentIndex;

  constructor(snapshot: SchedulingSnapshot, config: PlacementConfig) {
    this.space = slotSpaceOf(snapshot.agents, snapshot.pending);
    this.requests = new RequestTable(this.space, snapshot.pending, config.acceleratorSlots);
    this.agents = new AgentIndex(snapshot.agents, this.space, config);
  }

  /** Place pending job `job` (its index in the snapshot): the agent's id, or undefined if it fits nowhere. */
  place(job: number): string | undefined {
    return this.agents.place(this.requests.amounts, this.requests.offset(job), this.requests.accelerated[job] === 1);
  }

  /** Why pending job `job` fits nowhere now. */
  whyNot(job: number): string {
    return whyNoFit(this.requests.amounts, this.requests.offset(job), this.space.names, this.agents);
  }
}
