import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { agentsFromNodes } from './node-agents.js';

const node = (
  name: string,
  allocatable: Record<string, string>,
  more: { ready?: boolean; unschedulable?: boolean } = {},
): V1Node => ({
  metadata: { name },
  spec: { unschedulable: more.unschedulable ?? false },
  status: {
    allocatable,
    conditions: [{ type: 'Ready', status: more.ready === false ? 'False' : 'True' }],
    nodeInfo: { kubeletVersion: 'v1.30.0', architecture: 'amd64' } as NonNullable<V1Node['status']>['nodeInfo'],
  },
});

describe('agentsFromNodes', () => {
  it('gives one agent per ready, schedulable node with its allocatable capacity', () => {
    const agents = agentsFromNodes(
      [
        node('worker-b', { cpu: '1500m', memory: '2048Mi', pods: '110' }),
        node('worker-a', { cpu: '4', memory: '16302084Ki', 'nvidia.com/gpu': '2' }),
        node('cordoned', { cpu: '4' }, { unschedulable: true }),
        node('down', { cpu: '4' }, { ready: false }),
      ],
      'k8s',
    );
    expect(agents).toEqual([
      {
        id: 'k8s:worker-a',
        target: 'k8s',
        capacity: { cpu: 4, memory: 15920, gpu: 2 },
        allocated: {},
        labels: { kubelet: 'v1.30.0', arch: 'amd64' },
      },
      {
        id: 'k8s:worker-b',
        target: 'k8s',
        capacity: { cpu: 1.5, memory: 2048 },
        allocated: {},
        labels: { kubelet: 'v1.30.0', arch: 'amd64' },
      },
    ]);
  });
});
