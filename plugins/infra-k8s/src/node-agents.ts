import type { V1Node } from '@kubernetes/client-node';
import type { AgentInfo } from 'spindle/plugin-sdk';
import { cpuCores, memoryMiB, parseQuantity } from './quantity.js';

/**
 * One agent per node that takes pods (not cordoned, condition Ready), `<target>:<node name>`,
 * with its allocatable cpu (cores), memory (MiB) and `nvidia.com/gpu` (as `gpu`).
 */
export function agentsFromNodes(nodes: readonly V1Node[], target: string): AgentInfo[] {
  const agents: AgentInfo[] = [];
  for (const node of nodes) {
    const name = node.metadata?.name;
    if (!name || node.spec?.unschedulable) continue;
    if (node.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') continue;
    const allocatable = node.status?.allocatable ?? {};
    const capacity: Record<string, number> = {};
    if (allocatable.cpu) capacity.cpu = cpuCores(allocatable.cpu);
    if (allocatable.memory) capacity.memory = memoryMiB(allocatable.memory);
    if (allocatable['nvidia.com/gpu']) capacity.gpu = Math.floor(parseQuantity(allocatable['nvidia.com/gpu']));
    const labels: Record<string, string> = {};
    const info = node.status?.nodeInfo;
    if (info?.kubeletVersion) labels.kubelet = info.kubeletVersion;
    if (info?.architecture) labels.arch = info.architecture;
    agents.push({ id: `${target}:${name}`, target, capacity, allocated: {}, labels });
  }
  return agents.sort((a, b) => a.id.localeCompare(b.id));
}
