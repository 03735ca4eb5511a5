import type { V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node';

export interface BatchOutcome {
  state: 'SUCCEEDED' | 'FAILED';
  reason: string;
}

/** A finished Job's outcome, or undefined while it runs: succeeded >= completions, or condition Failed. */
export function batchOutcome(job: V1Job): BatchOutcome | undefined {
  const completions = job.spec?.completions ?? 1;
  const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed)
    return {
      state: 'FAILED',
      reason: `Job failed: ${[failed.reason, failed.message].filter(Boolean).join(': ') || 'no reason given'}`,
    };
  const succeeded = job.status?.succeeded ?? 0;
  const complete = job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
  if (succeeded >= completions || complete)
    return { state: 'SUCCEEDED', reason: `${succeeded} of ${completions} pods succeeded` };
  return undefined;
}

/** How many replicas a Deployment wants and how many are ready. */
export function readiness(deployment: V1Deployment): { ready: number; wanted: number } {
  return { ready: deployment.status?.readyReplicas ?? 0, wanted: deployment.spec?.replicas ?? 1 };
}

export const isPodReady = (pod: V1Pod): boolean =>
  !pod.metadata?.deletionTimestamp &&
  pod.status?.phase === 'Running' &&
  pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** The first non-zero exit code among the pods' containers, if any ended that way. */
export function failedExitCode(pods: readonly V1Pod[]): number | undefined {
  for (const pod of pods) {
    for (const status of pod.status?.containerStatuses ?? []) {
      const code = status.state?.terminated?.exitCode ?? status.lastState?.terminated?.exitCode;
      if (code !== undefined && code !== 0) return code;
    }
  }
  return undefined;
}

/** `name: phase (reason: message)` per pod, for error messages: why a pod is not ready. */
export function describePods(pods: readonly V1Pod[]): string {
  return pods
    .map((pod) => {
      const status = pod.status?.containerStatuses?.[0];
      const why =
        status?.state?.waiting ??
        status?.state?.terminated ??
        pod.status?.conditions?.find((c) => c.status !== 'True' && c.reason);
      const detail = why ? [why.reason, why.message].filter(Boolean).join(': ') : '';
      return `${pod.metadata?.name ?? '?'}: ${pod.status?.phase ?? 'Unknown'}${detail ? ` (${detail})` : ''}${status?.restartCount ? `, ${status.restartCount} restarts` : ''}`;
    })
    .join('; ');
}
