/** Agent-choice settings shared by every scheduler plugin (each plugin's configSchema repeats them). */

/** `dispersed`: the agent with the most free capacity first; `concentrated`: the least free that fits. */
export type AgentSelection = 'dispersed' | 'concentrated';

export interface PlacementConfig {
  agentSelection: AgentSelection;
  /** Slots that mark an agent as an accelerator agent; jobs requesting none of them avoid such agents. */
  acceleratorSlots: readonly string[];
}

export const DEFAULT_PLACEMENT: Readonly<PlacementConfig> = Object.freeze({
  agentSelection: 'dispersed',
  acceleratorSlots: Object.freeze(['gpu']),
});

/** Defaults filled in; a bad value throws (the kernel validates against the schema first). */
export function resolvePlacementConfig(config: Partial<PlacementConfig>): PlacementConfig {
  const agentSelection = config.agentSelection ?? DEFAULT_PLACEMENT.agentSelection;
  if (agentSelection !== 'dispersed' && agentSelection !== 'concentrated') {
    throw new TypeError(`agentSelection must be "dispersed" or "concentrated", not ${JSON.stringify(agentSelection)}`);
  }
  const acceleratorSlots = config.acceleratorSlots ?? DEFAULT_PLACEMENT.acceleratorSlots;
  if (!Array.isArray(acceleratorSlots) || acceleratorSlots.some((s) => typeof s !== 'string')) {
    throw new TypeError('acceleratorSlots must be a list of slot names');
  }
  return { agentSelection, acceleratorSlots };
}

/** A non-negative integer count from config, or the default. */
export function resolveRetries(value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 0)
    throw new TypeError(`numRetriesToSkip must be an integer ≥ 0, not ${JSON.stringify(n)}`);
  return n;
}
